"""Start `mt4-gateway serve` as a real subprocess and find its port from its one line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

LISTEN_LINE = re.compile(r"listening on ws://([\d.]+):(\d+)")


@dataclass
class GatewayProcess:
    proc: subprocess.Popen[str]
    port: int
    token: str
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def cli_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["MT4_COMPANION_CONFIG_DIR"] = str(tmp / "config")
    env["MT4_COMPANION_DATA_DIR"] = str(tmp / "data")
    env["MT4_COMPANION_LOG_DIR"] = str(tmp / "logs")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def run_gateway(tmp: Path, args: Sequence[str], token: str = "e2e-token-0123456789abcdef",
                timeout: float = 30.0) -> Iterator[GatewayProcess]:
    token_file = tmp / "token"
    token_file.write_text(token)
    cmd = [sys.executable, "-m", "gateway_core.cli", "serve", "--port", "0",
           "--token-file", str(token_file), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(tmp))
    lines: Queue[str] = Queue()
    stderr_lines: list[str] = []
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or []],  # type: ignore[func-returns-value]
                     daemon=True).start()
    threading.Thread(target=lambda: [stderr_lines.append(x) for x in proc.stderr or []],  # type: ignore[func-returns-value]
                     daemon=True).start()
    try:
        try:
            first = lines.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"gateway printed nothing; stderr: {''.join(stderr_lines)}") \
                from None
        m = LISTEN_LINE.search(first)
        assert m, f"unexpected first line {first!r}; stderr: {''.join(stderr_lines)}"
        yield GatewayProcess(proc, int(m.group(2)), token, stderr_lines)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
