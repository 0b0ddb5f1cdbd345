"""`mt4-gateway link` / `serve` / `unlink` as real subprocesses against the platform test
peer (tests/forwarder/platform_peer.py): link with a code, serve with no flags, revoked
(stops retrying, says so in /health and the log, keeps the outbox), link again (the kept
events arrive), unlink."""

from __future__ import annotations

import asyncio
import json
import stat
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.gateway_process import cli_env, run_gateway

from .platform_peer import PlatformPeer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


async def cli(tmp: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway_core.cli", *args, env=cli_env(tmp),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def health(port: int) -> dict[str, Any]:
    def get() -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
            body: dict[str, Any] = json.loads(r.read())
            return body
    return await asyncio.to_thread(get)


async def until_async(check: Any, timeout: float = 30.0, what: str = "") -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 - another process: polled over HTTP
            await asyncio.sleep(0.05)


async def test_link_serve_revoke_link_again_unlink(tmp_path: Path) -> None:
    peer = PlatformPeer()
    await peer.start()
    try:
        rc, out, err = await cli(tmp_path, "link", "--backend-url", peer.url, "--code",
                                 "WRONG234")
        assert rc == 1 and "not linked" in err and "wrong, used or expired" in err

        code = peer.new_code()
        rc, out, err = await cli(tmp_path, "link", "--backend-url", peer.url + "/",
                                 "--code", code.lower()[:4] + "-" + code.lower()[4:],
                                 "--name", "VPS in Frankfurt")
        assert rc == 0, err
        assert f"Linked to user 42 at {peer.url}." in out
        assert peer.pair_requests[-1]["gateway_name"] == "VPS in Frankfurt"
        link_file = tmp_path / "config" / "platform-link.json"
        assert stat.S_IMODE(link_file.stat().st_mode) == 0o600
        stored = json.loads(link_file.read_text())
        assert stored["link_url"] == f"ws://127.0.0.1:{peer.port}/mt4"
        assert stored["gateway_token"] not in out + err  # never printed
        rc, _out, err = await cli(tmp_path, "link", "--backend-url", peer.url, "--code", code)
        assert rc == 1 and "wrong, used or expired" in err  # single use

        # serve with no platform flags forwards to the linked account.
        with run_gateway(tmp_path, ["--demo", "1", "--heartbeat-interval", "0.5"]) as gw:
            await until_async(lambda: _true(bool(peer.links) and any(
                e["event"].get("type") == "snapshot" for e in peer.events)), what="linked")
            assert (await health(gw.port))["backend"]["state"] == "connected"

            await peer.revoke(stored["token_id"])
            acked_at_revoke = peer.acked
            await until_async(lambda: _state(gw.port, "revoked"), what="revoked")
            body = (await health(gw.port))["backend"]
            assert body["detail"] == "revoked by the platform, link again"
            attempts = body["connect_attempts"]
            await until_async(lambda: _depth_above(gw.port, 0), what="events kept")
            await asyncio.sleep(1.5)  # several backoff periods: no retry may happen
            assert (await health(gw.port))["backend"]["connect_attempts"] == attempts
            assert any("revoked by the platform, link again" in line
                       for line in gw.stderr_lines)
        assert peer.acked == acked_at_revoke  # nothing delivered after the revoke

        # Linked again: the events kept during the revoke arrive, in order.
        rc, out, err = await cli(tmp_path, "link", "--backend-url", peer.url, "--code",
                                 peer.new_code())
        assert rc == 0, err
        with run_gateway(tmp_path, ["--demo", "1"]) as gw:
            await until_async(lambda: _true(peer.acked > acked_at_revoke + 1),
                              what="backlog delivered")
            seqs = [e["seq"] for e in peer.events]
            assert seqs == list(range(1, len(seqs) + 1))  # no gap, nothing twice
            await until_async(lambda: _state(gw.port, "connected"), what="connected")

        rc, out, err = await cli(tmp_path, "unlink")
        assert rc == 0 and "Unlinked (user 42" in out and not link_file.exists()
        rc, out, err = await cli(tmp_path, "unlink", "--clear-outbox")
        assert rc == 0 and "was not linked" in out and "Discarded" in out
    finally:
        await peer.stop()


async def _true(value: bool) -> bool:
    return value


async def _state(port: int, state: str) -> bool:
    return (await health(port)).get("backend", {}).get("state") == state


async def _depth_above(port: int, n: int) -> bool:
    return int((await health(port)).get("backend", {}).get("outbox_depth", 0)) > n
