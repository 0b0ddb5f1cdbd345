"""The pairing client's answers to what a trader types and what a platform says (over real
HTTP to the platform test peer), the stored link file, and where `serve` takes its link
from; plus the desk-confirmation rules on their own."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway_core.forwarder.cli_support import ForwarderSetupError, resolve_link
from gateway_core.forwarder.desk_confirmation import DeskConfirmation, describe_command
from gateway_core.forwarder.link_store import LinkFileError, load_link, save_link
from gateway_core.forwarder.pairing import (
    Pairing,
    PairingError,
    normalize_code,
    pair,
    platform_base,
)
from gateway_core.protocol import parse_command

from .platform_peer import PlatformPeer


@pytest.mark.parametrize(("typed", "base"), [
    ("platform.example", "https://platform.example"),
    ("https://platform.example/", "https://platform.example"),
    ("wss://platform.example/mt4", "https://platform.example"),
    ("ws://127.0.0.1:8000/mt4", "http://127.0.0.1:8000"),
    ("http://127.0.0.1:8000/trading/", "http://127.0.0.1:8000/trading"),
])
def test_platform_address_from_what_was_typed(typed: str, base: str) -> None:
    assert platform_base(typed) == base


@pytest.mark.parametrize("typed", ["", "ftp://x.example", "https://u:p@x.example",
                                   "https://x.example/?token=1", "https://"])
def test_bad_platform_addresses_are_refused_in_words(typed: str) -> None:
    with pytest.raises(PairingError) as info:
        platform_base(typed)
    assert info.value.code == "invalid_url"


def test_codes_forgive_case_spaces_and_dashes() -> None:
    assert normalize_code(" k7m2-qx9p ") == "K7M2QX9P"
    for bad in ("K7M2QX9", "K7M2QX9PP", "K7M2QX9É", "K7M2_X9P"):
        with pytest.raises(PairingError, match="8 letters and digits"):
            normalize_code(bad)


@pytest.mark.asyncio
async def test_what_the_platform_says_comes_back_in_words() -> None:
    peer = PlatformPeer()
    await peer.start()
    try:
        ok = await asyncio.to_thread(pair, peer.url, peer.new_code(), gateway_name="Desk",
                                     machine="PC-1")
        assert (ok.user_id, ok.platform_url) == ("42", peer.url)
        assert peer.pair_requests[-1] == {"code": peer.pair_requests[-1]["code"],
                                          "gateway_name": "Desk", "machine": "PC-1"}
        peer.rate_limited = 30
        with pytest.raises(PairingError) as info:
            await asyncio.to_thread(pair, peer.url, peer.new_code())
        assert (info.value.code, info.value.retry_after) == ("rate_limited", 30)
        assert "try again in 30 s" in info.value.message
        peer.rate_limited = None
        peer.answer_override = {"gateway_token": "x" * 40, "token_id": "t", "user_id": "1",
                                "link_url": "http://not-a-websocket.example/mt4"}
        with pytest.raises(PairingError) as info:
            await asyncio.to_thread(pair, peer.url, peer.new_code())
        assert info.value.code == "bad_answer"
        peer.answer_override = {"something": "else"}
        with pytest.raises(PairingError, match="did not answer like an MT4 Companion"):
            await asyncio.to_thread(pair, peer.url, peer.new_code())
    finally:
        await peer.stop()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(PairingError) as info:
        await asyncio.to_thread(pair, f"http://127.0.0.1:{closed_port}", "K7M2QX9P",
                                timeout=5)
    assert info.value.code == "unreachable" and "cannot reach" in info.value.message


def _pairing(link_url: str = "ws://127.0.0.1:9/mt4") -> Pairing:
    return Pairing("http://127.0.0.1:9", link_url, "g" * 40, "tid-1", "42")


def test_stored_link_and_where_serve_takes_its_link(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MT4_COMPANION_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("MT4_BACKEND_TOKEN", raising=False)
    none = argparse.Namespace(backend_url=None, backend_token_file=None)
    assert resolve_link(none) is None  # not linked, no flags: no platform link
    save_link(_pairing())
    assert resolve_link(none) == ("ws://127.0.0.1:9/mt4", "g" * 40)
    # Another address without a token: the stored token is never sent elsewhere.
    other = argparse.Namespace(backend_url="wss://elsewhere.example/mt4",
                               backend_token_file=None)
    with pytest.raises(ForwarderSetupError, match="needs your platform token"):
        resolve_link(other)
    token_file = tmp_path / "token"
    token_file.write_text("t" * 40)
    flags = argparse.Namespace(backend_url="wss://elsewhere.example/mt4",
                               backend_token_file=token_file)
    assert resolve_link(flags) == ("wss://elsewhere.example/mt4", "t" * 40)
    (tmp_path / "platform-link.json").write_text(json.dumps({"link_url": 5}))
    with pytest.raises(LinkFileError, match="damaged"):
        load_link()
    with pytest.raises(ForwarderSetupError, match="mt4-gateway link"):
        resolve_link(none)


def _cmd(body: dict[str, object]) -> object:
    return parse_command(json.dumps({"request_id": "r1", **body}))


def test_desk_confirmation_decides_each_question_once() -> None:
    desk = DeskConfirmation(enabled=True)
    seen: list[tuple[str, str]] = []
    desk.add_listener(lambda item: seen.append((item.command.request_id, item.decision)))
    desk.add_listener(lambda item: 1 / 0)  # a broken listener harms no one
    trade = _cmd({"command": "execute_trade", "data": {"symbol": "EURUSD", "type": "sell",
                                                       "lots": 1.5, "stop_loss": 1.1}})
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    item = desk.ask("demo-1", trade, deadline)  # type: ignore[arg-type]
    assert desk.open_questions() == [item]
    assert item.what == "SELL 1.50 EURUSD (S/L 1.1)"
    assert desk.time_out(item.key) and not desk.decide(item.key, True)
    assert not desk.withdraw(item.key)
    assert item.refusal()[0] == "not_confirmed_in_time"  # type: ignore[index]
    assert seen == [("r1", "waiting"), ("r1", "timed_out")]
    assert desk.required(trade)  # type: ignore[arg-type]
    assert not desk.required(_cmd({"command": "get_snapshot"}))  # type: ignore[arg-type]
    desk.enabled = False
    assert not desk.required(trade)  # type: ignore[arg-type]


def test_commands_in_words() -> None:
    words = {
        "BUY LIMIT 0.10 EURUSD at 1.07": {"command": "execute_trade", "data": {
            "symbol": "EURUSD", "type": "buy_limit", "lots": 0.1, "price": 1.07}},
        "close 0.20 lots of #7": {"command": "close_position",
                                  "data": {"ticket": 7, "lots": 0.2}},
        "close #7": {"command": "close_position", "data": {"ticket": 7}},
        "close all GBPUSD positions": {"command": "close_all", "data": {"symbol": "GBPUSD"}},
        "close all positions": {"command": "close_all"},
        "modify #7: S/L 1.05, T/P 1.1": {"command": "modify_position", "data": {
            "ticket": 7, "stop_loss": 1.05, "take_profit": 1.1}},
        "delete order #8": {"command": "delete_order", "data": {"ticket": 8}},
    }
    for said, body in words.items():
        assert describe_command(_cmd(body)) == said  # type: ignore[arg-type]
