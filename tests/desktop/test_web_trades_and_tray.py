"""Trades from the web seen and controlled at the desk, and trading from the tray, with
the real app controller, a real gateway with demo terminals, and the platform played by
a real aiohttp test peer (tests/forwarder/platform_peer.py) over loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop.controller import Controller
from desktop.qt import QUrl
from desktop.runtime import Runtime
from tests.forwarder.platform_peer import PlatformPeer

from .conftest import live_app, until
from .test_live import open_trade

pytestmark = [pytest.mark.timeout(90)]


def wire_trade(rid: str, lots: float = 0.1, expires_in: float = 30) -> dict[str, Any]:
    return {"command": "execute_trade", "request_id": rid,
            "expires_at": (datetime.now(UTC) + timedelta(seconds=expires_in)).isoformat(),
            "data": {"symbol": "EURUSD", "type": "buy", "lots": lots}}


@asynccontextmanager
async def linked_app(tmp_path: Path) -> AsyncIterator[tuple[Controller, Runtime, PlatformPeer,
                                                             list[tuple[str, str]]]]:
    """The app linked to the peer (as after pairing) and a record of its notifications."""
    peer = PlatformPeer()
    await peer.start()
    try:
        async with live_app(tmp_path) as (rt, ctl):
            shown: list[tuple[str, str]] = []
            ctl.notifier.show = lambda title, text, level: shown.append((level, text))
            ctl.notifier.limiter.interval = 0
            ctl.link.outbox_path = tmp_path / "outbox.sqlite3"
            token, _token_id = peer.issue_gateway_token()
            ctl.secrets.set(token)
            ctl.store.update(platform_url=f"ws://127.0.0.1:{peer.port}/mt4",
                             platform_enabled=True, platform_web_url=peer.url,
                             platform_user="42")
            await until(lambda: (ctl.bridge.backend() or {}).get("state") == "connected",
                        what="platform link up")
            yield ctl, rt, peer, shown
    finally:
        await peer.stop()


@pytest.mark.asyncio
async def test_web_trades_notified_confirmed_rejected_timed_out(tmp_path: Path) -> None:
    async with linked_app(tmp_path) as (ctl, rt, peer, shown):
        # Off by default: a web trade runs and the tray says what happened.
        assert ctl.store.settings.confirm_web_trades is False
        await peer.command("demo-1", wire_trade("w1"))
        await until(lambda: peer.replies("w1"), what="reply to w1")
        ticket = peer.replies("w1")[0]["data"]["ticket"]
        await until(lambda: any("From the web" in t for _l, t in shown), what="notification")
        text = next(t for _l, t in shown if "From the web" in t)
        assert re.fullmatch(rf"From the web: BUY 0\.10 EURUSD on demo-1 - filled #{ticket} "
                            r"at \d\.\d{5}", text), text
        assert ctl.confirm_dialogs == {}

        # On: the command waits for a click in a dialog showing the order.
        ctl.store.update(confirm_web_trades=True)
        await peer.command("demo-1", wire_trade("w2", lots=0.2))
        await until(lambda: ctl.confirm_dialogs, what="confirmation dialog")
        dialog = next(iter(ctl.confirm_dialogs.values()))
        assert dialog.isVisible()
        assert "BUY 0.20 EURUSD" in dialog.order.text() and "demo-1" in dialog.order.text()
        assert "Answer within" in dialog.countdown.text()
        assert peer.replies("w2") == []
        positions_before = len(rt.fleet.terminals["demo-1"].broker.positions())  # type: ignore[union-attr]
        dialog.confirm_button.click()
        await until(lambda: peer.replies("w2"), what="reply to w2")
        assert peer.replies("w2")[0]["success"]
        assert len(rt.fleet.terminals["demo-1"].broker.positions()) == positions_before + 1  # type: ignore[union-attr]

        await peer.command("demo-1", wire_trade("w3"))
        await until(lambda: ctl.confirm_dialogs, what="second dialog")
        next(iter(ctl.confirm_dialogs.values())).reject_button.click()
        await until(lambda: peer.replies("w3"), what="reply to w3")
        assert peer.replies("w3")[0]["error"]["code"] == "rejected_at_desk"
        await until(lambda: any("w3" not in t and "refused: rejected at the desk" in t
                                for _l, t in shown), what="refusal notification")

        await peer.command("demo-1", wire_trade("w4", expires_in=3.0))
        await until(lambda: ctl.confirm_dialogs, what="third dialog")
        waiting = next(iter(ctl.confirm_dialogs.values()))
        closed: list[int] = []
        waiting.finished.connect(closed.append)
        await until(lambda: peer.replies("w4"), timeout=15, what="timeout reply")
        assert peer.replies("w4")[0]["error"]["code"] == "not_confirmed_in_time"
        assert closed and ctl.confirm_dialogs == {}  # the dialog went away by itself
        assert len(rt.fleet.terminals["demo-1"].broker.positions()) == positions_before + 1  # type: ignore[union-attr]

        # The tray's "Allow trading from the web" switches the risk guard, link stays up.
        attempts = ctl.bridge.backend()["connect_attempts"]  # type: ignore[index]
        ctl.store.update(confirm_web_trades=False)
        assert ctl.tray.remote_trading_action.isChecked()
        ctl.tray.remote_trading_action.trigger()
        assert ctl.store.settings.remote_trading is False
        await peer.command("demo-1", wire_trade("w5"))
        await until(lambda: peer.replies("w5"), what="reply to w5")
        assert peer.replies("w5")[0]["error"]["code"] == "remote_trading_disabled"
        ctl.tray.remote_trading_action.trigger()
        await peer.command("demo-1", wire_trade("w6"))
        await until(lambda: peer.replies("w6"), what="reply to w6")
        assert peer.replies("w6")[0]["success"]
        assert ctl.bridge.backend()["connect_attempts"] == attempts  # type: ignore[index]


@pytest.mark.asyncio
async def test_tray_menu_actions(tmp_path: Path) -> None:
    async with live_app(tmp_path) as (rt, ctl):
        tray = ctl.tray
        # New order... opens the trade ticket.
        tray.new_order_action.trigger()
        assert len(ctl.tickets) == 1 and ctl.tickets[0].isVisible()
        ctl.tickets[0].close()

        # Close all positions... per account, asking with the list of what closes.
        tickets = [await open_trade(ctl, "demo-2", s) for s in ("EURUSD", "GBPUSD")]
        await open_trade(ctl, "demo-1", "EURUSD")  # another account: not listed, not closed
        ctl._on_second()
        assert tray.close_all_texts() == ["demo-1 (5000001)...", "demo-2 (5000002)..."]
        tray.trigger_close_all("demo-2")
        question = ctl.asked[-1]  # type: ignore[attr-defined]
        assert "Close all 2 positions on demo-2" in question
        listed = [line.strip() for line in question.splitlines() if line.strip().startswith("#")]
        assert [line.split()[0] for line in listed] == [f"#{t}" for t in tickets]
        assert "EURUSD" in listed[0] and "GBPUSD" in listed[1]
        await until(lambda: not rt.fleet.terminals["demo-2"].broker.positions()  # type: ignore[union-attr]
                    and not ctl.bridge.agent("demo-2").positions,  # type: ignore[union-attr]
                    what="demo-2 flat, and the app knows")
        assert len(rt.fleet.terminals["demo-1"].broker.positions()) == 1  # type: ignore[union-attr]
        told: list[str] = []
        ctl.actions.inform = lambda _title, text: told.append(text)
        asked = len(ctl.asked)  # type: ignore[attr-defined]
        tray.trigger_close_all("demo-2")
        assert told == ["No open positions on demo-2: nothing to close."]
        assert len(ctl.asked) == asked  # type: ignore[attr-defined]

        # Open web panel: only once linked, and it opens the platform's address.
        opened: list[QUrl] = []
        ctl.open_url = opened.append
        assert not tray.web_panel_action.isVisible()
        ctl.secrets.set("x" * 40)
        ctl.store.update(platform_enabled=True, platform_url="ws://127.0.0.1:9/mt4",
                         platform_web_url="https://platform.example", platform_user="42")
        assert tray.web_panel_action.isVisible()
        tray.web_panel_action.trigger()
        assert [u.toString() for u in opened] == ["https://platform.example"]


def test_enter_in_the_confirmation_dialog_rejects(qtbot: Any) -> None:
    """Enter (or Escape) must never place a trade by accident."""
    from desktop.qt import Qt
    from desktop.trade_confirm_dialog import TradeConfirmDialog
    from gateway_core.forwarder.desk_confirmation import TradeToConfirm
    from gateway_core.protocol import parse_command

    wire = wire_trade("e1")
    command = parse_command(__import__("json").dumps(wire))
    assert command.expires_at is not None
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Escape):
        answers: list[bool] = []
        item = TradeToConfirm("demo-1", command, command.expires_at)
        dialog = TradeConfirmDialog(item, "demo-1 (5000001)", answers.append)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.keyClick(dialog.focusWidget() or dialog, key)
        assert answers == [False], key
