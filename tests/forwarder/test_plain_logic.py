"""Send window, backoff, token reading, risk guard: messages in, state out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from gateway_core.forwarder.backoff import Backoff
from gateway_core.forwarder.outbox import Stored
from gateway_core.forwarder.risk_guard import RiskGuard, RiskPolicy
from gateway_core.forwarder.send_window import SendWindow
from gateway_core.forwarder.token_info import TokenProblem, read_unverified_claims
from gateway_core.protocol import parse_command


def stored(a: int, b: int) -> list[Stored]:
    return [Stored(i, f"f{i}") for i in range(a, b + 1)]


class Log:
    def __init__(self, items: list[Stored]) -> None:
        self.items = items
        self.reads = 0

    def __call__(self, after: int, limit: int) -> list[Stored]:
        self.reads += 1
        return [s for s in self.items if s.seq > after][:limit]


def test_window_resends_backlog_then_streams_live_items() -> None:
    backlog = Log(stored(1, 10))
    w = SendWindow(batch_max=4, max_in_flight=100)
    w.open(backend_acked=6, first_stored=1, last_seq=10)
    assert w.next_batch(backlog) == ["f7", "f8", "f9", "f10"]
    live = stored(11, 12)
    backlog.items += live
    w.stored(live)
    reads = backlog.reads
    assert w.next_batch(backlog) == ["f11", "f12"] and backlog.reads == reads  # from memory
    assert w.next_batch(backlog) == []
    assert w.ack(12) and w.in_flight == 0


def test_window_limits_unacknowledged_items() -> None:
    w = SendWindow(batch_max=10, max_in_flight=3)
    w.open(0, 1, 10)
    assert len(w.next_batch(Log(stored(1, 10)))) == 3
    assert w.next_batch(Log(stored(1, 10))) == []
    w.ack(2)
    assert w.next_batch(Log(stored(1, 10))) == ["f4", "f5"]


def test_window_starts_at_the_oldest_item_when_the_backend_lost_data() -> None:
    w = SendWindow()
    w.open(backend_acked=0, first_stored=50, last_seq=60)
    assert w.next_batch(Log(stored(50, 60)))[0] == "f50"
    w.open(backend_acked=0, first_stored=None, last_seq=60)
    assert w.sent_upto == 60


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    b = Backoff(base=1, cap=8, min_delay=0.1, rand=lambda: 1.0)
    assert [b.next_delay() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    low = Backoff(base=1, cap=8, min_delay=0.1, rand=lambda: 0.0)
    assert low.next_delay() == pytest.approx(0.1)
    b.connected_for(2)
    assert b.attempt == 6
    b.connected_for(60)
    assert b.attempt == 0


def test_token_is_read_not_verified() -> None:
    exp = datetime(2030, 1, 1, tzinfo=UTC)
    token = jwt.encode({"sub": "42", "exp": int(exp.timestamp())}, "any-key-at-all" * 3,
                       "HS256")
    info = read_unverified_claims(token)
    assert info.subject == "42" and info.expires_at == exp
    assert not info.expired(exp - timedelta(days=2))
    assert info.expires_soon(exp - timedelta(hours=23))
    assert info.expired(exp)
    with pytest.raises(TokenProblem):
        read_unverified_claims("nonsense")
    with pytest.raises(TokenProblem, match="no user"):
        read_unverified_claims(jwt.encode({"exp": 1}, "k" * 40, "HS256"))


def _cmd(text: str):  # type: ignore[no-untyped-def]
    return parse_command(text)


TRADE = ('{"command":"execute_trade","request_id":"r","data":'
         '{"symbol":"%s","type":"buy","lots":%s}}')


def test_risk_guard() -> None:
    off = RiskGuard(RiskPolicy(remote_trading=False))
    assert off.check(_cmd(TRADE % ("EURUSD", 1))).code == "remote_trading_disabled"
    assert off.check(_cmd('{"command":"get_snapshot","request_id":"q"}')) is None
    g = RiskGuard(RiskPolicy(max_lots=1.0, allowed_symbols=frozenset({"eurusd"})))
    assert g.check(_cmd(TRADE % ("EURUSD", 1))) is None
    assert g.check(_cmd(TRADE % ("EURUSD", 1.01))).code == "max_lots_exceeded"
    assert g.check(_cmd(TRADE % ("GBPUSD", 0.1))).code == "symbol_not_allowed"
    assert g.check(_cmd('{"command":"close_all","request_id":"c"}')) is None
