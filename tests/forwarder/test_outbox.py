from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway_core.forwarder.outbox import Outbox, OutItem
from gateway_core.forwarder.sqlite_store import open_store


def items(n: int, kind: str = "position_opened", start: int = 0) -> list[OutItem]:
    return [OutItem("demo-1", kind, f'{{"type":"{kind}","n":{start + i}}}') for i in range(n)]


def test_sequence_numbers_count_up_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    ob = Outbox(open_store(path))
    stored = ob.append(items(3))
    assert [s.seq for s in stored] == [1, 2, 3]
    assert stored[0].frame == ('{"type":"event","seq":1,"agent_id":"demo-1","event":'
                               '{"type":"position_opened","n":0}}')
    gid = ob.gateway_id
    ob.ack(3)
    ob.prune()  # everything acknowledged is deleted: the last seq must still be known
    again = Outbox(open_store(path))
    assert again.gateway_id == gid and again.depth == 0 and again.last_seq == 3
    assert [s.seq for s in again.append(items(2))] == [4, 5]


def test_unacked_items_come_back_in_order_and_acks_prune(tmp_path: Path) -> None:
    ob = Outbox(open_store(tmp_path / "o.sqlite3"), prune_every=5)
    for i in range(10):  # one block per loop turn
        ob.append(items(1, start=i))
    assert [s.seq for s in ob.pending(after=0)] == list(range(1, 11))
    assert [s.seq for s in ob.pending(after=4, limit=3)] == [5, 6, 7]
    ob.ack(6)
    assert ob.depth == 4 and ob.first_seq() == 7
    ob.ack(5)  # an old ack changes nothing
    assert ob.acked_seq == 6
    reopened = Outbox(open_store(tmp_path / "o.sqlite3"), prune_every=3)
    assert reopened.acked_seq == 6 and reopened.depth == 4
    assert [s.seq for s in reopened.pending(after=reopened.acked_seq)] == [7, 8, 9, 10]
    reopened.ack(8)  # fewer than 3 since the last prune: rows stay for now
    assert [s.seq for s in reopened.pending(after=0)] == [7, 8, 9, 10]
    reopened.ack(9)  # now they go, in bulk
    assert [s.seq for s in reopened.pending(after=0)] == [10]


def test_blocks_split_on_resend(tmp_path: Path) -> None:
    ob = Outbox(open_store(tmp_path / "o.sqlite3"), prune_every=1)
    ob.append(items(5))
    ob.append(items(5, start=5))
    ob.ack(3)  # inside the first block: the block stays, only 4.. is pending
    assert ob.first_seq() == 4
    assert [s.seq for s in ob.pending(after=ob.acked_seq, limit=4)] == [4, 5, 6, 7]
    frames = [s.frame for s in ob.pending(after=7)]
    assert [f'"n":{n}' in f for n, f in zip((7, 8, 9), frames, strict=True)] == [True] * 3


def test_bound_drops_live_ticks_first_then_everything(caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    ob = Outbox(open_store(":memory:"), max_items=4)
    ob.append(items(4))
    with caplog.at_level(logging.WARNING):
        kept = ob.append(items(3, "positions_update") + items(2, "position_closed"))
    assert [s.seq for s in kept] == [5, 6]  # ticks dropped, trades kept, no seq gap
    assert ob.dropped == 3 and ob.full
    assert "outbox full" in caplog.text
    ob.append(items(2))
    with caplog.at_level(logging.ERROR):
        assert ob.append(items(1)) == []  # hard limit: twice the bound
    assert "hard limit" in caplog.text
    ob.ack(ob.last_seq)
    assert [s.seq for s in ob.append(items(1, "quote"))] == [9]
