"""Who may open a connection, decided from the HTTP upgrade request alone.

A web page must never reach the gateway: browsers always send `Origin` on WebSocket
handshakes and cross-origin fetches, so any `Origin` is refused; a `Host` that is not
ours means DNS rebinding and is refused too. Everything else needs the local token.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

_AGENT_PATH = re.compile(r"^/mt4/([A-Za-z0-9_.\-]{1,64})$")
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


@dataclass(frozen=True)
class Route:
    kind: Literal["agent", "client", "health"]
    agent_id: str | None = None
    authorized: bool = True


@dataclass(frozen=True)
class Refusal:
    status: HTTPStatus
    reason: str


def _host_ok(host_header: str | None, bind_host: str) -> bool:
    if host_header is None:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        name = host.split("]", 1)[0] + "]"
    else:
        name = host.rsplit(":", 1)[0] if ":" in host else host
    if name in _LOCAL_HOSTS:
        return True
    return bind_host not in ("127.0.0.1", "localhost", "::1") and name == bind_host.lower()


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def check_request(
    path: str,
    *,
    origin: str | None,
    host: str | None,
    authorization: str | None,
    token: str,
    bind_host: str,
    is_upgrade: bool,
) -> Route | Refusal:
    if origin is not None:
        return Refusal(
            HTTPStatus.FORBIDDEN, "requests from web pages (with an Origin header) are not accepted"
        )
    if not _host_ok(host, bind_host):
        return Refusal(HTTPStatus.FORBIDDEN, "unexpected Host header")
    route_path = path.split("?", 1)[0]
    if "?" in path and "token" in path.split("?", 1)[1].lower():
        # Tokens in URLs end up in logs and histories.
        return Refusal(
            HTTPStatus.BAD_REQUEST,
            "do not put the token in the URL; send Authorization: Bearer <token>",
        )
    given = bearer_token(authorization)
    authorized = given is not None and hmac.compare_digest(given.encode(), token.encode())
    if route_path == "/health" and not is_upgrade:
        return Route("health", authorized=authorized)
    if not is_upgrade:
        return Refusal(HTTPStatus.UPGRADE_REQUIRED, "this endpoint speaks WebSocket only")
    if route_path == "/commands":
        route = Route("client")
    elif m := _AGENT_PATH.match(route_path):
        route = Route("agent", agent_id=m.group(1))
    elif route_path.startswith("/mt4/"):
        return Refusal(
            HTTPStatus.BAD_REQUEST,
            "agent id must be 1-64 characters of letters, digits, '_', '.', '-'",
        )
    else:
        return Refusal(HTTPStatus.NOT_FOUND, f"no endpoint at {route_path}")
    if given is None:
        return Refusal(
            HTTPStatus.UNAUTHORIZED, "missing local token: send Authorization: Bearer <token>"
        )
    if not authorized:
        return Refusal(HTTPStatus.UNAUTHORIZED, "wrong local token")
    return route
