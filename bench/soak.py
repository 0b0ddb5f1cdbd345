"""Soak: 200 EAs with churn and 3 readers for minutes, against a gateway process.

Targets (each its own process, so RSS and descriptors are the gateway's alone):
  * cli      `mt4-gateway serve` (validation on), readers on /commands;
  * desktop  the desktop app's in-process gateway (`desktop.runtime.Runtime`, no Qt);
  * seed     the spec's gateway design (../shared/peers/seed_gateway.py), whose only output
             is its backend socket, so its one "reader" is a WebSocket sink for that.
Load: every agent streams `quote` events at rate/agents per second, each carrying its own
sequence number (in `bid`) and send time (in `timestamp`). Churn: 1 % of the agents per
second reconnect, a third of those by dropping TCP (RST) instead of closing. An agent
pauses 0.3 s before it leaves, so everything it sent was read by the gateway: a drop
cannot lose data in flight, and any gap a reader sees is the gateway's.
Readers: 3 on /commands, one reconnecting every 10 s. Per reader: events, lost (a gap in
an agent's sequence while connected), duplicated, p99 latency. Every 5 s: gateway RSS and
open descriptors.

    python bench/soak.py [--targets cli,desktop,seed] [--duration 120] [--rate 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import WebSocketException

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rawws import RawAgent

THIS = Path(__file__).resolve()
ROOT = THIS.parents[1]
# ../shared from the main checkout, ../../shared from a worktree under wt/.
SEED = next((d / "shared" / "peers" / "seed_gateway.py" for d in ROOT.parents
             if (d / "shared" / "peers" / "seed_gateway.py").exists()),
            ROOT.parent / "shared" / "peers" / "seed_gateway.py")
TOKEN = "soak-token-0123456789abcdefghij"
DROP_SHARE = 1 / 3
"""Share of the reconnects done by dropping TCP (RST) instead of closing."""
# The sequence number travels as a whole-number `bid`: the gateway re-serializes floats, so
# only the integer part is stable ("123" may come back as "123.0").
_EV = re.compile(r'"agent_id":"(s\d+)".*?"timestamp":"([^"]+)".*?"bid":(\d+)')
_EV_SEED = re.compile(r'"timestamp": "([^"]+)".*?"bid": (\d+).*?"agent_id": "(s\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def quote(seq: int) -> bytes:
    ts = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return (f'{{"type":"quote","timestamp":"{ts}","data":{{"symbol":"EURUSD",'
            f'"bid":{seq},"ask":{seq + 1}}}}}').encode()


@dataclass
class Reader:
    name: str
    received: int = 0
    lost: int = 0
    dup: int = 0
    sessions: int = 0
    failed_connects: int = 0
    latencies: list[float] = field(default_factory=list)
    last: dict[str, int] = field(default_factory=dict)

    def new_session(self) -> None:
        self.sessions += 1
        self.last = {}  # what was missed while away is not counted as lost

    def feed(self, agent: str, ts: str, seq: int) -> None:
        self.received += 1
        prev = self.last.get(agent)
        if prev is not None:
            if seq <= prev:
                self.dup += 1
                return
            self.lost += seq - prev - 1
        self.last[agent] = seq
        sent = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        self.latencies.append((datetime.now(UTC) - sent).total_seconds())

    def feed_raw(self, raw: str | bytes, seed: bool = False) -> None:
        text = raw.decode() if isinstance(raw, bytes) else raw
        if seed:
            m = _EV_SEED.search(text)
            if m:
                self.feed(m.group(3), m.group(1), int(m.group(2)))
            return
        m = _EV.search(text)
        if m:
            self.feed(m.group(1), m.group(2), int(m.group(3)))


@dataclass
class Target:
    name: str
    port: int
    pid: int
    readers_on_commands: bool


def proc_stats(pid: int) -> tuple[float, int]:
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


async def _port_from(proc: subprocess.Popen[str]) -> int:
    assert proc.stdout is not None
    while True:
        line = await asyncio.to_thread(proc.stdout.readline)
        if not line:
            raise RuntimeError("gateway exited before listening")
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if m:
            return int(m.group(1))


@contextlib.asynccontextmanager
async def start_target(name: str, sink: Reader):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MT4_COMPANION_CONFIG_DIR=tmp, PYTHONUNBUFFERED="1")
        server = None
        if name == "cli":
            tf = Path(tmp) / "token"
            tf.write_text(TOKEN)
            args = [sys.executable, "-m", "gateway_core.cli", "serve", "--port", "0",
                    "--token-file", str(tf), "--agent-rate", "1000000", "--log-level",
                    "WARNING"]
        elif name == "desktop":
            args = [sys.executable, str(THIS), "--host-desktop-runtime"]
        else:
            async def drain(ws: ServerConnection) -> None:
                with contextlib.suppress(Exception):
                    async for raw in ws:
                        sink.feed_raw(raw, seed=True)
            sink.new_session()
            backend_port = free_port()
            server = await serve(drain, "127.0.0.1", backend_port, max_size=None,
                                 compression=None)
            port = free_port()
            env["BACKEND_WS_URL"] = f"ws://127.0.0.1:{backend_port}/mt4"
            args = [sys.executable, "-m", "uvicorn", "seed_gateway:app", "--app-dir",
                    str(SEED.parent), "--host", "127.0.0.1", "--port", str(port),
                    "--log-level", "warning"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, env=env, cwd=ROOT)
        try:
            if name == "seed":
                for _ in range(200):
                    with contextlib.suppress(OSError):
                        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                        break
                    await asyncio.sleep(0.05)
            else:
                port = await _port_from(proc)
            yield Target(name, port, proc.pid, name != "seed")
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 15)
            if server is not None:
                server.close()


def reader_process(port: int, name: str, duration: float, reconnect_every: float | None,
                   out: Any) -> None:
    """One reader in its own process, so the load generator does not slow it down."""
    reader = Reader(name)

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(duration, stop.set)
        await reader_loop(port, reader, stop, reconnect_every)

    asyncio.run(run())
    out.put({"name": name, "received": reader.received, "lost": reader.lost,
             "dup": reader.dup, "sessions": reader.sessions,
             "failed_connects": reader.failed_connects,
             "p99_ms": p99_ms(reader.latencies)})


def p99_ms(latencies: list[float]) -> float | None:
    if len(latencies) < 100:
        return None
    return round(1000 * statistics.quantiles(latencies, n=100)[98], 1)


async def reader_loop(port: int, reader: Reader, stop: asyncio.Event,
                      reconnect_every: float | None) -> None:
    url = f"ws://127.0.0.1:{port}/commands"
    while not stop.is_set():
        try:
            async with connect(url, max_size=None, open_timeout=30, additional_headers={
                    "Authorization": f"Bearer {TOKEN}"}) as ws:
                reader.new_session()
                until = time.monotonic() + (reconnect_every or 1e9)
                while not stop.is_set() and time.monotonic() < until:
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 0.5)
                    except TimeoutError:
                        continue
                    reader.feed_raw(raw)
        except (OSError, TimeoutError, WebSocketException):
            reader.failed_connects += 1  # an overloaded gateway; try again


@dataclass
class Load:
    sent: int = 0
    reconnects: int = 0
    drops: int = 0


async def agent_loop(target: Target, idx: int, per_agent: float, load: Load,
                     stop: asyncio.Event, churn_p: float, rng: random.Random) -> None:
    path = f"/mt4/s{idx}"
    seq = 0
    period = 1.0 / per_agent
    while not stop.is_set():
        agent = await RawAgent.connect("127.0.0.1", target.port, path, TOKEN)
        try:
            nxt = time.monotonic()
            while not stop.is_set():
                seq += 1
                await agent.send_many([quote(seq)])
                load.sent += 1
                nxt += period
                await asyncio.sleep(max(0.0, nxt - time.monotonic()))
                if rng.random() < churn_p * period:
                    break
        finally:
            await asyncio.sleep(0.3)  # let the gateway read everything sent
            if rng.random() < DROP_SHARE:
                agent.writer.transport.abort()  # RST: a pulled cable
                load.drops += 1
            else:
                await agent.close()
            load.reconnects += 1


async def soak(name: str, agents: int, rate: float, duration: float) -> dict[str, object]:
    sink = Reader("backend-sink")
    async with start_target(name, sink) as target:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        procs = []
        results_q: Any = multiprocessing.Queue()
        if target.readers_on_commands:
            for rname in ("steady-1", "steady-2", "reconnecting"):
                every = 10.0 if rname == "reconnecting" else None
                pr = multiprocessing.Process(target=reader_process, args=(
                    target.port, rname, duration + 3, every, results_q))
                pr.start()
                procs.append(pr)
            await asyncio.sleep(1.0)
        load = Load()
        rng = random.Random(7)
        tasks += [asyncio.create_task(agent_loop(target, i, rate / agents, load, stop, 0.01,
                                                 rng)) for i in range(agents)]
        samples: list[tuple[float, float, int, int, int]] = []
        t0 = time.monotonic()
        last_sent = 0
        while time.monotonic() - t0 < duration:
            await asyncio.sleep(5)
            elapsed = time.monotonic() - t0
            rss, fds = proc_stats(target.pid)
            rate_now = (load.sent - last_sent) / 5
            last_sent = load.sent
            samples.append((round(elapsed), rss, fds, int(rate_now), load.reconnects))
            print(f"  [{name}] t={elapsed:5.0f}s rss={rss:6.1f} MB fds={fds:4d} "
                  f"sent/s={rate_now:6.0f} reconnects={load.reconnects}", flush=True)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        readers = ([await asyncio.to_thread(results_q.get, True, 120) for _ in procs]
                   if procs else [{"name": sink.name, "received": sink.received,
                                   "lost": sink.lost, "dup": sink.dup,
                                   "sessions": sink.sessions, "failed_connects": 0,
                                   "p99_ms": p99_ms(sink.latencies)}])
        for pr in procs:
            pr.join(10)
        warm = [s[1] for s in samples if s[0] >= 20] or [samples[0][1]]
        if not warm[0]:
            raise RuntimeError(f"{name} gateway died during the soak")
        result = {
            "target": name, "agents": agents, "duration_s": round(duration),
            "sent": load.sent, "ev_per_s": round(load.sent / duration),
            "reconnects": load.reconnects, "tcp_drops": load.drops,
            "rss_mb": [s[1] for s in samples], "fds": [s[2] for s in samples],
            "rss_growth_after_warmup_pct": round(100 * (warm[-1] - warm[0]) / warm[0], 1),
            "readers": {r["name"]: r for r in sorted(readers, key=lambda r: r["name"])},
        }
        return result


def host_desktop_runtime() -> None:
    from desktop.runtime import Runtime, RuntimeOptions

    async def run() -> None:
        rt = Runtime(RuntimeOptions(token=TOKEN, port=0))
        port = await rt.start()
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        asyncio.run(run())


def main() -> None:
    global DROP_SHARE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default="cli,desktop,seed")
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--rate", type=float, default=2000, help="events/s in total")
    ap.add_argument("--duration", type=float, default=120, help="seconds per target")
    ap.add_argument("--drop-share", type=float, default=DROP_SHARE,
                    help="share of reconnects by TCP drop (default 1/3)")
    ap.add_argument("--host-desktop-runtime", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.host_desktop_runtime:
        host_desktop_runtime()
        return
    DROP_SHARE = args.drop_share
    results = []
    for name in args.targets.split(","):
        print(f"soak {name}: {args.agents} agents, {args.rate:.0f} ev/s, "
              f"{args.duration:.0f} s", flush=True)
        results.append(asyncio.run(soak(name, args.agents, args.rate, args.duration)))
    print()
    for r in results:
        print(f"{r['target']:8s} {r['ev_per_s']} ev/s sent, {r['reconnects']} reconnects "
              f"({r['tcp_drops']} TCP drops), RSS {r['rss_mb'][0]:.0f}->{r['rss_mb'][-1]:.0f} MB "
              f"(+{r['rss_growth_after_warmup_pct']} % after warm-up), fds "
              f"{min(r['fds'])}-{max(r['fds'])}")  # type: ignore[index,arg-type,type-var]
        for rn, rv in r["readers"].items():  # type: ignore[attr-defined]
            print(f"    {rn:13s} received {rv['received']:8d} lost {rv['lost']} "
                  f"dup {rv['dup']} sessions {rv['sessions']} (failed connects "
                  f"{rv['failed_connects']}) p99 {rv['p99_ms']} ms")
    ours = {r["target"]: r for r in results}
    if "cli" in ours and "seed" in ours:
        a, b = ours["cli"]["readers"], ours["seed"]["readers"]  # type: ignore[index]
        pa = a["steady-1"]["p99_ms"]
        pb = b["backend-sink"]["p99_ms"]
        if pa and pb:
            print(f"p99 ratio ours/seed: {pa / pb:.2f}")


if __name__ == "__main__":
    main()
