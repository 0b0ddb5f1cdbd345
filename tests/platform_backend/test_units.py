from __future__ import annotations

import time

import jwt
import pytest

from platform_backend.agent_view import AgentView
from platform_backend.auth import AuthError, bearer, issue_token, verify_token
from platform_backend.store_url import parse_store_url

SECRET = "s" * 40


def test_tokens() -> None:
    assert verify_token(issue_token("42", SECRET), SECRET).user_id == "42"
    cases = {
        "missing": None,
        "expired": issue_token("42", SECRET, ttl_s=-60),
        "invalid": issue_token("42", "t" * 40),
        "bad_subject": jwt.encode({"sub": "a b", "exp": time.time() + 60}, SECRET, "HS256"),
    }
    for kind, token in cases.items():
        with pytest.raises(AuthError) as err:
            verify_token(token, SECRET)
        assert err.value.kind == kind
    with pytest.raises(AuthError):  # alg none is never accepted
        verify_token(jwt.encode({"sub": "42", "exp": time.time() + 60}, None, "none"), SECRET)
    assert bearer("Bearer abc") == "abc" and bearer("Basic abc") is None


POS = {"ticket": 7, "symbol": "EURUSD", "type": "buy", "lots": 1.0, "open_price": 1.1,
       "stop_loss": 0.0, "take_profit": 0.0}


def test_agent_view_folds_events_and_round_trips() -> None:
    v = AgentView("a")
    v.apply({"type": "snapshot", "data": {"account": {"balance": 1}, "positions": [POS],
                                          "pending_orders": []}})
    v.apply({"type": "position_modified", "data": {"ticket": 7, "stop_loss": 1.0,
                                                   "take_profit": 1.2}})
    v.apply({"type": "position_partially_closed", "data": {"ticket": 7, "new_ticket": 8,
                                                           "remaining_lots": 0.4}})
    v.apply({"type": "order_placed", "data": {**POS, "ticket": 9, "type": "buy_limit",
                                              "price": 1.0}})
    v.apply({"type": "order_triggered", "data": {**POS, "ticket": 9}})
    v.apply({"type": "positions_update", "data": {"positions": [{"ticket": 8, "profit": 5.0}]}})
    assert set(v.positions) == {8, 9} and v.pending_orders == {}
    assert v.positions[8]["lots"] == 0.4 and v.positions[8]["profit"] == 5.0
    assert v.positions[8]["stop_loss"] == 1.0
    v.apply({"type": "position_closed", "data": {"ticket": 9}})
    back = AgentView.from_json("a", v.to_json())
    assert back.positions == v.positions and back.account == {"balance": 1}
    snap = back.snapshot_event()
    assert snap is not None and snap["type"] == "snapshot" and snap["agent_id"] == "a"


def test_store_urls() -> None:
    assert parse_store_url("x/platform.sqlite3").kind == "sqlite"
    assert parse_store_url("sqlite:////abs/p.db").target == "/abs/p.db"
    pg = parse_store_url("postgresql://u:secret@db.example:5433/platform")
    assert pg.kind == "postgresql" and "secret" not in pg.redacted()
    for bad in ("", "mysql://h/db", "postgresql://h", "sqlite://nopath"):
        with pytest.raises(ValueError):  # noqa: PT011 - each message is its own
            parse_store_url(bad)
