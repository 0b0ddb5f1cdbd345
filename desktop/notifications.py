"""Desktop notifications for fills, closes, errors and lost connections, rate-limited so a
close-all of 50 positions is one message, not 50."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .qt import QObject, QTimer

Show = Callable[[str, str, str], None]  # title, text, level


@dataclass
class RateLimiter:
    """At most one message per `interval` seconds; what arrives in between is counted and
    summarised in the next message."""

    interval: float = 5.0
    clock: Callable[[], float] = time.monotonic
    last: float = field(default=-1e18)
    held: list[tuple[str, str, str]] = field(default_factory=list)

    def offer(self, title: str, text: str, level: str) -> tuple[str, str, str] | None:
        now = self.clock()
        if now - self.last >= self.interval and not self.held:
            self.last = now
            return title, text, level
        self.held.append((title, text, level))
        return None

    def due(self) -> float:
        return max(0.0, self.last + self.interval - self.clock())

    def flush(self) -> tuple[str, str, str] | None:
        if not self.held or self.due() > 0:
            return None
        held, self.held = self.held, []
        self.last = self.clock()
        if len(held) == 1:
            return held[0]
        worst = "error" if any(h[2] == "error" for h in held) else held[-1][2]
        lines = [h[1] for h in held[-3:]]
        more = f"\n...and {len(held) - 3} more" if len(held) > 3 else ""
        return f"{len(held)} updates", "\n".join(lines) + more, worst


class Notifier(QObject):
    def __init__(self, show: Show, parent: QObject | None = None, interval: float = 5.0) -> None:
        super().__init__(parent)
        self.enabled = True
        self.show = show
        self.limiter = RateLimiter(interval)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)

    def notify(self, title: str, text: str, level: str = "info") -> None:
        if not self.enabled:
            return
        now = self.limiter.offer(title, text, level)
        if now is not None:
            self.show(*now)
        elif not self._timer.isActive():
            self._timer.start(int(self.limiter.due() * 1000) + 50)

    def _flush(self) -> None:
        out = self.limiter.flush()
        if out is not None and self.enabled:
            self.show(*out)
        elif self.limiter.held:
            self._timer.start(int(self.limiter.due() * 1000) + 50)
