"""Who gets in: token, Origin, Host, paths, connection limit (real sockets)."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .conftest import TOKEN, Running, recv_until, with_config

pytestmark = pytest.mark.asyncio


def _status(exc: pytest.ExceptionInfo[InvalidStatus]) -> tuple[int, str]:
    resp = exc.value.response
    return resp.status_code, resp.body.decode()


async def test_agent_without_token_is_refused_with_reason(gw: Running) -> None:
    with pytest.raises(InvalidStatus) as exc:
        async with gw.agent("a1", token=None):
            pass
    code, body = _status(exc)
    assert code == 401
    assert "missing local token" in body


async def test_wrong_token_refused(gw: Running) -> None:
    with pytest.raises(InvalidStatus) as exc:
        async with gw.client(token="not-the-token-at-all"):
            pass
    assert _status(exc) == (401, "wrong local token\n")


async def test_any_origin_header_is_refused(gw: Running) -> None:
    with pytest.raises(InvalidStatus) as exc:
        async with gw.agent("a1", origin="http://localhost:3000"):
            pass
    code, body = _status(exc)
    assert code == 403
    assert "Origin" in body


async def _raw_upgrade(port: int, host: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (f"GET /commands HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").encode())
    await writer.drain()
    status = (await asyncio.wait_for(reader.readline(), 5)).decode()
    writer.close()
    return status


async def test_foreign_host_header_refused(gw: Running) -> None:
    # A page on a rebinding domain reaches 127.0.0.1 with its own Host name.
    assert " 403 " in await _raw_upgrade(gw.port, f"evil.example:{gw.port}")
    assert " 101 " in await _raw_upgrade(gw.port, f"localhost:{gw.port}")


async def test_duplicated_security_header_refused(gw: Running) -> None:
    with pytest.raises(InvalidStatus) as exc:
        async with connect(f"{gw.base}/commands", open_timeout=5,
                           additional_headers={"Authorization": f"Bearer {TOKEN}",
                                               "Host": "evil.example:8090"}):
            pass
    assert _status(exc)[0] == 400


async def test_unknown_path_and_bad_agent_id(gw: Running) -> None:
    with pytest.raises(InvalidStatus) as exc:
        async with connect(f"{gw.base}/nope", open_timeout=5,
                           additional_headers={"Authorization": f"Bearer {TOKEN}"}):
            pass
    assert _status(exc)[0] == 404
    with pytest.raises(InvalidStatus) as exc:
        async with gw.agent("bad%20id"):
            pass
    assert _status(exc)[0] == 400


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, {}


async def test_health_reports_spec_fields_and_details_only_with_token(gw: Running) -> None:
    url = f"http://127.0.0.1:{gw.port}/health"
    async with gw.agent("a1") as ea:
        await ea.send(json.dumps({"type": "heartbeat", "timestamp": "2026-01-25T10:30:15Z"}))
        async with gw.client() as cl:
            await recv_until(cl, lambda m: m.get("type") == "welcome")
        status, body = await asyncio.to_thread(_get, url)
        assert status == 200
        assert body["status"] == "ok"
        assert body["active_agents"] == 1
        assert body["backend_connected"] is False
        assert "agents" not in body
        status, body = await asyncio.to_thread(_get, url, {"Authorization": f"Bearer {TOKEN}"})
        assert [a["agent_id"] for a in body["agents"]] == ["a1"]
        status, _ = await asyncio.to_thread(_get, url, {"Origin": "http://evil.example"})
        assert status == 403


@with_config(max_connections=2)
async def test_connection_limit(gw: Running) -> None:
    async with gw.client() as c1, gw.client() as c2:
        await recv_until(c1, lambda m: m["type"] == "welcome")
        await recv_until(c2, lambda m: m["type"] == "welcome")
        with pytest.raises(InvalidStatus) as exc:
            async with gw.client():
                pass
        assert _status(exc)[0] == 503
