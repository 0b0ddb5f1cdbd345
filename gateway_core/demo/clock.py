"""The time source a demo terminal runs on.

The simulation never reads the system clock itself: tests hand it a clock they move by
hand, so throttles, heartbeats and expirations are checked without sleeping. Any object with
these two methods fits (gateway_core's own clocks do).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; drives intervals and throttles."""
        ...

    def now(self) -> datetime:
        """Aware wall-clock time; stamped on events, order open/close times, expirations."""
        ...


class SystemClock:
    """The real clocks, for demo terminals talking to a live gateway."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)
