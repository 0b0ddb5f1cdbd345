"""Forwarding benchmark: N simulated agents -> gateway -> backend, ours against the spec's.

Runs, in one go and on the same machine:
  ours: `mt4-gateway serve --backend-url ...` (validation and the durable SQLite outbox on)
        -> a backend sink that speaks our link (welcome, acks every frame it receives);
  seed: the spec's gateway (/work/shared/peers/seed_gateway.py, run with uvicorn from
        there, never copied) -> a plain websockets sink that just receives.
The agents are gateway_core.demo.loadgen streams (quote / positions_update events whose
`timestamp` is the send time), so each sink measures agent-to-backend latency itself.

Two phases per gateway: throughput (every agent sends as fast as it can) and latency at a
fixed total rate (default 1,000 events/s). Prints events/s, p50/p99 and the ratio.

    python bench/forward.py [--agents 4] [--events 20000] [--rate 1000] [--seconds 5]
                            [--rounds 3]

Note: our gateway limits each EA connection to 5,000 messages/s by default (--agent-rate);
the benchmark raises that limit, since the seed has none.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = Path(os.environ.get("SEED_GATEWAY_DIR", "/work/shared/peers"))
BIN = Path(sys.executable).parent
LOCAL_TOKEN = "bench-local-token-0123456789abcdef"
STREAM_TYPES = ('"type":"quote"', '"type":"positions_update"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- sink (its own process) -------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.latencies: list[float] = []

    def event(self, ev: dict[str, Any], now: float) -> None:
        ts = ev.get("timestamp")
        if ev.get("type") not in ("quote", "positions_update") or not isinstance(ts, str):
            return
        if self.count == 0:
            self.first = now
        self.count += 1
        self.last = now
        self.latencies.append(now - datetime.fromisoformat(ts).timestamp())

    def report(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0.0

        return {"count": self.count, "first": self.first, "last": self.last,
                "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                "mean_ms": statistics.fmean(lat) * 1000 if lat else 0.0}


async def run_sink(port: int, link: bool) -> None:
    stats = Stats()

    async def handle(ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else ""
        if path == "/control":
            async for cmd in ws:
                if cmd == "reset":
                    stats.reset()
                    await ws.send("ok")
                else:
                    await ws.send(json.dumps(stats.report()))
            return
        if link:
            await ws.recv()  # hello
            await ws.send(json.dumps({"type": "welcome", "link_version": 1,
                                      "user_id": "bench", "acked_seq": 0}))
        async for raw in ws:
            now = time.time()
            frame = json.loads(raw)
            if not link:
                stats.event(frame, now)
                continue
            items = frame["events"] if frame["type"] == "batch" else [frame]
            for item in items:
                stats.event(item["event"], now)
            await ws.send(f'{{"type":"ack","seq":{items[-1]["seq"]}}}')

    async with serve(handle, "127.0.0.1", port, max_size=None, compression=None):
        print("sink ready", flush=True)
        await asyncio.Future()


# -- driver -----------------------------------------------------------------------------


class Child:
    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.log = log
        with log.open("wb") as out:
            self.p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                      env={**os.environ, **(env or {})}, cwd=cwd)

    async def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.log.name}: no {text!r}:\n"
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()


async def control(port: int, cmd: str) -> dict[str, Any]:
    async with connect(f"ws://127.0.0.1:{port}/control", proxy=None) as ws:
        await ws.send(cmd)
        answer = await ws.recv()
    return {} if answer == "ok" else dict(json.loads(answer))


def cpu_seconds(pid: int | None) -> float:
    """User+system CPU time of a process (Linux /proc; 0 elsewhere)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def phase(gw_port: int, sink_port: int, agents: int, *, events: int | None,
                rate: float | None, seconds: float | None, pid: int | None = None
                ) -> dict[str, Any]:
    from gateway_core.demo.loadgen import run_load

    await control(sink_port, "reset")
    cpu0 = cpu_seconds(pid)
    started = time.time()
    stats = await run_load(f"ws://127.0.0.1:{gw_port}", LOCAL_TOKEN, agents,
                           events_per_second=(rate / agents) if rate else None,
                           duration=seconds, max_events=events)
    sent = sum(s.sent for s in stats)
    errors = [s.error for s in stats if s.error]
    deadline = time.monotonic() + 60
    report = await control(sink_port, "report")
    while report["count"] < sent and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        before = report["count"]
        report = await control(sink_port, "report")
        if report["count"] == before:
            await asyncio.sleep(0.5)
            report = await control(sink_port, "report")
            if report["count"] == before:
                break
    elapsed = max(1e-9, report["last"] - started)
    cpu_us = (cpu_seconds(pid) - cpu0) / max(1, report["count"]) * 1e6
    return {"sent": sent, "received": report["count"], "events_per_s": report["count"] / elapsed,
            "cpu_us_per_event": cpu_us,
            "p50_ms": report["p50_ms"], "p99_ms": report["p99_ms"], "errors": errors}


async def bench(targets: dict[str, tuple[int, int, int]], a: argparse.Namespace
                ) -> dict[str, dict[str, Any]]:
    """Interleaved rounds (ours, seed, ours, seed...) so background load on a shared
    machine hits both alike; each figure is the median over the rounds."""
    runs: dict[str, dict[str, list[Any]]] = {n: {"tput": [], "lat": []} for n in targets}
    for gw, sink, _pid in targets.values():  # warm up
        await phase(gw, sink, a.agents, events=500, rate=None, seconds=None)
    for _ in range(a.rounds):
        for name, (gw, sink, pid) in targets.items():
            runs[name]["tput"].append(await phase(gw, sink, a.agents, events=a.events,
                                                  rate=None, seconds=None, pid=pid))
        for name, (gw, sink, _pid) in targets.items():
            runs[name]["lat"].append(await phase(gw, sink, a.agents, events=None,
                                                 rate=a.rate, seconds=a.seconds))
    out: dict[str, dict[str, Any]] = {}
    for name, r in runs.items():
        out[name] = {
            "events_per_s": statistics.median(x["events_per_s"] for x in r["tput"]),
            "all_events_per_s": [round(x["events_per_s"]) for x in r["tput"]],
            "cpu_us": statistics.median(x["cpu_us_per_event"] for x in r["tput"]),
            "p50_ms": statistics.median(x["p50_ms"] for x in r["lat"]),
            "p99_ms": statistics.median(x["p99_ms"] for x in r["lat"]),
            "all_p99_ms": [round(x["p99_ms"], 2) for x in r["lat"]],
            "lost": sum(x["sent"] - x["received"] for x in r["tput"] + r["lat"]),
            "errors": [e for x in r["tput"] + r["lat"] for e in x["errors"]],
        }
    return out


async def drive(a: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-forward-"))
    children: list[Child] = []
    try:
        ours_sink, seed_sink = free_port(), free_port()
        for port, kind in ((ours_sink, "link"), (seed_sink, "plain")):
            c = Child([sys.executable, __file__, "--sink", kind, "--port", str(port)],
                      tmp / f"sink-{kind}.log")
            children.append(c)
            await c.wait_for("sink ready")
        import jwt

        (tmp / "local").write_text(LOCAL_TOKEN)
        (tmp / "jwt").write_text(jwt.encode({"sub": "bench", "exp": int(time.time()) + 3600},
                                            "bench-secret" * 4, "HS256"))
        ours_port, seed_port = free_port(), free_port()
        ours = Child([str(BIN / "mt4-gateway"), "serve", "--port", str(ours_port),
                      "--token-file", str(tmp / "local"), "--log-level", "WARNING",
                      "--agent-rate", "1000000",
                      "--backend-url", f"ws://127.0.0.1:{ours_sink}/mt4",
                      "--backend-token-file", str(tmp / "jwt"),
                      "--outbox", str(tmp / "outbox.sqlite3")], tmp / "ours.log",
                     env={"MT4_COMPANION_DATA_DIR": str(tmp)})
        children.append(ours)
        await ours.wait_for("listening on")
        seed = Child([str(BIN / "uvicorn"), "seed_gateway:app", "--app-dir", str(SEED_DIR),
                      "--port", str(seed_port), "--log-level", "warning"], tmp / "seed.log",
                     env={"BACKEND_WS_URL": f"ws://127.0.0.1:{seed_sink}/mt4"})
        children.append(seed)
        await seed.wait_for("Connected to backend")
        results = await bench({"ours": (ours_port, ours_sink, ours.p.pid),
                               "seed": (seed_port, seed_sink, seed.p.pid)}, a)
    finally:
        for c in children:
            c.stop()
    print(f"\nforwarding benchmark: {a.agents} agents; throughput: {a.events} events per "
          f"agent, as fast as possible; latency: {a.rate:.0f} events/s for {a.seconds:.0f} s; "
          f"median of {a.rounds} interleaved rounds; {os.cpu_count()} CPUs")
    print(f"{'gateway':8} {'events/s':>10} {'CPU us/ev':>10} {'p50 ms':>8} {'p99 ms':>8}   rounds")
    for name, r in results.items():
        print(f"{name:8} {r['events_per_s']:>10.0f} {r['cpu_us']:>10.1f} {r['p50_ms']:>8.2f} "
              f"{r['p99_ms']:>8.2f}   events/s {r['all_events_per_s']}, p99 {r['all_p99_ms']}")
        for err in r["errors"]:
            print(f"  {name}: {err}")
        if r["lost"]:
            print(f"  {name}: {r['lost']} events not received")
    ratio = results["ours"]["events_per_s"] / max(1e-9, results["seed"]["events_per_s"])
    cpu_ratio = results["seed"]["cpu_us"] / max(1e-9, results["ours"]["cpu_us"])
    p99 = results["ours"]["p99_ms"]
    print(f"ratio ours/seed: {ratio:.2f}x events/s (target >= 1.5x), {cpu_ratio:.2f}x events "
          f"per gateway CPU second; ours p99 at {a.rate:.0f}/s: {p99:.2f} ms (target < 5 ms)")
    print("(events/s and latency depend on what else runs on the machine; CPU per event "
          "much less so)")
    return 0 if ratio >= 1.5 and p99 < 5 and not results["ours"]["lost"] else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--agents", type=int, default=4)
    p.add_argument("--events", type=int, default=20_000, help="per agent, throughput phase")
    p.add_argument("--rate", type=float, default=1000.0, help="total events/s, latency phase")
    p.add_argument("--seconds", type=float, default=5.0, help="latency phase length")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    p.add_argument("--sink", choices=["link", "plain"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.sink:
        asyncio.run(run_sink(a.port, a.sink == "link"))
        return 0
    sys.path.insert(0, str(ROOT))
    return asyncio.run(drive(a))


if __name__ == "__main__":
    sys.exit(main())
