"""Issue 6's end-to-end test of installation: `mt4-gateway install-ea` into a terminal
folder, then the installed EA run by ea/host connects to a gateway started with the same
port and token, with no other step."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from ..terminals.trees import make_data_folder
from .gateway_process import cli_env, run_gateway

REPO = Path(__file__).resolve().parents[2]
HOST = REPO / "ea" / "host" / "mql4host.py"
LOGIN = 31337001

pytestmark = [pytest.mark.timeout(900), pytest.mark.asyncio]


async def _until(ws: ClientConnection, pred: Any, timeout: float) -> dict[str, Any]:
    async def loop() -> dict[str, Any]:
        while True:
            msg: dict[str, Any] = json.loads(await ws.recv())
            if pred(msg):
                return msg
    return await asyncio.wait_for(loop(), timeout)


async def test_installed_ea_connects_with_no_other_step(tmp_path: Path) -> None:
    data = make_data_folder(tmp_path / "Terminal" / ("A" * 32),
                            origin="C:\\Program Files (x86)\\MetaTrader 4")
    with run_gateway(tmp_path, []) as gw:
        out = subprocess.run(
            [sys.executable, "-m", "gateway_core.cli", "install-ea", "--terminal", str(data),
             "--port", str(gw.port), "--token", gw.token, "--json", "--no-compile"],
            capture_output=True, text=True, env=cli_env(tmp_path), timeout=120, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        assert gw.token not in out.stdout  # the token is written to the config, not echoed
        installed = data / "MQL4" / "Experts" / "MT4Companion.mq4"
        assert installed.exists()

        async with connect(f"{gw.base}/commands", additional_headers=gw.headers) as ws:
            await _until(ws, lambda m: m["type"] == "welcome", 10)
            host = await asyncio.create_subprocess_exec(
                sys.executable, str(HOST), "--ea", str(installed), "--sandbox", str(data),
                "--account-login", str(LOGIN),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE)
            try:
                agent = f"mt4-{LOGIN}"
                hello = await _until(ws, lambda m: m["type"] == "hello", 600)
                assert hello["agent_id"] == agent
                assert hello["data"]["account_login"] == LOGIN
                snap = await _until(ws, lambda m: m["type"] == "snapshot", 30)
                assert snap["agent_id"] == agent

                # A trade made by hand in the terminal reaches the client.
                assert host.stdin is not None
                host.stdin.write(b'{"op":"open","symbol":"EURUSD","type":"buy","lots":0.2}\n')
                await host.stdin.drain()
                opened = await _until(ws, lambda m: m["type"] == "position_opened", 30)
                assert opened["agent_id"] == agent
                assert opened["data"]["lots"] == 0.2
            finally:
                if host.returncode is None:
                    assert host.stdin is not None
                    host.stdin.write(b'{"op":"stop"}\n')
                    await host.stdin.drain()
                    try:
                        await asyncio.wait_for(host.wait(), 30)
                    except TimeoutError:
                        host.kill()
                        await host.wait()
