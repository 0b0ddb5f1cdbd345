"""TEST PEER, not the product: a small real aiohttp server that plays the platform backend's
side of the pairing contract (docs in the session brief; the real endpoints are built in
platform_backend by another team) and of the gateway link, so the desktop app and
`mt4-gateway link` are tested over real HTTP and WebSockets on 127.0.0.1.

- `POST /api/pair` {"code","gateway_name","machine"} -> 200 {"gateway_token","token_id",
  "user_id","link_url"}; any bad code -> 400 {"error":"invalid_code"}.
- `GET /mt4` WebSocket with `Authorization: Bearer <gateway token>`: hello -> welcome, acks
  every event; a revoked token gets HTTP 401 `revoked`; `revoke()` closes the live link
  with 4401 `revoked`. A web token (kind "web") gets HTTP 401 `wrong_kind`.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import WSCloseCode, WSMsgType, web

SECRET = "test-peer-secret-" + "x" * 32


@dataclass
class PlatformPeer:
    codes: dict[str, str] = field(default_factory=dict)
    """Pairing code -> user id (single use)."""
    revoked: set[str] = field(default_factory=set)
    pair_requests: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    acked: int = 0
    links: dict[str, web.WebSocketResponse] = field(default_factory=dict)
    """token id -> live link."""
    rate_limited: int | None = None
    """Answer `POST /api/pair` with 429 and this Retry-After."""
    answer_override: dict[str, Any] | None = None
    """Answer `POST /api/pair` with this body (200) instead: a platform off the contract."""
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/pair", self._pair)
        app.router.add_get("/mt4", self._link)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.links.values()):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"shutdown")
        if self._runner is not None:
            await self._runner.cleanup()

    def new_code(self, user_id: str = "42") -> str:
        code = "".join(secrets.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(8))
        self.codes[code] = user_id
        return code

    def issue_gateway_token(self, user_id: str = "42") -> tuple[str, str]:
        """(token, token id), as `POST /api/pair` hands them out."""
        token_id = secrets.token_hex(8)
        token = jwt.encode({"sub": user_id, "kind": "gateway", "jti": token_id,
                            "exp": int(time.time()) + 30 * 86400}, SECRET, "HS256")
        return token, token_id

    def web_token(self, user_id: str = "42") -> str:
        return jwt.encode({"sub": user_id, "kind": "web", "exp": int(time.time()) + 3600},
                          SECRET, "HS256")

    async def revoke(self, token_id: str) -> None:
        self.revoked.add(token_id)
        ws = self.links.pop(token_id, None)
        if ws is not None:
            await ws.close(code=4401, message=b"revoked")

    async def command(self, agent_id: str, command: dict[str, Any]) -> None:
        ws = next(iter(self.links.values()))
        await ws.send_str(json.dumps({"type": "command", "agent_id": agent_id,
                                      "command": command}))

    def replies(self, request_id: str) -> list[dict[str, Any]]:
        return [e["event"] for e in self.events if e["event"].get("request_id") == request_id]

    # -- handlers ---------------------------------------------------------------------

    async def _pair(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.pair_requests.append(body if isinstance(body, dict) else {})
        if self.rate_limited is not None:
            return web.json_response({"error": "rate_limited", "message": "slow down",
                                      "retry_after": self.rate_limited}, status=429,
                                     headers={"Retry-After": str(self.rate_limited)})
        if self.answer_override is not None:
            return web.json_response(self.answer_override)
        user = self.codes.pop(str(body.get("code", ""))) if isinstance(body, dict) and \
            body.get("code") in self.codes else None
        if user is None:
            return web.json_response({"error": "invalid_code",
                                      "message": "this code is unknown, used or expired"},
                                     status=400)
        token, token_id = self.issue_gateway_token(user)
        return web.json_response({"gateway_token": token, "token_id": token_id,
                                  "user_id": user, "link_url": f"ws://127.0.0.1:{self.port}/mt4"})

    async def _link(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        try:
            claims = jwt.decode(auth.removeprefix("Bearer "), SECRET, ["HS256"])
        except jwt.PyJWTError:
            return web.Response(status=401, text="invalid token")
        if claims.get("kind", "web") != "gateway":
            return web.Response(status=401, text="wrong_kind")
        if claims["jti"] in self.revoked:
            return web.Response(status=401, text="revoked")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        hello = json.loads(await ws.receive_str())
        assert hello["type"] == "hello"
        self.links[claims["jti"]] = ws
        await ws.send_str(json.dumps({"type": "welcome", "link_version": 1,
                                      "user_id": claims["sub"], "acked_seq": self.acked}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            for ev in frame["events"] if frame["type"] == "batch" else [frame]:
                if ev["seq"] > self.acked:
                    self.acked = ev["seq"]
                    self.events.append(ev)
            await ws.send_str(json.dumps({"type": "ack", "seq": self.acked}))
        if self.links.get(claims["jti"]) is ws:
            del self.links[claims["jti"]]
        return ws
