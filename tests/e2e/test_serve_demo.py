"""`mt4-gateway serve --demo 2` as a subprocess, driven by a real /commands client."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from .gateway_process import cli_env, run_gateway

pytestmark = pytest.mark.timeout(90)


async def _until(ws: ClientConnection, pred: Any, timeout: float = 20.0) -> dict[str, Any]:
    async def loop() -> dict[str, Any]:
        while True:
            msg: dict[str, Any] = json.loads(await ws.recv())
            if pred(msg):
                return msg
    return await asyncio.wait_for(loop(), timeout)


async def _all(ws: ClientConnection, preds: dict[str, Any],
               timeout: float = 20.0) -> dict[str, dict[str, Any]]:
    """The first message matching each predicate, in whatever order they arrive (a
    terminal may report the new position before or after it replies)."""
    found: dict[str, dict[str, Any]] = {}

    async def loop() -> dict[str, dict[str, Any]]:
        while len(found) < len(preds):
            msg = json.loads(await ws.recv())
            for name, pred in preds.items():
                if name not in found and pred(msg):
                    found[name] = msg
        return found
    return await asyncio.wait_for(loop(), timeout)


@pytest.mark.asyncio
async def test_demo_terminals_trade_through_the_cli(tmp_path: Path) -> None:
    args = ["--demo", "2", "--demo-seed", "7", "--demo-manual-rate", "0"]
    with run_gateway(tmp_path, args) as gw:
        async with connect(f"{gw.base}/commands", additional_headers=gw.headers) as ws:
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert welcome["type"] == "welcome"
            # Both demo terminals show up with a full snapshot.
            seen: set[str] = set()
            while seen != {"demo-1", "demo-2"}:
                snap = await _until(ws, lambda m: m.get("type") == "snapshot")
                seen.add(snap["agent_id"])
            assert snap["data"]["account"]["balance"] > 0

            await ws.send(json.dumps({
                "command": "execute_trade", "request_id": "e2e-open-1", "agent_id": "demo-1",
                "data": {"symbol": "EURUSD", "type": "buy", "lots": 0.1,
                         "comment": "e2e test"}}))
            got = await _all(ws, {
                "reply": lambda m: m.get("request_id") == "e2e-open-1",
                "event": lambda m: m.get("type") == "position_opened"
                and m["agent_id"] == "demo-1" and m["data"]["comment"] == "e2e test",
            })
            opened = got["reply"]
            assert opened["type"] == "trade_executed"
            assert opened["success"] is True, opened
            ticket = opened["data"]["ticket"]
            assert got["event"]["data"]["ticket"] == ticket
            assert got["event"]["data"]["lots"] == 0.1

            await ws.send(json.dumps({
                "command": "close_position", "request_id": "e2e-close-1",
                "agent_id": "demo-1", "data": {"ticket": ticket}}))
            got = await _all(ws, {
                "reply": lambda m: m.get("request_id") == "e2e-close-1",
                "event": lambda m: m.get("type") == "position_closed"
                and m["data"]["ticket"] == ticket,
            })
            assert got["reply"]["success"] is True, got["reply"]
            assert got["reply"]["command"] == "close_position"
            assert "net_profit" in got["event"]["data"]

        # SIGTERM stops it cleanly and promptly.
        gw.proc.send_signal(signal.SIGTERM)
        assert gw.proc.wait(timeout=15) == 0


def _cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway_core.cli", *args],
                          capture_output=True, text=True, env=cli_env(tmp), timeout=60)


def test_token_created_once_private_and_never_printed_unasked(tmp_path: Path) -> None:
    out = _cli(tmp_path, "token")
    assert out.returncode == 0
    path = Path(out.stdout.strip())
    assert path.is_relative_to(tmp_path / "config")
    token = path.read_text().strip()
    assert len(token) >= 32
    assert token not in out.stdout
    assert path.stat().st_mode & 0o077 == 0
    again = _cli(tmp_path, "token", "--show")
    assert again.stdout.strip() == token
    rotated = _cli(tmp_path, "token", "--rotate")
    assert rotated.returncode == 0
    assert path.read_text().strip() != token
    assert token not in rotated.stdout


def test_serve_without_token_option_creates_and_reuses_the_token(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "gateway_core.cli", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on ws://127.0.0.1:" in line
        token_file = tmp_path / "config" / "local-token"
        assert token_file.exists()
        assert token_file.read_text().strip() not in line
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["serve", "--port", "99999"], "out of range"),
        (["serve", "--demo", "many"], "not a whole number"),
        (["serve", "--token", "short"], "at least 16"),
        (["serve", "--token-file", "/nonexistent/token"], "does not exist"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_fail_clearly(tmp_path: Path, args: list[str], needle: str) -> None:
    out = _cli(tmp_path, *args)
    assert out.returncode == 2
    assert needle in out.stderr


def test_port_in_use_is_reported(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        (tmp_path / "t").write_text("x" * 20)
        out = _cli(tmp_path, "serve", "--port", str(port), "--token-file", str(tmp_path / "t"))
    assert out.returncode == 1
    assert "cannot listen" in out.stderr


def test_version(tmp_path: Path) -> None:
    out = _cli(tmp_path, "--version")
    assert out.returncode == 0
    assert out.stdout.startswith("mt4-gateway ")
