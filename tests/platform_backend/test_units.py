from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from platform_backend.agent_view import AgentView
from platform_backend.auth import AuthError, bearer, issue_token, verify_token
from platform_backend.store import GatewayOwnedElsewhere, Store

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


def test_store_dedup_state_and_ownership(tmp_path: Path) -> None:
    store = Store(tmp_path / "b.sqlite3")
    assert store.claim_gateway("gw-000000001", "42", "n1") == 0
    with pytest.raises(GatewayOwnedElsewhere):
        store.claim_gateway("gw-000000001", "7", "n1")
    v = AgentView("demo-1", status="connected", account={"balance": 5})
    store.commit_batch("gw-000000001", "42", 3, [v], [(1, "demo-1", "x"), (2, "demo-1", "x"),
                                                      (3, "demo-1", "x")])
    store.commit_batch("gw-000000001", "42", 2, [], [(2, "demo-1", "x")])  # old: ignored
    assert store.acked_seq("gw-000000001") == 3
    assert store.logged_seqs("gw-000000001") == [1, 2, 3]
    assert set(store.load_agents("42")) == {"demo-1"} and store.load_agents("7") == {}
    loc = store.locate("42", "demo-1")
    assert loc is not None and loc.online and loc.node_id == "n1"
    assert store.locate("7", "demo-1") is None
    store.release_node("n1")
    loc = store.locate("42", "demo-1")
    assert loc is not None and not loc.online
