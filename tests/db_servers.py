"""Real database servers for tests: PostgreSQL from Debian's `postgresql` package
(`initdb` + `pg_ctl` in a temporary folder) and `redis-server`, on free loopback ports.

initdb refuses to run as root: as root, the server runs as the `postgres` user the
Debian package creates (or one made with useradd). Missing binaries skip the test with
the reason; on CI (`CI` set) they fail it, since scripts/setup-dev installs them."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_USER = "postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    return found[-1].parent if found else None


class PgServer:
    """One PostgreSQL cluster in a temporary folder; `stop`/`start` restart it in place."""

    def __init__(self, *, durable: bool = False) -> None:
        """`durable`: fsync on (benchmarks); tests run with fsync off, since only a machine
        crash (not a server restart) could lose what fsync would have kept."""
        bindir = pg_bin()
        if bindir is None:
            missing("PostgreSQL is not installed (apt-get install -y postgresql): the "
                    "PostgreSQL store tests need the real server")
        assert bindir is not None
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mt4-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam(PG_USER)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", PG_USER],
                               check=True, timeout=30)
                pw = pwd.getpwnam(PG_USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._run_as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        self._pg(["initdb", "-D", str(self.data), "-A", "trust", "-U", PG_USER, "-E", "UTF8",
                  "--no-sync", "--no-instructions"])
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                "-c max_connections=200 -c shared_buffers=128MB")
        if not durable:
            opts += " -c fsync=off -c full_page_writes=off"
        self._opts = opts
        self.start()

    def _pg(self, args: list[str], timeout: float = 120) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             cwd=self.dir, **self._run_as)
        if out.returncode != 0:
            raise AssertionError(f"{' '.join(args[:2])} failed:\n{out.stdout}\n{out.stderr}\n"
                                 f"{self.log.read_text() if self.log.exists() else ''}")

    def start(self) -> None:
        self._pg(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._opts,
                  "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._pg(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def pids(self) -> list[int]:
        """The postmaster and every backend process it forked (for CPU accounting)."""
        try:
            root = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        found = [root]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == root:
                found.append(int(stat.parent.name))
        return found

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{db}"

    def create_database(self) -> str:
        """A fresh empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._pg(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "-q",
                  "-c", f"CREATE DATABASE {name}", "postgres"])
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(AssertionError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        path = shutil.which("redis-server")
        if path is None:
            missing("redis-server is not installed (apt-get install -y redis-server)")
        assert path is not None
        self.path = path
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [self.path, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)], stdout=log,
            stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def redis_session(workdir: Path) -> Iterator[str]:
    """A real redis-server for one test; yields its URL."""
    server = RedisServer(workdir)
    try:
        yield server.url
    finally:
        server.stop()


def pg_session() -> Iterator[PgServer]:
    server = PgServer()
    try:
        yield server
    finally:
        server.close()
