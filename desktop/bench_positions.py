"""UI benchmark: `python -m desktop.bench_positions [SECONDS] [POSITIONS] [RATE]`.

1,000 positions updated 10 times a second (every position's price and profit change each
time: the worst case) into the real PositionsModel behind a visible, sorted table view on
the qasync loop. Reports CPU use of the process, the worst event-loop stall (a 5 ms ticker
measures how late it wakes) and peak RSS. Targets (issue 5): stall < 50 ms, RSS < 250 MB.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime

import qasync

from gateway_core.protocol import (
    AccountData,
    PositionData,
    PositionsUpdate,
    PositionsUpdateData,
    PositionTick,
    Snapshot,
    SnapshotData,
)

from .main_window import table
from .positions_model import PositionsModel
from .qt import QApplication


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def bench(seconds: float, positions: int, rate: float) -> dict[str, float]:
    model = PositionsModel()
    view = table(model)
    view.resize(1200, 700)
    if not os.environ.get("BENCH_NO_VIEW"):
        view.show()
    now = datetime.now(UTC)
    account = AccountData(balance=1e5, equity=1e5, margin=0, margin_free=1e5, margin_level=0)
    model.apply("bench", Snapshot(type="snapshot", timestamp=now, data=SnapshotData(
        account=account,
        positions=[PositionData(ticket=1 + i, symbol="EURUSD", type="buy", lots=0.1,
                                open_price=1.1, current_price=1.1, profit=0.0, swap=0.0)
                   for i in range(positions)])))
    if os.environ.get("BENCH_GC_FREEZE"):
        gc.freeze()
    rng = random.Random(1)
    stalls: list[float] = []
    stop = time.perf_counter() + seconds

    apply_worst = 0.0
    # The first second (first paint of 1,000 rows, caches warming) is not the steady state.
    warm = time.perf_counter() + 1.0

    async def ticker() -> None:
        while time.perf_counter() < stop:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            if t > warm:
                stalls.append(time.perf_counter() - t - 0.005)

    async def feed() -> int:
        n = 0
        while time.perf_counter() < stop:
            ticks = [PositionTick(ticket=1 + i, current_price=1.1 + rng.uniform(-0.01, 0.01),
                                  profit=rng.uniform(-100, 100)) for i in range(positions)]
            event = PositionsUpdate(type="positions_update", timestamp=now,
                                    data=PositionsUpdateData(positions=ticks))
            t = time.perf_counter()
            model.apply("bench", event)
            nonlocal apply_worst
            apply_worst = max(apply_worst, time.perf_counter() - t)
            n += 1
            await asyncio.sleep(1 / rate)
        return n

    cpu0, wall0 = time.process_time(), time.perf_counter()
    _, updates = await asyncio.gather(ticker(), feed())
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    stalls.sort()
    return {"updates": updates, "cpu_percent": 100 * cpu / wall,
            "worst_stall_ms": stalls[-1] * 1000 if stalls else 0.0,
            "p99_stall_ms": stalls[int(len(stalls) * 0.99)] * 1000 if stalls else 0.0,
            "rss_mb": peak_rss_mb(), "signals": model.change_signals,
            "apply_worst_ms": apply_worst * 1000}


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    positions = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        # The same ticker on the same loop with no positions at all: what the platform's
        # timers cost by themselves, so the table's share of a stall can be told apart.
        idle = loop.run_until_complete(bench(min(seconds, 10.0), 0, rate))
        r = loop.run_until_complete(bench(seconds, positions, rate))
    print(f"idle qasync loop: p99 stall {idle['p99_stall_ms']:.1f} ms, "
          f"worst {idle['worst_stall_ms']:.1f} ms")
    print(f"{positions} positions x {rate:g}/s for {seconds:g} s: {r['updates']:.0f} updates, "
          f"CPU {r['cpu_percent']:.1f} %, loop stall p99 {r['p99_stall_ms']:.1f} ms / worst "
          f"{r['worst_stall_ms']:.1f} ms, peak RSS {r['rss_mb']:.0f} MB, "
          f"{r['signals']:.0f} dataChanged signals, worst model update "
          f"{r['apply_worst_ms']:.1f} ms")
    ok = r["p99_stall_ms"] < 50 and r["rss_mb"] < 250
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
