"""Times in UTC whatever the server's zone, expiring pending orders, journal compaction."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .harness import LOGIN, EaHost, FakeGateway, needs_host, write_config

pytestmark = [needs_host, pytest.mark.asyncio]


async def test_order_times_are_utc_with_a_server_offset(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    write_config(tmp_path, gateway.url)
    host = EaHost(tmp_path, ["--server-offset", "10800"])  # server on UTC+3
    await host.start()
    try:
        await gateway.wait_type("snapshot", timeout=30)
        ans = await host.manual("open", symbol="EURUSD", type="buy", lots=0.1)
        ev = await gateway.wait_type(
            "position_opened", pred=lambda m: m["data"]["ticket"] == ans["ticket"]
        )
        opened = datetime.fromisoformat(ev["data"]["open_time"].replace("Z", "+00:00"))
        assert abs((opened - datetime.now(UTC)).total_seconds()) < 120
        stamp = datetime.fromisoformat(ev["timestamp"].replace("Z", "+00:00"))
        assert abs((stamp - datetime.now(UTC)).total_seconds()) < 120
        exp = "2099-06-01T12:00:00Z"
        r = await gateway.command(
            "execute_trade",
            {"symbol": "EURUSD", "type": "buy_stop", "lots": 0.1, "price": 1.11, "expiration": exp},
        )
        assert r["success"] is True
        o = {x["ticket"]: x for x in host.open_orders()}[r["data"]["ticket"]]
        want = int(datetime(2099, 6, 1, 12, tzinfo=UTC).timestamp()) + 10800
        assert o["expiration"] == want  # sent in server time
        placed = await gateway.wait_type(
            "order_placed", pred=lambda m: m["data"]["ticket"] == o["ticket"]
        )
        assert placed["data"]["expiration"] == exp  # reported in UTC
    finally:
        await host.stop()


async def test_expired_pending_is_reported_as_expired(gateway: FakeGateway, ea: EaHost) -> None:
    expires = int(time.time()) + 1
    ans = await ea.manual(
        "open", symbol="EURUSD", type="sell_limit", lots=0.1, price=1.105, expiration=expires
    )
    t = ans["ticket"]
    await gateway.wait_type("order_placed", pred=lambda m: m["data"]["ticket"] == t)
    # the simulated server expires orders on quotes: keep quoting until it did
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        await ea.send(op="quote", symbol="EURUSD", bid=1.1, ask=1.10012)
        try:
            ev = await gateway.wait_type("order_deleted", timeout=0.3)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("the order never expired")
    assert ev["data"] == {"ticket": t, "reason": "expired"}


async def test_journal_is_compacted_and_keeps_recent_answers(
    gateway: FakeGateway, ea: EaHost
) -> None:
    path = ea.sandbox / "MQL4" / "Files" / "MT4Companion" / f"journal-mt4-{LOGIN}.txt"
    now = int(time.time())
    lines = []
    for i in range(1500):
        reply = {
            "type": "command_result",
            "command": "delete_order",
            "request_id": f"old-{i}",
            "success": True,
            "data": {"ticket": 1000 + i},
            "timestamp": "2030-01-01T00:00:00Z",
        }
        lines.append(f"old-{i}|done|{now}|{json.dumps(reply)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    await ea.send(op="restart_ea")
    await gateway.wait_conn(2, timeout=30)
    await gateway.wait_type("snapshot")
    kept = path.read_text(encoding="utf-8").splitlines()
    assert 0 < len(kept) <= 600
    assert kept[-1].startswith("old-1499|done|")
    # a recent id is still answered from the journal, without touching the account
    again = await gateway.command("delete_order", {"ticket": 2499}, rid="old-1499")
    assert again["data"] == {"ticket": 2499} and again["timestamp"] == "2030-01-01T00:00:00Z"
    # an id compacted away is executed as new (and fails: there is no such order)
    fresh = await gateway.command("delete_order", {"ticket": 1000}, rid="old-0")
    assert fresh["success"] is False and fresh["error"]["code"] == "invalid_ticket"


async def test_a_second_chart_is_refused_until_the_first_leaves(
        gateway: FakeGateway, ea: EaHost) -> None:
    """Two charts of one terminal (one sandbox) would share the journal and the agent id."""
    second = EaHost(ea.sandbox)
    await second.start()
    try:
        await second.wait(lambda e: e.get("event") == "comment"
                          and "already runs on another chart" in e["text"], 20, "the refusal")
        assert len(gateway.conns) == 1
        await ea.stop()  # removed from the first chart: the second one takes over
        await gateway.wait_conn(2, 40)
    finally:
        await second.stop()
