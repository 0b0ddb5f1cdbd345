"""Driver for a running EA binary: JSON ops on stdin, parsed events from stdout."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Event = dict[str, Any]


class Host:
    """A running EA binary: stdin ops in, parsed stdout events collected by a thread."""

    def __init__(self, binary: Path, sandbox: Path, args: list[str] | None = None) -> None:
        (sandbox / "MQL4" / "Files").mkdir(parents=True, exist_ok=True)
        self.sandbox = sandbox
        self.proc = subprocess.Popen(
            [str(binary), "--sandbox", str(sandbox), *(args or [])], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.events: list[Event] = []
        self._pings = 0
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                ev = json.loads(raw)
            except ValueError:
                ev = {"event": "raw", "text": raw}
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.events.append({"event": "exited"})
            self.cond.notify_all()

    def send(self, **op: Any) -> int:
        """Send one op; returns the event index to wait from."""
        with self.cond:
            start = len(self.events)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(op) + "\n")
        self.proc.stdin.flush()
        return start

    def send_raw(self, line: str) -> int:
        with self.cond:
            start = len(self.events)
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return start

    def wait(self, pred: Callable[[Event], bool], timeout: float = 15, start: int = 0,
             what: str = "event") -> Event:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events[start:]:
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.events[-15:]}")
                self.cond.wait(left)

    def sync(self, timeout: float = 15) -> int:
        """Barrier: the host handles ops in order and runs handlers synchronously, so once the
        pong for this ping is here, everything sent before it (and its OnTick) is done and
        read. Returns the event index after the pong."""
        self._pings += 1
        token = f"sync-{self._pings}"
        start = self.send(op="ping", id=token)
        pong = self.wait(lambda e: e.get("event") == "pong" and e.get("id") == token, timeout,
                         start, "pong")
        with self.cond:
            return self.events.index(pong, start) + 1

    def wait_log(self, prefix: str, start: int = 0, timeout: float = 15) -> str:
        ev = self.wait(lambda e: e.get("event") == "log" and e["text"].startswith(prefix),
                       timeout, start, f"log {prefix!r}")
        return str(ev["text"])

    def logs(self) -> list[str]:
        with self.cond:
            return [e["text"] for e in self.events if e.get("event") == "log"]

    def exit_code(self, timeout: float = 10) -> int:
        """Wait for the process and for its last stdout line to be collected."""
        code = self.proc.wait(timeout)
        self.reader.join(timeout)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(op="stop")
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None:
                # A host that stopped itself (the test's point) leaves a broken pipe;
                # closing stdin then flushes into it.
                with contextlib.suppress(OSError):
                    f.close()
