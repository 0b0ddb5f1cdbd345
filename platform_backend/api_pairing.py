"""JSON API for linking gateways (mounted at `/api` by `app.py`):

* `POST /api/pairing-codes` (web token) -> 201 `{"code","expires_at"}`
* `POST /api/pair` (no auth) `{"code","gateway_name","machine"}` -> 200
  `{"gateway_token","token_id","user_id","link_url"}`; any code that is not valid -> 400
  `invalid_code` (one answer for all); too many attempts -> 429 `rate_limited` + Retry-After
* `GET /api/gateways` (web token) -> 200 `[{"id","name","machine","linked_at","last_seen",
  "terminals","version","online"}]`
* `DELETE /api/gateways/{id}` (web token) -> 204; not the caller's or unknown -> 404

Bodies are JSON (`application/json`, at most 4 KiB) checked by pydantic models that forbid
unknown keys; every error is `{"error": <code>, "message": <text>}`. Tokens and codes are
never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, TypeAdapter, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .auth import TOKEN_ID, AuthError, Identity, bearer, verify_token
from .pairing import RateLimited
from .store import StoreUnavailable

if TYPE_CHECKING:
    from .app import Backend

log = logging.getLogger(__name__)

MAX_BODY = 4096
Handler = Callable[[Request], Awaitable[Response]]
# Names are shown in lists: printable text only (no control characters or line breaks).
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                          pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]


class PairingCodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(max_length=32)]
    gateway_name: Text64
    machine: Text64


PAIRING_CODE_REQUEST = TypeAdapter(PairingCodeRequest)
PAIR_REQUEST = TypeAdapter(PairRequest)

INVALID_CODE = ("this pairing code is not valid: it may be mistyped, used, expired, or "
                "burnt after too many wrong tries; make a new one on the web panel")


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> Response:
        return _json({"error": self.error, "message": self.message, **self.extra},
                     self.status, self.headers)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status, headers={"cache-control": "no-store", **(headers or {})})


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _guarded(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except RateLimited as exc:
            return ApiError(429, "rate_limited", str(exc),
                            {"retry-after": str(exc.retry_after)},
                            retry_after=exc.retry_after).response()
        except ClientDisconnect:
            return Response(status_code=400)
        except StoreUnavailable:
            # Logged once per outage by the store's health; every write here is one
            # transaction, so nothing was changed.
            return ApiError(503, "unavailable", "the platform's database cannot be reached "
                            "right now; nothing was changed; try again shortly",
                            {"retry-after": "5"}).response()
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return _json({"error": "internal", "message": "the platform could not do this "
                          "now; try again"}, 500)

    return run


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _web_identity(backend: Backend, request: Request) -> Identity:
    try:
        return verify_token(bearer(request.headers.get("authorization")),
                            backend.settings.jwt_secret, expect="web")
    except AuthError as exc:
        log.info("API %s %s refused: %s", request.method, request.url.path, exc.kind)
        raise ApiError(401, "unauthorized", exc.message,
                       {"www-authenticate": "Bearer"}, reason=exc.kind) from None


async def _body(request: Request, *, optional: bool = False) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise ApiError(413, "too_large", f"the body must be at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, "too_large", f"the body must be at most {MAX_BODY} bytes")
    if optional and not body:
        return b"{}"
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError(415, "bad_content_type", "send the body as application/json")
    return body


def _invalid(exc: ValidationError) -> ApiError:
    first = exc.errors(include_url=False, include_input=False)[:1]
    where = ".".join(str(p) for p in first[0]["loc"]) if first else ""
    why = first[0]["msg"] if first else "invalid"
    return ApiError(400, "invalid_request",
                    f"{where}: {why}" if where else f"the body is not valid: {why}")


def api_routes(backend: Backend) -> list[BaseRoute]:
    async def create_code(request: Request) -> Response:
        ident = _web_identity(backend, request)
        try:
            PAIRING_CODE_REQUEST.validate_json(await _body(request, optional=True))
        except ValidationError as exc:
            raise _invalid(exc) from None
        issued = await backend.pairing.issue_code(ident.user_id, _address(request))
        return _json({"code": issued.code, "expires_at": iso(issued.expires_at)}, 201)

    async def pair(request: Request) -> Response:
        try:
            body = PAIR_REQUEST.validate_json(await _body(request))
        except ValidationError as exc:
            if any(e["loc"][:1] == ("code",) for e in exc.errors(include_url=False)):
                # A code too long to be one: the same answer as any other bad code.
                raise ApiError(400, "invalid_code", INVALID_CODE) from None
            raise _invalid(exc) from None
        paired = await backend.pairing.pair(body.code, body.gateway_name, body.machine,
                                            _address(request))
        if paired is None:
            raise ApiError(400, "invalid_code", INVALID_CODE)
        scheme = "wss" if request.url.scheme in ("https", "wss") else "ws"
        link_url = str(request.url.replace(scheme=scheme, path="/mt4", query="",
                                           fragment=""))
        return _json({"gateway_token": paired.gateway_token, "token_id": paired.token_id,
                      "user_id": paired.user_id, "link_url": link_url})

    async def list_gateways(request: Request) -> Response:
        ident = _web_identity(backend, request)
        out = []
        for g in await backend.pairing.gateways(ident.user_id):
            terminals = (len(await backend.store.load_agents(ident.user_id, g.gateway_id))
                         if g.gateway_id else 0)
            out.append({"id": g.token_id, "name": g.name, "machine": g.machine,
                        "linked_at": iso(g.linked_at), "last_seen": iso(g.last_seen),
                        "terminals": terminals, "version": g.version, "online": g.online})
        return _json(out)

    async def revoke(request: Request) -> Response:
        ident = _web_identity(backend, request)
        token_id = request.path_params["gateway_id"]
        if not TOKEN_ID.match(token_id) or not await backend.pairing.revoke(ident.user_id,
                                                                              token_id):
            raise ApiError(404, "not_found", "no such gateway among yours")
        return Response(status_code=204, headers={"cache-control": "no-store"})

    return [
        Route("/pairing-codes", _guarded(create_code), methods=["POST"]),
        Route("/pair", _guarded(pair), methods=["POST"]),
        Route("/gateways", _guarded(list_gateways), methods=["GET"]),
        Route("/gateways/{gateway_id}", _guarded(revoke), methods=["DELETE"]),
    ]
