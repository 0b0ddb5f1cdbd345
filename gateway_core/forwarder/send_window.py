"""What to send next on the current backend connection, in sequence order.

After the backend's `welcome` (its highest stored seq) everything after it is sent again
from the outbox, oldest first; items stored while connected are sent from memory without
reading them back. At most `max_in_flight` items are sent and not yet acknowledged.
Plain logic: the outbox is read through `backlog`, a function.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .outbox import Stored

Backlog = Callable[[int, int], list[Stored]]
"""(after_seq, limit) -> stored items with a higher seq, oldest first."""


class SendWindow:
    def __init__(
        self, *, max_in_flight: int = 50_000, batch_max: int = 1000, live_max: int = 100_000
    ) -> None:
        self.max_in_flight = max_in_flight
        self.batch_max = batch_max
        self.live_max = live_max
        self.active = False
        self.sent_upto = 0
        self.acked = 0
        self._live: deque[Stored] = deque()

    def open(self, backend_acked: int, first_stored: int | None, last_seq: int) -> None:
        """A connection is up and the backend has everything up to `backend_acked`.

        Sending starts after `backend_acked`, or at the oldest item still stored if that is
        later (the backend lost data we had pruned after its ack: snapshots follow anyway),
        and never beyond `last_seq`.
        """
        self.active = True
        if first_stored is None:
            start = last_seq
        else:
            start = min(max(backend_acked, first_stored - 1), last_seq)
        self.sent_upto = start
        self.acked = start
        self._live.clear()

    def close(self) -> None:
        self.active = False
        self._live.clear()

    def stored(self, items: list[Stored]) -> None:
        """Items just written to the outbox."""
        if not self.active or not items:
            return
        if len(self._live) + len(items) > self.live_max:
            self._live.clear()  # fall back to reading the outbox
            return
        self._live.extend(items)

    @property
    def in_flight(self) -> int:
        return self.sent_upto - self.acked

    def next_batch(self, backlog: Backlog) -> list[str]:
        """Frames to send now (possibly none); marks them sent."""
        if not self.active:
            return []
        room = min(self.batch_max, self.max_in_flight - self.in_flight)
        if room <= 0:
            return []
        live = self._live
        while live and live[0].seq <= self.sent_upto:
            live.popleft()
        if live and live[0].seq == self.sent_upto + 1:
            n = min(room, len(live))
            out = [live.popleft() for _ in range(n)]
        else:
            out = backlog(self.sent_upto, room)
        if not out:
            return []
        self.sent_upto = out[-1].seq
        return [s.frame for s in out]

    def ack(self, seq: int) -> bool:
        """Returns True when this acknowledges something new."""
        if seq <= self.acked:
            return False
        self.acked = min(seq, self.sent_upto) if self.active else seq
        return True
