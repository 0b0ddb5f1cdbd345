"""Gateway (+2 demo terminals) -> platform-backend -> Socket.IO clients, all real processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .harness import (
    Backend,
    GatewayProc,
    WebClient,
    issue_token,
    truth_view,
    wait_until,
    web_view,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


def _trade(rid: str, agent: str = "demo-1", lots: float = 0.1, symbol: str = "EURUSD",
           **extra: object) -> dict[str, object]:
    return {"agent_id": agent, "command": "execute_trade", "request_id": rid,
            "data": {"symbol": symbol, "type": "buy", "lots": lots}, **extra}


async def test_web_client_sees_its_terminals_and_trades_on_them(tmp_path: Path,
                                                                db_url: str) -> None:
    backend = Backend(tmp_path, db=db_url)
    await backend.start_ready()
    token_file = tmp_path / "platform-token"
    token_file.write_text(issue_token("42", gateway_db=backend.db))
    gateway = GatewayProc(tmp_path, backend.gateway_url, token_file, manual_rate=0,
                          extra=["--max-lots", "1", "--allowed-symbols", "EURUSD,GBPUSD"])
    await gateway.start_ready()
    owner = WebClient(backend.http_url, issue_token("42"))
    other = WebClient(backend.http_url, issue_token("7"))
    try:
        await owner.connect()
        await other.connect()
        # current state at once, then live events
        await wait_until(lambda: all(a in owner.agents and owner.agents[a].account
                                     for a in ("demo-1", "demo-2")), 20, "both snapshots")
        assert "snapshot" in owner.types()
        await wait_until(lambda: "heartbeat" in owner.types(), 20, "a live heartbeat")
        first = owner.events[0]
        assert {"type", "agent_id", "timestamp"} <= set(first)

        # a command from the web runs on the demo terminal; the reply comes back
        reply = await owner.command(_trade("web-1"))
        assert reply["type"] == "trade_executed" and reply["success"], reply
        ticket = reply["data"]["ticket"]
        await wait_until(lambda: ticket in owner.agents["demo-1"].positions, 10,
                         "position_opened at the web client")
        assert any(r.get("request_id") == "web-1" for r in owner.replies)  # mt4_reply too
        await wait_until(lambda: {"positions_update", "account_update"} & set(owner.types()),
                         20, "live P/L updates of the new position")
        truth = await gateway.terminal_truth("demo-1")
        assert ticket in {p["ticket"] for p in truth["positions"]}

        # the same request again: the first result, and still only one position
        again = await owner.command(_trade("web-1"))
        assert again["data"]["ticket"] == ticket
        truth = await gateway.terminal_truth("demo-1")
        assert [p["ticket"] for p in truth["positions"]].count(ticket) == 1
        assert len(truth["positions"]) == 1
        # same id, different command: refused
        other_cmd = await owner.command(_trade("web-1", lots=0.2))
        assert other_cmd["error"]["code"] == "duplicate_request"

        # expired before it reached the gateway
        past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
        expired = await owner.command(_trade("web-2", expires_at=past))
        assert not expired["success"] and expired["error"]["code"] == "command_expired"

        # the gateway's risk guard
        big = await owner.command(_trade("web-3", lots=2.0))
        assert big["error"]["code"] == "max_lots_exceeded"
        odd = await owner.command(_trade("web-4", symbol="USDJPY"))
        assert odd["error"]["code"] == "symbol_not_allowed"

        # malformed command: a clear error, nothing sent
        bad = await owner.command({"agent_id": "demo-1", "command": "fly", "request_id": "x"})
        assert bad["type"] == "error" and bad["code"] == "unknown_type"

        # another user: sees nothing of user 42 and cannot command its terminals
        refused = await other.command(_trade("intruder-1"))
        assert not refused["success"] and refused["error"]["code"] == "unknown_agent"
        assert other.events == []
        truth = await gateway.terminal_truth("demo-1")
        assert len(truth["positions"]) == 1

        # /health shows the link
        health = await gateway.health()
        assert health["backend_connected"] is True
        link = health["backend"]
        assert link["state"] == "connected" and link["signed_in_as"] == "42"
        assert "token" not in str(link).lower().replace("token_expires", "")
        await wait_until(lambda: owner.agents["demo-1"].positions.keys() ==
                         {p["ticket"] for p in truth["positions"]}, 10, "web converged")
        assert web_view(owner, "demo-1")["positions"] == truth_view(truth)["positions"]

        # a page opened now still gets each terminal's symbol rules on connect
        late = WebClient(backend.http_url, issue_token("42"))
        try:
            await late.connect()
            await wait_until(lambda: {(e.get("agent_id"), e["data"]["symbol"])
                                      for e in late.events if e.get("type") == "symbol_info"}
                             >= {("demo-1", "EURUSD"), ("demo-2", "EURUSD")}, 20,
                             "symbol_info replayed to a late web client")
        finally:
            await late.close()

        # the gateway stops cleanly: every terminal is reported with the gateway gone
        gateway.terminate()
        await wait_until(lambda: {e.get("agent_id") for e in owner.events
                                  if e.get("type") == "agent_status"
                                  and str(e.get("reason", "")).startswith(
                                      "the gateway is not connected")}
                         >= {"demo-1", "demo-2"}, 20, "gateway-gone notices")
    finally:
        await owner.close()
        await other.close()
        gateway.terminate()
        backend.terminate()
    assert "eyJ" not in gateway.output() and "eyJ" not in backend.output()  # no JWT in logs
