"""Platform scale benchmark: many simulated gateways -> N backend nodes -> web clients.

Runs, on this machine and in one go:
  * a real PostgreSQL (initdb + pg_ctl in a temp folder, fsync ON) and a real redis-server;
  * N `platform-backend serve` processes on PostgreSQL sharing Redis (and, for comparison,
    one node on SQLite);
  * a load generator process speaking the gateway link protocol (hello, welcome, event
    batches, acks): G gateways x T terminals, each terminal R account_update events/s,
    gateway i on node i % N, one batch per gateway per tick;
  * K web clients (python-socketio, websocket transport) of the first K users, each on a
    node other than its gateway's, measuring gateway-to-web latency from the event's
    `timestamp` (the send time).
The offered rate rises in steps; each step reports events/s sent and stored (acked:
an ack is only sent after the commit), the backlog (sent - acked) at its start and end,
p50/p99 latency, each node's event-loop lag p99 (from /health) and CPU, and the
database's CPU per stored event. A step is sustained when stored >= 97 % of sent and
the backlog did not grow by more than one second's worth.

    python bench/platform_scale.py [--gateways 1000] [--terminals 3] [--rate 2]
        [--nodes 3] [--steps 0.33,0.67,1,1.33] [--seconds 15] [--store both]

`--steps` are multiples of the nominal rate (gateways x terminals x rate). The spec's
gateway (/work/shared/peers/seed_gateway.py) has no platform side, so nothing of it runs here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp
import socketio
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from platform_backend.auth import issue_token
from platform_backend.pairing import new_token_id
from platform_backend.store import open_store
from platform_backend.store_postgres_pairing import pairing_storage_for
from tests.db_servers import PgServer, RedisServer, free_port

BIN = Path(sys.executable).parent
SECRET = "bench-secret-0123456789-abcdefghijklmnop"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


# -- load generator (its own process) ---------------------------------------------------


def account_event(seq: int, agent: str, equity: float) -> str:
    ts = datetime.now(UTC).isoformat()
    return (f'{{"type":"event","seq":{seq},"agent_id":"{agent}","event":{{"type":'
            f'"account_update","timestamp":"{ts}","data":{{"balance":10000.0,'
            f'"equity":{equity:.2f},"margin":0.0,"margin_free":{equity:.2f},'
            f'"margin_level":0.0}}}}}}')


class SimGateway:
    def __init__(self, index: int, url: str, token: str, terminals: int, run: str) -> None:
        self.gid = f"bench-{run}-{index:05d}"
        self.url = url
        self.token = token
        self.agents = [f"t{k}" for k in range(terminals)]
        self.seq = 0
        self.acked = 0
        self.ws: Any = None
        self.lost = False
        """The node closed this link (e.g. its keepalive ping went unanswered while the
        generator was starved of CPU); it sends nothing more."""

    async def open(self) -> None:
        self.ws = await connect(self.url, additional_headers={
            "Authorization": f"Bearer {self.token}"}, proxy=None, max_queue=None,
            ping_interval=None)
        await self.ws.send(json.dumps({"type": "hello", "link_version": 1,
                                       "gateway_id": self.gid, "gateway_version": "bench",
                                       "last_seq": 0}))
        welcome = json.loads(await self.ws.recv())
        self.seq = self.acked = int(welcome["acked_seq"])

    async def read_acks(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                msg = json.loads(raw)
                if msg.get("type") == "ack":
                    self.acked = max(self.acked, int(msg["seq"]))
        self.lost = True

    async def send_batch(self) -> int:
        if self.lost:
            return 0
        items = []
        for agent in self.agents:
            self.seq += 1
            items.append(account_event(self.seq, agent, 10000.0 + (self.seq % 997)))
        try:
            await self.ws.send('{"type":"batch","events":[' + ",".join(items) + "]}")
        except ConnectionClosed:
            self.lost = True
            self.seq -= len(items)
            return 0
        return len(items)


async def generator(cfg: dict[str, Any]) -> None:
    nodes: list[str] = cfg["nodes"]
    tokens = json.loads(Path(cfg["tokens"]).read_text())  # noqa: ASYNC240 - before the load
    gws = [SimGateway(i, f"ws://127.0.0.1:{nodes[i % len(nodes)]}/mt4", tokens[i],
                      cfg["terminals"], cfg["run"])
           for i in range(cfg["gateways"])]
    sem = asyncio.Semaphore(40)

    async def opened(g: SimGateway) -> None:
        async with sem:
            await g.open()

    await asyncio.gather(*(opened(g) for g in gws))
    readers = [asyncio.ensure_future(g.read_acks()) for g in gws]
    print(json.dumps({"op": "ready"}), flush=True)
    loop = asyncio.get_running_loop()
    for mult in cfg["steps"]:
        per_s = cfg["rate"] * mult  # batches per gateway per second
        period = 1.0 / per_s
        sent0 = sum(g.seq for g in gws)
        acked0 = sum(g.acked for g in gws)
        t0 = time.time()
        start = loop.time()
        stop = start + cfg["seconds"]

        async def drive(g: SimGateway, offset: float, stop: float = stop,
                        period: float = period) -> None:
            due = loop.time() + offset
            while due < stop:
                await asyncio.sleep(max(0.0, due - loop.time()))
                await g.send_batch()
                due += period

        await asyncio.gather(*(drive(g, period * i / len(gws)) for i, g in enumerate(gws)))
        t1 = time.time()
        sent1 = sum(g.seq for g in gws)
        acked1 = sum(g.acked for g in gws)
        print(json.dumps({"op": "step", "mult": mult, "t0": t0, "t1": t1,
                          "offered": per_s * cfg["terminals"] * len(gws),
                          "sent": sent1 - sent0, "acked": acked1 - acked0,
                          "backlog0": sent0 - acked0, "backlog1": sent1 - acked1,
                          "lost_links": sum(g.lost for g in gws)}),
              flush=True)
    # let the backlog drain (bounded) so the final audit sees everything acked
    deadline = loop.time() + 30
    while loop.time() < deadline and any(g.acked < g.seq and not g.lost for g in gws):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    print(json.dumps({"op": "done", "sent": sum(g.seq for g in gws),
                      "acked": sum(g.acked for g in gws),
                      "lost_links": sum(g.lost for g in gws)}), flush=True)
    for r in readers:
        r.cancel()
    for g in gws:
        await g.ws.close()


# -- orchestration ------------------------------------------------------------------------


class Node:
    def __init__(self, name: str, db: str, redis_url: str | None, workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        args = [str(BIN / "platform-backend"), "serve", "--port", str(self.port),
                "--db", db, "--node-id", name, "--log-level", "WARNING"]
        if redis_url:
            args += ["--redis-url", redis_url]
        self.log = workdir / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                         cwd=workdir,
                                         env={**os.environ, "PLATFORM_JWT_SECRET": SECRET})

    async def health(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as s, s.get(
                f"http://127.0.0.1:{self.port}/health") as r:
            body: dict[str, Any] = await r.json()
            return body

    async def ready(self) -> None:
        for _ in range(600):
            try:
                await self.health()
                return
            except aiohttp.ClientError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text()[-2000:]) from None
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def run_config(label: str, db: str, redis_url: str | None, n_nodes: int,
                     args: argparse.Namespace, workdir: Path, db_pids: Any) -> list[dict[str, Any]]:
    nodes = [Node(f"{label}-n{i}", db, redis_url, workdir) for i in range(n_nodes)]
    try:
        await asyncio.gather(*(n.ready() for n in nodes))
        latencies: list[tuple[float, float]] = []  # (receive time, latency s)
        watchers = []
        for i in range(min(args.watchers, args.gateways)):
            node = nodes[(i + 1) % n_nodes] if n_nodes > 1 else nodes[0]
            client = socketio.AsyncClient(reconnection=False)

            async def on_event(ev: dict[str, Any]) -> None:
                if ev.get("type") == "account_update":
                    now = time.time()
                    sent = datetime.fromisoformat(ev["timestamp"]).timestamp()
                    latencies.append((now, now - sent))

            client.on("mt4_event", on_event, namespace="/mt4")
            await client.connect(f"http://127.0.0.1:{node.port}", namespaces=["/mt4"],
                                 auth={"token": issue_token(f"u{i}", SECRET, 7200)},
                                 transports=["websocket"], wait_timeout=30)
            watchers.append(client)
        tokens_file = workdir / f"{label}-tokens.json"
        tokens_file.write_text(json.dumps(await gateway_tokens(db, args.gateways)))
        cfg = {"tokens": str(tokens_file), "nodes": [n.port for n in nodes],
               "gateways": args.gateways,
               "terminals": args.terminals, "rate": args.rate, "steps": args.steps,
               "seconds": args.seconds, "run": f"{label}{int(time.time()) % 100000}"}
        gen = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--generator", json.dumps(cfg),
            stdout=asyncio.subprocess.PIPE)
        assert gen.stdout is not None
        rows: list[dict[str, Any]] = []
        t_connect = time.time()
        node_pids = [n.proc.pid for n in nodes]
        while True:
            line = await gen.stdout.readline()
            if not line:
                break
            msg = json.loads(line)
            if msg["op"] == "ready":
                print(f"[{label}] {args.gateways} gateways connected in "
                      f"{time.time() - t_connect:.1f} s", flush=True)
                cpu_db0, cpu_nodes0 = cpu_seconds(db_pids()), cpu_seconds(node_pids)
                lag_task = asyncio.ensure_future(poll_lag(nodes))
            elif msg["op"] == "step":
                cpu_db1, cpu_nodes1 = cpu_seconds(db_pids()), cpu_seconds(node_pids)
                lags = lag_task.result() if lag_task.done() else lag_task_snapshot(lag_task)
                lag_task.cancel()
                window = [lat for t, lat in latencies if msg["t0"] + 2 <= t <= msg["t1"]]
                secs = msg["t1"] - msg["t0"]
                stored = msg["acked"] / secs
                row = {
                    "config": label, "offered": msg["offered"], "sent": msg["sent"] / secs,
                    "stored": stored, "backlog0": msg["backlog0"], "backlog1": msg["backlog1"],
                    "p50_ms": pct(window, 0.5) * 1000, "p99_ms": pct(window, 0.99) * 1000,
                    "lag_p99_ms": lags, "lost_links": msg["lost_links"],
                    "db_cpu_us_per_ev": (cpu_db1 - cpu_db0) / max(1, msg["acked"]) * 1e6,
                    "node_cpu_us_per_ev": (cpu_nodes1 - cpu_nodes0) / max(1, msg["acked"])
                    * 1e6,
                }
                row["sustained"] = (not msg["lost_links"] and row["stored"] >= 0.97 * row["sent"]
                                    and msg["backlog1"] - msg["backlog0"] <= msg["offered"])
                rows.append(row)
                print_row(row)
                cpu_db0, cpu_nodes0 = cpu_db1, cpu_nodes1
                lag_task = asyncio.ensure_future(poll_lag(nodes))
            elif msg["op"] == "done":
                print(f"[{label}] after draining: {msg['acked']}/{msg['sent']} events acked "
                      f"({msg['lost_links']} links closed by the nodes)", flush=True)
        await gen.wait()
        for w in watchers:
            await w.disconnect()
        return rows
    finally:
        for n in nodes:
            n.stop()


async def gateway_tokens(db: str, count: int) -> list[str]:
    """Gateway tokens (kind gateway, recorded in the store like issue-token --kind
    gateway does), one per simulated gateway and user."""
    store = open_store(db)
    await store.open()
    pairing = pairing_storage_for(store)
    tokens = []
    try:
        for i in range(count):
            token_id = new_token_id()
            await pairing.add_gateway_token(token_id, f"u{i}", f"bench {i}", "bench",
                                            time.time())
            tokens.append(issue_token(f"u{i}", SECRET, 7200, kind="gateway",
                                      token_id=token_id))
    finally:
        await pairing.close()
        await store.close()
    return tokens


LAGS: dict[int, dict[str, float]] = {}


async def poll_lag(nodes: list[Node]) -> dict[str, float]:
    """Worst /health loop-lag p99 (last 10 s window) seen per node during a step."""
    key = id(asyncio.current_task())
    LAGS[key] = {}
    while True:
        await asyncio.sleep(3)
        for n in nodes:
            try:
                p99 = float((await n.health())["loop_lag_ms"]["p99"])
            except (aiohttp.ClientError, KeyError):
                continue
            LAGS[key][n.name] = max(LAGS[key].get(n.name, 0.0), p99)


def lag_task_snapshot(task: asyncio.Task[Any]) -> dict[str, float]:
    return dict(LAGS.get(id(task), {}))


def print_row(r: dict[str, Any]) -> None:
    lags = ", ".join(f"{v:.0f}" for v in r["lag_p99_ms"].values()) or "-"
    print(f"[{r['config']}] offered {r['offered']:7.0f}/s sent {r['sent']:7.0f}/s stored "
          f"{r['stored']:7.0f}/s backlog {r['backlog0']:6d}->{r['backlog1']:6d} "
          f"p50 {r['p50_ms']:6.1f} ms p99 {r['p99_ms']:7.1f} ms loop-lag p99 [{lags}] ms "
          f"db {r['db_cpu_us_per_ev']:5.1f} us/ev nodes {r['node_cpu_us_per_ev']:5.1f} us/ev "
          f"links closed {r['lost_links']} "
          f"{'sustained' if r['sustained'] else 'NOT sustained'}", flush=True)


async def main_async(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="platform-scale-"))
    all_rows: list[dict[str, Any]] = []
    if args.store in ("both", "postgresql"):
        pg = PgServer(durable=True)
        redis = RedisServer(work)
        try:
            all_rows += await run_config("pg", pg.create_database(), redis.url, args.nodes,
                                         args, work, pg.pids)
        finally:
            redis.stop()
            pg.close()
    if args.store in ("both", "sqlite"):
        all_rows += await run_config("sqlite", str(work / "platform.sqlite3"), None, 1, args,
                                     work, lambda: [])
    print("\nconfig  offered/s  stored/s  p50 ms  p99 ms  loop-lag p99 ms (per node)  "
          "DB CPU us/ev  nodes CPU us/ev  sustained")
    for r in all_rows:
        lags = "/".join(f"{v:.0f}" for v in r["lag_p99_ms"].values()) or "-"
        print(f"{r['config']:7} {r['offered']:9.0f} {r['stored']:9.0f} {r['p50_ms']:7.1f} "
              f"{r['p99_ms']:7.1f}  {lags:27} {r['db_cpu_us_per_ev']:12.1f} "
              f"{r['node_cpu_us_per_ev']:15.1f}  {'yes' if r['sustained'] else 'no'}")
    for label in ("pg", "sqlite"):
        ok = [r["stored"] for r in all_rows if r["config"] == label and r["sustained"]]
        if any(r["config"] == label for r in all_rows):
            print(f"highest sustained ({label}): {max(ok):.0f} events/s" if ok else
                  f"highest sustained ({label}): below the lowest step")
    print(f"(logs in {work})")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--generator":
        asyncio.run(generator(json.loads(sys.argv[2])))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gateways", type=int, default=1000)
    p.add_argument("--terminals", type=int, default=3)
    p.add_argument("--rate", type=float, default=2.0, help="events/s per terminal")
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--steps", type=lambda s: [float(x) for x in s.split(",")],
                   default=[0.33, 0.67, 1.0, 1.33])
    p.add_argument("--seconds", type=float, default=15.0, help="per step")
    p.add_argument("--watchers", type=int, default=30, help="web clients measuring latency")
    p.add_argument("--store", choices=["both", "postgresql", "sqlite"], default="both")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
