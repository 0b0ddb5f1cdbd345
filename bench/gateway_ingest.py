"""How fast the gateway takes events from many EAs to a local subscriber.

Runs, in one go and on the same machine:
  * our gateway (`mt4-gateway serve`, validation on), subscriber on /commands;
  * the spec's gateway design (../shared/peers/seed_gateway.py: FastAPI, json.loads, no
    validation), whose only consumer is its backend socket, so its "subscriber" is a
    plain WebSocket sink standing in for that backend.
Each gateway process is pinned to CPU 0 ("one core") while its throughput is measured;
this process, which generates the load and receives the output, runs beside it. For the
latency runs the pin is lifted so a neighbour on CPU 0 does not count against either.
For 1, 50 and 200 agents it measures events/s with every agent sending as fast as it can,
then p50/p99 agent-to-subscriber latency at a steady 1,000 events/s in total.

    python bench/gateway_ingest.py [--agents 1,50,200] [--events 40000] [--skip-seed]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rawws import RawAgent

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "peers" / "seed_gateway.py"
TOKEN = "bench-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpu: int) -> Callable[[], None] | None:
    if (not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2
            or os.environ.get("BENCH_NO_PIN")):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def event(seq: int) -> bytes:
    ts = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    bid = 1.1 + (seq % 100) * 1e-5
    return (f'{{"type":"quote","timestamp":"{ts}","data":{{"symbol":"EURUSD",'
            f'"bid":{bid:.5f},"ask":{bid + 0.0002:.5f}}}}}').encode()


_TS = re.compile(rb'"timestamp":\s*"([^"]+)"')


def latency_of(raw: bytes | str) -> float | None:
    data = raw.encode() if isinstance(raw, str) else raw
    if b'"quote"' not in data:
        return None
    m = _TS.search(data)
    if not m:
        return None
    sent = datetime.fromisoformat(m.group(1).decode().replace("Z", "+00:00"))
    return (datetime.now(UTC) - sent).total_seconds()


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.latencies: list[float] = []
        self.record = False
        self.first: float | None = None
        self.last = 0.0
        self.changed = asyncio.Event()

    def feed(self, raw: bytes | str) -> None:
        lat = latency_of(raw)
        if lat is None:
            return
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        self.last = now
        self.count += 1
        if self.record:
            self.latencies.append(lat)
        self.changed.set()

    async def wait_for(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"only {self.count} of {n} events arrived")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    def reset(self) -> None:
        self.count = 0
        self.first = None
        self.latencies = []


@dataclass
class Target:
    name: str
    port: int
    agent_path: Callable[[str], str]
    token: str | None
    pid: int

    def set_cpus(self, cpus: set[int] | None) -> None:
        """Throughput is measured on one core; latency with the scheduler free to move the
        process, so a neighbour on that core does not count against the gateway."""
        if cpus is None or not hasattr(os, "sched_setaffinity"):
            return
        with contextlib.suppress(OSError):
            os.sched_setaffinity(self.pid, cpus)


@contextlib.asynccontextmanager
async def our_gateway(counter: Counter) -> AsyncIterator[Target]:
    with tempfile.TemporaryDirectory() as tmp:
        tf = Path(tmp) / "token"
        tf.write_text(TOKEN)
        env = dict(os.environ, MT4_COMPANION_CONFIG_DIR=tmp, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway_core.cli", "serve", "--port", "0",
             "--token-file", str(tf), "--agent-rate", "1000000", "--log-level", "WARNING"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
            preexec_fn=pin(0), cwd=ROOT)
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        port = int(line.split("127.0.0.1:")[1].split()[0])
        async with connect(f"ws://127.0.0.1:{port}/commands", max_size=None,
                           additional_headers={"Authorization": f"Bearer {TOKEN}"}) as sub:
            reader = asyncio.create_task(_pump(sub, counter))
            try:
                yield Target("ours", port, lambda a: f"/mt4/{a}", TOKEN, proc.pid)
            finally:
                reader.cancel()
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 15)


async def _pump(ws: object, counter: Counter) -> None:
    with contextlib.suppress(Exception):
        async for raw in ws:  # type: ignore[attr-defined]
            counter.feed(raw)


@contextlib.asynccontextmanager
async def seed_gateway(counter: Counter) -> AsyncIterator[Target]:
    async def sink(ws: ServerConnection) -> None:
        await _pump(ws, counter)

    backend_port = free_port()
    async with serve(sink, "127.0.0.1", backend_port, max_size=None, compression=None):
        port = free_port()
        env = dict(os.environ, BACKEND_WS_URL=f"ws://127.0.0.1:{backend_port}/mt4")
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "seed_gateway:app", "--app-dir", str(SEED.parent),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, preexec_fn=pin(0))
        try:
            for _ in range(200):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    await asyncio.sleep(0.05)
            yield Target("seed", port, lambda a: f"/mt4/{a}", None, proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 15)


async def throughput(target: Target, counter: Counter, agents: int, total: int) -> float:
    conns = [await RawAgent.connect("127.0.0.1", target.port, target.agent_path(f"b{i}"),
                                    target.token) for i in range(agents)]
    # Warm-up: one event each, so connection setup is not timed.
    counter.reset()
    await asyncio.gather(*(c.send_many([event(0)]) for c in conns))
    await counter.wait_for(agents, 30)
    counter.reset()
    per_agent = max(1, total // agents)
    batch = 64

    async def pump(c: RawAgent) -> None:
        sent = 0
        while sent < per_agent:
            n = min(batch, per_agent - sent)
            await c.send_many([event(sent + k) for k in range(n)])
            sent += n
            await asyncio.sleep(0)

    start = time.perf_counter()
    await asyncio.gather(*(pump(c) for c in conns))
    await counter.wait_for(per_agent * agents, 120)
    elapsed = counter.last - start
    for c in conns:
        await c.close()
    return per_agent * agents / elapsed


async def latency(target: Target, counter: Counter, agents: int, rate: float,
                  seconds: float) -> tuple[float, float]:
    conns = [await RawAgent.connect("127.0.0.1", target.port, target.agent_path(f"l{i}"),
                                    target.token) for i in range(agents)]
    counter.reset()
    await asyncio.gather(*(c.send_many([event(0)]) for c in conns))
    await counter.wait_for(agents, 30)
    counter.reset()
    counter.record = True
    n = int(rate * seconds)
    start = time.perf_counter()
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await conns[i % agents].send_many([event(i)])
    await counter.wait_for(n, 30)
    counter.record = False
    for c in conns:
        await c.close()
    lat = sorted(counter.latencies)
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    if os.environ.get("BENCH_VERBOSE"):
        pct = [lat[int(len(lat) * q)] * 1000 for q in (0.9, 0.95, 0.98)]
        print(f"   p90/p95/p98 {pct[0]:.3f}/{pct[1]:.3f}/{pct[2]:.3f} ms, max "
              f"{lat[-1] * 1000:.3f} ms, n={len(lat)}")
    return p50, p99


async def run(args: argparse.Namespace) -> None:
    agent_counts = [int(x) for x in args.agents.split(",")]
    targets = [("ours", our_gateway)]
    if not args.skip_seed:
        targets.append(("seed", seed_gateway))
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    for name, factory in targets:
        for agents in agent_counts:
            counter = Counter()
            async with factory(counter) as target:
                eps = await throughput(target, counter, agents, args.events)
                target.set_cpus(set(range(os.cpu_count() or 1)))
                p50, p99 = await latency(target, counter, agents, args.rate, args.seconds)
            results[(name, agents)] = (eps, p50, p99)
            print(f"{name:5s} agents={agents:4d}  {eps:9.0f} events/s   "
                  f"at {args.rate:.0f}/s: p50 {p50:6.3f} ms  p99 {p99:6.3f} ms", flush=True)
    print()
    print("agents | ours events/s | seed events/s | ratio | ours p50/p99 ms | seed p50/p99 ms")
    for agents in agent_counts:
        o = results[("ours", agents)]
        s = results.get(("seed", agents))
        ratio = f"{o[0] / s[0]:5.2f}x" if s else "-"
        seed_rate = f"{s[0]:13.0f}" if s else "-"
        seed_lat = f"{s[1]:.3f}/{s[2]:.3f}" if s else "-"
        print(f"{agents:6d} | {o[0]:13.0f} | {seed_rate:>13s} | {ratio:>5s} | "
              f"{o[1]:.3f}/{o[2]:.3f}     | {seed_lat}")
    print()
    print("targets: >= 20,000 events/s on one core with validation; p99 < 2 ms at 1,000/s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agents", default="1,50,200")
    p.add_argument("--events", type=int, default=40_000, help="events per throughput run")
    p.add_argument("--rate", type=float, default=1000.0, help="events/s for latency")
    p.add_argument("--seconds", type=float, default=5.0, help="latency run length")
    p.add_argument("--skip-seed", action="store_true")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
