"""Pairing a gateway through the real backend on a loopback port (uvicorn in this loop):
codes, the exchange for a gateway token, the gateway door with that token, token kinds at
every door, listing, revocation closing the live link with 4401, expiry, reuse, brute
force and rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio  # type: ignore[import-untyped]
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from platform_backend.app import Backend, Settings, create_app
from platform_backend.auth import issue_token
from platform_backend.pairing import ALPHABET, PairingLimits
from platform_backend.pairing_rate import Limit
from tests.db_servers import PgServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]

SECRET = "pairing-test-secret-0123456789abcdefgh"
CODE = re.compile(f"^[{ALPHABET}]{{8}}$")
NO_PANEL = Path(__file__).parent / "no-panel-built-here"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    def __init__(self, backend: Backend, port: int) -> None:
        self.backend = backend
        self.base = f"http://127.0.0.1:{port}"
        self.door = f"ws://127.0.0.1:{port}/mt4"
        self.clock = Clock()
        backend.pairing.clock = self.clock


@contextlib.asynccontextmanager
async def _serve(db: Path | str, redis_url: str | None = None,
                 node_id: str = "node") -> AsyncIterator[Node]:
    """A node on `db`: a SQLite path or sqlite:///... or postgresql://... URL."""
    backend = create_app(Settings(jwt_secret=SECRET, db_path=db, redis_url=redis_url,
                                  node_id=node_id, panel_dir=NO_PANEL))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(backend, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
                await asyncio.sleep(0.02)
        yield Node(backend, port)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


def web(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user, SECRET)}"}


async def new_code(http: aiohttp.ClientSession, node: Node, user: str = "42") -> str:
    async with http.post(f"{node.base}/api/pairing-codes", headers=web(user)) as r:
        assert r.status == 201, await r.text()
        code = (await r.json())["code"]
    assert isinstance(code, str)
    return code


async def pair(http: aiohttp.ClientSession, node: Node, code: str,
               name: str = "Office PC") -> tuple[int, dict[str, Any], aiohttp.ClientResponse]:
    async with http.post(f"{node.base}/api/pair",
                         json={"code": code, "gateway_name": name, "machine": "DESK-7"}) as r:
        return r.status, await r.json(), r


async def gateways(http: aiohttp.ClientSession, node: Node, user: str = "42") -> Any:
    async with http.get(f"{node.base}/api/gateways", headers=web(user)) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def link(url: str, token: str, gateway_id: str = "gw-office") -> ClientConnection:
    ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                       proxy=None)
    await ws.send(json.dumps({"type": "hello", "link_version": 1, "gateway_id": gateway_id,
                              "gateway_version": "1.4.2", "last_seq": 0}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert welcome["type"] == "welcome"
    return ws


async def drain_until_closed(ws: ClientConnection) -> None:
    async with asyncio.timeout(10):
        with contextlib.suppress(ConnectionClosed):
            async for _ in ws:
                pass
        await ws.wait_closed()


async def refused(url: str, token: str) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                           proxy=None):
            pass
    response = info.value.response
    return response.status_code, bytes(response.body or b"").decode()


async def test_pair_link_list_and_revoke_closes_the_live_link(
        store_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="platform_backend")
    caplog.set_level(logging.DEBUG, logger="uvicorn")
    async with _serve(store_url) as node, aiohttp.ClientSession() as http:
        before = time.time()
        async with http.post(f"{node.base}/api/pairing-codes", headers=web("42")) as r:
            assert r.status == 201
            issued = await r.json()
        assert CODE.match(issued["code"]), issued
        expires = time.mktime(time.strptime(issued["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
        assert abs(expires - time.timezone - (before + 600)) < 5

        # typed loosely (lower case, a dash): still the code
        typed = issued["code"][:4].lower() + "-" + issued["code"][4:]
        status, body, _ = await pair(http, node, typed)
        assert status == 200, body
        assert body["user_id"] == "42" and body["token_id"]
        assert body["link_url"] == node.door
        token = body["gateway_token"]

        ws = await link(body["link_url"], token)
        await ws.send(json.dumps({"type": "event", "seq": 1, "agent_id": "demo-1", "event": {
            "type": "agent_status", "agent_id": "demo-1", "status": "connected",
            "timestamp": "2026-12-01T01:00:00Z"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "ack", "seq": 1}

        listed = await gateways(http, node)
        assert len(listed) == 1
        gw = listed[0]
        assert gw["id"] == body["token_id"] and gw["name"] == "Office PC"
        assert gw["machine"] == "DESK-7" and gw["version"] == "1.4.2"
        assert gw["online"] is True and gw["terminals"] == 1
        assert gw["linked_at"].endswith("Z") and gw["last_seen"].endswith("Z")

        # another user neither sees nor revokes it; unknown ids are the same 404
        assert await gateways(http, node, "7") == []
        for user, gid in (("7", body["token_id"]), ("42", "no-such-gateway-id")):
            async with http.delete(f"{node.base}/api/gateways/{gid}", headers=web(user)) as r:
                assert r.status == 404
                assert (await r.json())["error"] == "not_found"
        assert ws.close_code is None

        async with http.delete(f"{node.base}/api/gateways/{body['token_id']}",
                               headers=web("42")) as r:
            assert r.status == 204
        await drain_until_closed(ws)
        assert ws.close_code == 4401 and ws.close_reason == "revoked"

        status_code, text = await refused(node.door, token)
        assert status_code == 401 and text.startswith("revoked")
        assert await gateways(http, node) == []
        # the code was used once: never again
        status, again, _ = await pair(http, node, issued["code"])
        assert status == 400 and again["error"] == "invalid_code"
        async with http.delete(f"{node.base}/api/gateways/{body['token_id']}",
                               headers=web("42")) as r:
            assert r.status == 404

        # linked again with a new code, the same gateway carries on where it stopped
        status, relinked, _ = await pair(http, node, await new_code(http, node))
        assert status == 200 and relinked["token_id"] != body["token_id"]
        ws = await connect(node.door, additional_headers={
            "Authorization": f"Bearer {relinked['gateway_token']}"}, proxy=None)
        await ws.send(json.dumps({"type": "hello", "link_version": 1,
                                  "gateway_id": "gw-office", "gateway_version": "1.4.2",
                                  "last_seq": 1}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert welcome["acked_seq"] == 1 and welcome["user_id"] == "42"
        assert [g["id"] for g in await gateways(http, node)] == [relinked["token_id"]]
        await ws.close()

    logged = "\n".join(r.getMessage() for r in caplog.records
                       if not r.name.startswith("websockets.client"))
    assert "eyJ" not in logged and issued["code"] not in logged


async def test_each_door_takes_only_its_kind_of_token(store_url: str) -> None:
    db = store_url
    async with _serve(db) as node, aiohttp.ClientSession() as http:
        _, body, _ = await pair(http, node, await new_code(http, node))
        gateway_token = body["gateway_token"]

        # a web token at the gateway door
        status_code, text = await refused(node.door, issue_token("42", SECRET))
        assert status_code == 401 and text.startswith("wrong_kind")
        # a well-signed gateway token whose id the platform never issued
        forged = issue_token("42", SECRET, kind="gateway", token_id="never-recorded-id")
        status_code, text = await refused(node.door, forged)
        assert status_code == 401 and text.startswith("revoked")

        # a gateway token for the JSON API and for Socket.IO
        async with http.get(f"{node.base}/api/gateways",
                            headers={"Authorization": f"Bearer {gateway_token}"}) as r:
            assert r.status == 401
            assert (await r.json())["reason"] == "wrong_kind"
        async with http.post(f"{node.base}/api/pairing-codes",
                             headers={"Authorization": f"Bearer {gateway_token}"}) as r:
            assert r.status == 401
        client = socketio.AsyncClient(reconnection=False)
        errors: list[Any] = []
        client.on("connect_error", errors.append, namespace="/mt4")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(node.base, namespaces=["/mt4"],
                                 auth={"token": gateway_token}, transports=["websocket"],
                                 wait_timeout=10)
        await client.disconnect()
        assert errors and "wrong_kind" in str(errors[0])
        # ... while a web token still signs in
        ok = socketio.AsyncClient(reconnection=False)
        await ok.connect(node.base, namespaces=["/mt4"], auth={"token": issue_token(
            "42", SECRET)}, transports=["websocket"], wait_timeout=10)
        await ok.disconnect()

        # the CLI mints gateway tokens recorded in the store: they link and are listed
        out = subprocess.run(
            [sys.executable, "-m", "platform_backend", "issue-token", "--user", "42",
             "--kind", "gateway", "--db", db, "--name", "script box"],
            env={**os.environ, "PLATFORM_JWT_SECRET": SECRET}, capture_output=True,
            text=True, check=True, timeout=60)
        ws = await link(node.door, out.stdout.strip(), "gw-script")
        names = {g["name"]: g for g in await gateways(http, node)}
        assert set(names) == {"Office PC", "script box"}
        assert names["script box"]["online"] is True
        assert names["Office PC"]["online"] is False and names["Office PC"]["last_seen"] is None
        await ws.close()


async def test_expired_reused_and_malformed_codes_get_one_answer(tmp_path: Path) -> None:
    async with _serve(tmp_path / "b.sqlite3") as node, aiohttp.ClientSession() as http:
        answers = []
        code = await new_code(http, node)
        node.clock.now += 601
        answers.append(await pair(http, node, code))                    # expired
        fresh = await new_code(http, node)
        assert (await pair(http, node, fresh))[0] == 200
        answers.append(await pair(http, node, fresh))                   # used
        answers.append(await pair(http, node, "ABCDEFGH"))              # unknown
        answers.append(await pair(http, node, "O0I1L-??"))              # not a code at all
        answers.append(await pair(http, node, "A" * 30))                # too long
        assert {(s, json.dumps(b, sort_keys=True)) for s, b, _ in answers} == {
            (400, json.dumps(answers[0][1], sort_keys=True))}
        assert answers[0][1]["error"] == "invalid_code"


async def test_five_wrong_tries_burn_the_code(store_url: str) -> None:
    async with _serve(store_url) as node, aiohttp.ClientSession() as http:
        node.backend.pairing.set_limits(PairingLimits(pairs_per_address=Limit(100, 60)))
        code = await new_code(http, node)
        other = code[4:] + code[:4]
        assert (await new_code(http, node)) != code
        # wrong codes that do not look like this one do not count against it
        for i in range(6):
            wrong = ALPHABET[i] * 4 + other[4:]
            if wrong != code:
                assert (await pair(http, node, wrong))[0] == 400
        # four near misses (its first half, wrong second half) still leave it usable...
        near = [code[:4] + c * 4 for c in ALPHABET if c * 4 != code[4:]]
        for wrong in near[:4]:
            assert (await pair(http, node, wrong))[0] == 400
        spare = await new_code(http, node)
        assert (await pair(http, node, spare))[0] == 200
        # ...the fifth burns it: the right code no longer works
        assert (await pair(http, node, near[4]))[0] == 400
        status, body, _ = await pair(http, node, code)
        assert status == 400 and body["error"] == "invalid_code"


async def test_rate_limits_answer_429_with_retry_after(tmp_path: Path) -> None:
    async with _serve(tmp_path / "b.sqlite3") as node, aiohttp.ClientSession() as http:
        node.backend.pairing.set_limits(PairingLimits(codes_per_user=Limit(3, 600),
                                                      pairs_per_address=Limit(3, 60)))
        codes = [await new_code(http, node) for _ in range(3)]
        async with http.post(f"{node.base}/api/pairing-codes", headers=web("42")) as r:
            assert r.status == 429
            body = await r.json()
            assert body["error"] == "rate_limited" and 590 <= body["retry_after"] <= 600
            assert r.headers["Retry-After"] == str(body["retry_after"])
        await new_code(http, node, "7")  # per user: someone else is not held back

        for _ in range(3):
            assert (await pair(http, node, "ZZZZZZZZ"))[0] == 400
        status, body, response = await pair(http, node, codes[0])  # even the right code
        assert status == 429 and body["error"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        node.clock.now += 61
        assert (await pair(http, node, codes[0]))[0] == 200
        node.clock.now += 540
        assert (await new_code(http, node)) not in codes


async def test_bad_bodies_are_refused_clearly(tmp_path: Path) -> None:
    async with _serve(tmp_path / "b.sqlite3") as node, aiohttp.ClientSession() as http:
        code = await new_code(http, node)
        url = f"{node.base}/api/pair"
        good = {"code": code, "gateway_name": "Office PC", "machine": "DESK-7"}
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({"json": {**good, "admin": True}}, 400, "invalid_request"),
            ({"json": {**good, "gateway_name": "x" * 65}}, 400, "invalid_request"),
            ({"json": {**good, "gateway_name": "two\nlines"}}, 400, "invalid_request"),
            ({"json": {**good, "machine": "   "}}, 400, "invalid_request"),
            ({"json": {"code": code}}, 400, "invalid_request"),
            ({"json": [good]}, 400, "invalid_request"),
            ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, 400,
             "invalid_request"),
            ({"data": json.dumps(good), "headers": {"Content-Type": "text/plain"}}, 415,
             "bad_content_type"),
            ({"json": {**good, "machine": "x" * 5000}}, 413, "too_large"),
        ]
        for kwargs, status, error in cases:
            async with http.post(url, **kwargs) as r:
                assert r.status == status, kwargs
                assert (await r.json())["error"] == error
        async with http.post(f"{node.base}/api/pairing-codes") as r:
            assert r.status == 401 and (await r.json())["reason"] == "missing"
        async with http.post(f"{node.base}/api/pairing-codes", headers=web("42"),
                             json={"ttl": 99999}) as r:
            assert r.status == 400
        # none of that used the code up
        assert (await pair(http, node, code))[0] == 200


async def test_database_down_answers_503_and_spends_no_code(pg: PgServer) -> None:
    """PostgreSQL stops: the API says "try again" (503), never "invalid code"; once it is
    back the same code still pairs."""
    async with _serve(pg.create_database()) as node, aiohttp.ClientSession() as http:
        node.backend.pairing.set_limits(PairingLimits(pairs_per_address=Limit(1000, 60)))
        code = await new_code(http, node)
        pg.stop("immediate")
        try:
            status, body, r = await pair(http, node, code)
            assert (status, body["error"]) == (503, "unavailable")
            assert r.headers["Retry-After"] == "5"
            async with http.get(f"{node.base}/api/gateways", headers=web("42")) as g:
                assert g.status == 503
        finally:
            pg.start()
        async with asyncio.timeout(30):
            while (answer := await pair(http, node, code))[0] == 503:  # noqa: ASYNC110
                await asyncio.sleep(0.5)  # a client retrying, as the 503 asks
        assert answer[0] == 200, answer[1]
        assert [g["name"] for g in await gateways(http, node)] == ["Office PC"]
