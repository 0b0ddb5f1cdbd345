"""Simulated trade server rules as the EA meets them (Trader.mq4 runs commands from cmd.txt)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .hostproc import Event, Host

pytestmark = pytest.mark.timeout(120)


class Trader:
    def __init__(self, host: Host) -> None:
        self.h = host
        host.wait(lambda e: e.get("event") == "broker", what="initial broker state")

    def run(self, *commands: str) -> list[str]:
        """Execute commands in the EA; return its 'result ...' lines."""
        self.h.sync()  # nothing still running that could pick up cmd.txt early
        (self.h.sandbox / "MQL4" / "Files" / "cmd.txt").write_text("\n".join(commands) + "\n")
        start = self.h.send(op="tick")
        end = self.h.sync()
        results = [e["text"][7:] for e in self.h.events[start:end]
                   if e.get("event") == "log" and e["text"].startswith("result ")]
        assert any(e.get("text") == "batch done" for e in self.h.events[start:end]), results
        return results

    def trades(self, start: int = 0) -> list[Event]:
        return [e for e in self.h.events[start:] if e.get("event") == "trade"]

    def broker(self) -> Event:
        return next(e for e in reversed(self.h.events) if e.get("event") == "broker")

    def quote(self, bid: float, ask: float, symbol: str = "EURUSD") -> None:
        self.h.send(op="quote", symbol=symbol, bid=bid, ask=ask)
        self.h.sync()  # the quote's OnTick has returned before the test writes cmd.txt

    def history(self) -> list[Event]:
        start = self.h.send(op="history")
        return list(self.h.wait(lambda e: e.get("event") == "history", start=start)["orders"])


@pytest.fixture
def trader(binaries: dict[str, Path], run_host: Callable[..., Host]) -> Trader:
    return Trader(run_host(binaries["Trader"], ["--account-login", "777", "--balance", "5000"]))


def ticket_of(result: str) -> int:
    parts = result.split()
    assert parts[0] == "send" and int(parts[2]) == 0, result
    return int(parts[1])


def test_account_and_symbols(trader: Trader) -> None:
    logs = trader.h.logs()
    assert "account 777 Demo-Server Simulated Broker Ltd USD 100 5000.00" in logs
    assert ("symbol EURUSD digits 5 point 0.00001 stops 10 lotsize 100000 jpydigits 3 "
            "minlot 0.01") in logs
    assert trader.broker()["account"]["login"] == 777


def test_market_order_requote_and_exactly_one_send(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    start = len(trader.h.events)
    # Price 5 points away with slippage 3: requote; within slippage: filled at Ask.
    res = trader.run("send;EURUSD;0;0.10;1.10025;3;0;0;x;42",
                     "send;EURUSD;0;0.10;1.10022;3;0;0;x;42")
    assert res[0] == "send -1 138"
    t = ticket_of(res[1])
    sends = [e for e in trader.trades(start) if e["op"] == "OrderSend"]
    assert [s["error"] for s in sends] == [138, 0]
    order = next(o for o in trader.broker()["orders"] if o["ticket"] == t)
    assert order["open_price"] == 1.1002 and order["magic"] == 42 and order["type"] == 0
    acc = trader.broker()["account"]
    assert acc["margin"] == pytest.approx(0.1 * 100000 * 1.1002 / 100, abs=0.01)


def test_stops_volume_and_money_rules(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    res = trader.run(
        "send;EURUSD;0;0.10;ask;3;1.09995;0;;0",    # SL 5 points below Bid < stops level 10
        "send;EURUSD;0;0.10;ask;3;1.10010;0;;0",    # SL above Bid
        "send;EURUSD;0;0.015;ask;3;0;0;;0",          # not a multiple of the lot step
        "send;EURUSD;0;0.001;ask;3;0;0;;0",          # below min lot
        "send;EURUSD;0;50;ask;3;0;0;;0",             # margin 55000 > free margin 5000
        "send;EURUSD;0;0.10;ask;3;1.09900;1.10200;ok;0",
        "send;NOPE;0;0.10;1;3;0;0;;0",
    )
    assert [r.split()[2] for r in res] == ["130", "130", "131", "131", "134", "0", "4106"]


def test_modify_rules(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    t = ticket_of(trader.run("send;EURUSD;1;0.10;bid;3;1.10200;1.09800;;0")[0])
    res = trader.run(f"modify;{t};0;1.10200;1.09800",    # unchanged -> error 1
                     f"modify;{t};0;1.10025;1.09800",    # SL 5 points above Ask
                     f"modify;{t};0;1.10300;1.09700",
                     "modify;999;0;1.1;1.0")
    assert res == ["modify false 1", "modify false 130", "modify true 0", "modify false 4108"]
    order = next(o for o in trader.broker()["orders"] if o["ticket"] == t)
    assert order["sl"] == 1.103 and order["tp"] == 1.097


def test_partial_close_tickets_and_comments(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    t = ticket_of(trader.run("send;EURUSD;0;0.30;ask;3;0;0;mine;7")[0])
    trader.quote(1.10120, 1.10140)
    res = trader.run(f"close;{t};0.10;bid;3", f"close;{t};0.10;bid;3", "list")
    assert res[0] == "close true 0"
    assert res[1] == "close false 4108"  # the old ticket is closed; the rest has a new one
    orders = trader.broker()["orders"]
    assert len(orders) == 1
    rest = orders[0]
    assert rest["ticket"] != t and rest["comment"] == f"from #{t}"
    assert rest["lots"] == 0.2 and rest["magic"] == 7 and rest["open_price"] == 1.1002
    closed = next(o for o in trader.history() if o["ticket"] == t)
    assert closed["comment"] == f"to #{rest['ticket']}" and closed["lots"] == 0.1
    assert closed["profit"] == pytest.approx(10.0)  # 100 points * $1 per point at 0.1 lot
    assert trader.broker()["account"]["balance"] == pytest.approx(5010.0)
    shown = trader.run(f"show;{t}")[0].split()
    assert shown[1:3] == [str(t), "0"] and shown[5:8] == ["to", f"#{rest['ticket']}", "true"]
    # Closing more than is open, or leaving less than the minimum, is an invalid volume.
    res = trader.run(f"close;{rest['ticket']};0.5;bid;3", f"close;{rest['ticket']};0.195;bid;3")
    assert res == ["close false 131", "close false 131"]


def test_pending_order_triggers_keeping_ticket(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    res = trader.run(
        "send;EURUSD;2;0.10;1.10015;3;0;0;;0",   # buy limit within the stops level of Ask
        "send;EURUSD;4;0.10;1.10000;3;0;0;;0",   # buy stop below Ask
        "send;EURUSD;2;0.10;1.09900;3;1.09800;1.10100;lim;0",
        "send;EURUSD;5;0.10;1.09800;3;0;0;stp;0",
    )
    assert [r.split()[2] for r in res] == ["130", "130", "0", "0"]
    limit, stop = ticket_of(res[2]), ticket_of(res[3])
    trader.quote(1.09880, 1.09895)  # Ask reaches the buy limit
    by_ticket = {o["ticket"]: o for o in trader.broker()["orders"]}
    assert by_ticket[limit]["type"] == 0 and by_ticket[limit]["open_price"] == 1.099
    assert by_ticket[stop]["type"] == 5
    assert trader.run(f"delete;{stop}", f"delete;{limit}") == ["delete true 0", "delete false 4108"]
    assert any(o["ticket"] == stop for o in trader.history())


def test_sl_hit_closes_at_sl_price(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    t = ticket_of(trader.run("send;EURUSD;0;0.10;ask;3;1.09900;0;s;0")[0])
    trader.quote(1.09850, 1.09870)
    assert all(o["ticket"] != t for o in trader.broker()["orders"])
    closed = next(o for o in trader.history() if o["ticket"] == t)
    assert closed["close_price"] == 1.099 and closed["comment"] == "s[sl]"
    assert closed["profit"] == pytest.approx(-12.0)


def test_fail_next_and_trade_disallowed(trader: Trader) -> None:
    trader.h.send(op="fail_next", error=146, count=2)
    res = trader.run(*["send;EURUSD;0;0.10;ask;3;0;0;;0"] * 3)
    assert [r.split()[2] for r in res] == ["146", "146", "0"]
    trader.h.send(op="set", trade_allowed=False)
    res = trader.run("send;EURUSD;1;0.10;bid;3;0;0;;0", "account")
    assert res[0] == "send -1 4109" and res[1].endswith(" false")


def test_manual_trades_by_hand(trader: Trader) -> None:
    start = trader.h.send(op="open", symbol="USDJPY", type="sell", lots=1.0)
    ev = trader.h.wait(lambda e: e.get("event") == "manual", start=start)
    assert ev["error"] == 0
    trader.quote(149.900, 149.912, "USDJPY")
    order = next(o for o in trader.broker()["orders"] if o["ticket"] == ev["ticket"])
    # Sold at 150.000, buy back at 149.912: 88 points * 100000 * 0.001 / 149.9 USD per point.
    assert order["profit"] == pytest.approx(88 * 100.0 / 149.9, abs=0.01)
    start = trader.h.send(op="close", ticket=ev["ticket"])
    assert trader.h.wait(lambda e: e.get("event") == "manual", start=start)["error"] == 0
    # No trade events: the EA made no trade call.
    assert not trader.trades()


def test_unnormalized_price_is_rejected_by_the_terminal(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    assert trader.run("send;EURUSD;0;0.10;1.100201;3;0;0;;0") == ["send -1 4107"]


def test_new_symbol_and_symbol_rules(trader: Trader) -> None:
    trader.h.send(op="symbol", symbol="EURGBP", digits=5, bid=0.85, ask=0.85012)
    trader.h.sync()
    res = trader.run("symbols")
    assert res == ["symbols EURUSD,GBPUSD,USDJPY,XAUUSD,EURGBP, 0.85000 0"]
    trader.h.send(op="symbol", symbol="EURUSD", trade_allowed=False)
    assert trader.run("send;EURUSD;0;0.10;ask;3;0;0;;0") == ["send -1 133"]
    trader.h.send(op="symbol", symbol="GBPUSD", market_open=False)
    assert trader.run("send;GBPUSD;0;0.10;ask;3;0;0;;0") == ["send -1 132"]


def test_freeze_level_and_pending_expiration(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    t = ticket_of(trader.run("send;EURUSD;0;0.10;ask;3;1.09980;0;;0")[0])
    trader.h.send(op="symbol", symbol="EURUSD", freeze_level=30)
    trader.h.sync()
    # SL is 20 points from Bid, inside the freeze level: the order cannot be modified.
    assert trader.run(f"modify;{t};0;1.09900;0") == ["modify false 145"]
    start = trader.h.send(op="open", symbol="GBPUSD", type="sell limit", lots=0.1, price=1.28,
                          expiration=int(time.time()) + 1)
    pending = trader.h.wait(lambda e: e.get("event") == "manual", start=start)["ticket"]
    deadline = time.monotonic() + 10
    while any(o["ticket"] == pending for o in trader.broker()["orders"]):
        assert time.monotonic() < deadline, "pending order did not expire"
        trader.quote(1.27000, 1.27015, "GBPUSD")  # expiry is checked on quotes
        time.sleep(0.05)  # poll interval of the condition above, not a fixed wait
    assert any(o["ticket"] == pending for o in trader.history())


def test_hidden_history_still_selectable_by_ticket(trader: Trader) -> None:
    trader.quote(1.10000, 1.10020)
    t = ticket_of(trader.run("send;EURUSD;0;0.10;ask;3;0;0;h;0")[0])
    assert trader.run(f"close;{t};0.10;bid;3") == ["close true 0"]
    trader.h.send(op="set", history_visible=False)
    trader.h.sync()
    res = trader.run("list", f"show;{t}")
    assert res[0] == "list 0 0 ", trader.h.events[-30:]
    assert res[1].split()[1] == str(t) and res[1].split()[6] == "true"


def test_commission_and_swap_split_on_partial_close(binaries: dict[str, Path],
                                                   run_host: Callable[..., Host]) -> None:
    trader = Trader(run_host(binaries["Trader"], ["--commission", "7"]))
    trader.quote(1.10000, 1.10020)
    t = ticket_of(trader.run("send;EURUSD;0;0.30;ask;3;0;0;;0")[0])
    trader.h.send(op="swap", ticket=t, amount=-0.9)
    trader.h.sync()
    order = trader.broker()["orders"][0]
    assert order["commission"] == -2.1 and order["swap"] == -0.9
    assert trader.run(f"close;{t};0.10;bid;3") == ["close true 0"]
    rest = trader.broker()["orders"][0]
    closed = next(o for o in trader.history() if o["ticket"] == t)
    assert closed["commission"] == -0.7 and closed["swap"] == -0.3
    assert rest["commission"] == pytest.approx(-1.4) and rest["swap"] == pytest.approx(-0.6)
    # Closed at Bid 1.10000 from Ask 1.10020: -20 points * $1 = -2, plus -0.7 and -0.3.
    assert trader.broker()["account"]["balance"] == pytest.approx(10000 - 2 - 0.7 - 0.3)


def test_fail_for_a_while_and_busy_context(trader: Trader) -> None:
    trader.h.send(op="fail_next", error=146, for_ms=400)
    t0 = time.monotonic()
    res = trader.run("send;EURUSD;0;0.10;ask;3;0;0;;0")
    assert res[0].split()[2] == "146", res
    while time.monotonic() - t0 < 0.45:  # the window is measured by the host's clock
        trader.h.sync()
    assert ticket_of(trader.run("send;EURUSD;0;0.10;ask;3;0;0;;0")[0]) > 0


def test_executed_but_reported_failed_appears_later(trader: Trader) -> None:
    trader.h.send(op="fail_next", error=128, executed=True, appear_after_ms=600)
    res = trader.run("send;EURUSD;0;0.10;ask;3;0;0;tagged;0", "list")
    assert res[0] == "send -1 128", res
    assert res[1].startswith("list 0 "), res  # placed, but not in the terminal's list yet
    broker = trader.h.wait(lambda e: e.get("event") == "broker" and len(e["orders"]) == 1,
                           what="the late order")
    assert broker["orders"][0]["comment"] == "tagged"
    assert trader.run("list")[0].startswith("list 1 ")


def test_fail_next_refuses_what_it_cannot_model(trader: Trader) -> None:
    for bad in ['{"op":"fail_next","error":146,"for_ms":100,"count":2}',
                '{"op":"fail_next","error":128,"appear_after_ms":100}',
                '{"op":"fail_next","error":128,"executed":"yes"}',
                '{"op":"fail_next","error":128,"when":"later"}']:
        start = trader.h.send_raw(bad)
        assert trader.h.wait(lambda e: e.get("event") == "error", start=start, what=bad)
    # A lost answer is modelled for OrderSend only: anything else stops the host loudly.
    ticket = ticket_of(trader.run("send;EURUSD;0;0.10;ask;3;0;0;;0")[0])
    trader.h.send(op="fail_next", error=128, executed=True)
    (trader.h.sandbox / "MQL4" / "Files" / "cmd.txt").write_text(f"close;{ticket};0.1;bid;3\n")
    start = trader.h.send(op="tick")
    ev = trader.h.wait(lambda e: e.get("event") == "ea_stopped", start=start)
    assert "OrderSend only" in ev["reason"]


def test_market_execution_refuses_stops_and_ignores_slippage(trader: Trader) -> None:
    start = trader.h.send(op="symbol", symbol="EURUSD", execution="request")
    assert trader.h.wait(lambda e: e.get("event") == "error", start=start)
    trader.h.send(op="symbol", symbol="EURUSD", execution="market")
    res = trader.run("send;EURUSD;0;0.10;ask;3;1.09;1.11;;0",
                     "send;EURUSD;0;0.10;1.05;3;0;0;;0")  # far from the market: filled anyway
    assert res[0] == "send -1 130", res
    ticket = ticket_of(res[1])
    assert trader.run(f"modify;{ticket};0;1.09;1.11")[0] == "modify true 0"
    trader.h.send(op="fail_next", error=136, on="OrderModify")
    res = trader.run("send;EURUSD;1;0.10;bid;3;0;0;;0", f"modify;{ticket};0;1.08;1.11")
    assert ticket_of(res[0]) > 0 and res[1] == "modify false 136", res
