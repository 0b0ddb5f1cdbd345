"""Bad tokens are refused at both doors: gateways (`/mt4`, HTTP 401 on the handshake, or
4003 for a gateway registered to another user) and web clients (Socket.IO connect)."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
import socketio
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .harness import (
    SECRET,
    Backend,
    GatewayProc,
    WebClient,
    issue_token,
    wait_for_async,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


def bad_tokens() -> dict[str, str | None]:
    now = int(time.time())
    return {
        "missing": None,
        "wrong signature": jwt.encode({"sub": "42", "exp": now + 600},
                                      "another-secret-0123456789-abcdefghijkl", "HS256"),
        "expired": issue_token("42", ttl=-120),
        "no user": jwt.encode({"exp": now + 600}, SECRET, "HS256"),
        "malformed user": jwt.encode({"sub": "42 OR 1=1", "exp": now + 600}, SECRET, "HS256"),
        "not a jwt": "not-a-jwt",
    }


async def test_bad_tokens_refused_at_both_doors(tmp_path: Path, db_url: str) -> None:
    backend = Backend(tmp_path, db=db_url)
    await backend.start_ready()
    try:
        for name, token in bad_tokens().items():
            # web door
            client = WebClient(backend.http_url, token)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect()
            await client.close()
            # gateway door
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            with pytest.raises(InvalidStatus) as refused:
                async with connect(backend.gateway_url, additional_headers=headers, proxy=None):
                    pass
            assert refused.value.response.status_code == 401, name
        assert "eyJ" not in backend.output()
    finally:
        backend.terminate()


async def _link(gateway: GatewayProc) -> dict[str, object]:
    return dict((await gateway.health()).get("backend") or {})


async def test_gateway_stops_retrying_with_a_refused_token(tmp_path: Path,
                                                          db_url: str) -> None:
    backend = Backend(tmp_path, db=db_url)
    await backend.start_ready()
    gateways: list[GatewayProc] = []
    try:
        # expired: never even tries
        expired = tmp_path / "expired"
        expired.write_text(issue_token("42", ttl=-120, gateway_db=backend.db))
        gw = GatewayProc(tmp_path, backend.gateway_url, expired, demo=0, name="gw-expired")
        gateways.append(gw)
        await gw.start_ready()
        await wait_for_async(lambda: _is(gw, "auth_failed"), 10, "auth_failed")
        link = await _link(gw)
        assert "expired" in str(link["detail"]) and link["connect_attempts"] == 0
        assert "/mt4\" [accepted]" not in backend.output() and "403" not in backend.output()

        # wrong signature: one handshake, HTTP 401, then no more attempts
        forged = tmp_path / "forged"
        forged.write_text(jwt.encode({"sub": "42", "exp": int(time.time()) + 600},
                                     "another-secret-0123456789-abcdefghijkl", "HS256"))
        gw = GatewayProc(tmp_path, backend.gateway_url, forged, demo=0, name="gw-forged")
        gateways.append(gw)
        await gw.start_ready()
        await wait_for_async(lambda: _is(gw, "auth_failed"), 10, "auth_failed")
        link = await _link(gw)
        assert "401" in str(link["detail"]) and link["connect_attempts"] == 1

        # wrong user: a gateway registered to user 42 cannot publish as user 7
        good = tmp_path / "good"
        good.write_text(issue_token("42", gateway_db=backend.db))
        gw = GatewayProc(tmp_path, backend.gateway_url, good, demo=1, name="gw-owner")
        gateways.append(gw)
        await gw.start_ready()
        await wait_for_async(lambda: _is(gw, "connected"), 10, "connected")
        gw.terminate()
        other = tmp_path / "other"
        other.write_text(issue_token("7", gateway_db=backend.db))
        stolen = GatewayProc(tmp_path, backend.gateway_url, other, demo=1, name="gw-owner")
        gateways.append(stolen)  # same name: same outbox, so the same gateway id
        await stolen.start_ready()
        await wait_for_async(lambda: _is(stolen, "auth_failed"), 10, "auth_failed")
        assert "another user" in str((await _link(stolen))["detail"])
        seven = WebClient(backend.http_url, issue_token("7"))
        await seven.connect()
        await seven.close()
        assert seven.events == []

        # no token at all: a clear message, exit code 1
        empty = tmp_path / "empty"
        empty.write_text("")
        gw = GatewayProc(tmp_path, backend.gateway_url, empty, demo=0, name="gw-empty")
        gateways.append(gw)
        gw.start()
        assert gw.popen is not None
        assert gw.popen.wait(20) != 0
        assert "platform token" in gw.output()
        for g in gateways:
            assert "eyJ" not in g.output()
    finally:
        for g in gateways:
            g.terminate()
        backend.terminate()


async def _is(gateway: GatewayProc, state: str) -> bool:
    return (await _link(gateway)).get("state") == state
