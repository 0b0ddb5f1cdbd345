"""How late this node's event loop runs its callbacks: a task that sleeps `every`
seconds and records how much later than asked it woke up. /health reports the p50/p99/max
of the last `window` seconds: anything blocking the loop (a slow store call, a large
frame) shows up here first."""

from __future__ import annotations

import asyncio
from collections import deque


class LoopLag:
    def __init__(self, every: float = 0.05, window: float = 10.0) -> None:
        self.every = every
        self._samples: deque[float] = deque(maxlen=max(1, int(window / every)))

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.every)
            self._samples.append(max(0.0, loop.time() - start - self.every))

    def summary_ms(self) -> dict[str, float]:
        if not self._samples:
            return {"p50": 0.0, "p99": 0.0, "max": 0.0}
        ordered = sorted(self._samples)
        n = len(ordered)
        return {"p50": round(ordered[n // 2] * 1000, 1),
                "p99": round(ordered[min(n - 1, int(n * 0.99))] * 1000, 1),
                "max": round(ordered[-1] * 1000, 1)}
