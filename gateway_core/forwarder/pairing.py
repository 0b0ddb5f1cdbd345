"""Linking a gateway to a platform account with a one-time code: `POST /api/pair` on the
platform answers a gateway token (its own kind: valid at the gateway door only) and the
address of the gateway link. Used by `mt4-gateway link` and the desktop's link dialog.

Blocking standard-library HTTP on purpose: it is one request, made once, and the
desktop runs it in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .. import __version__

log = logging.getLogger(__name__)

CODE_LENGTH = 8
PAIR_PATH = "/api/pair"
MAX_NAME = 64
TIMEOUT = 15.0


class PairingError(Exception):
    """Why linking did not work, in words for the trader; `code` is the platform's."""

    def __init__(self, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


class PairAnswer(BaseModel):
    """`200` from `POST /api/pair` (the contract between the platform and gateways)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    gateway_token: Annotated[str, Field(min_length=16, max_length=8192)]
    token_id: Annotated[str, Field(min_length=1, max_length=128)]
    user_id: Annotated[str, Field(min_length=1, max_length=128)]
    link_url: Annotated[str, Field(min_length=1, max_length=2048)]


class PairRefusal(BaseModel):
    """`400`/`429` body. A body that does not fit still gets words from the HTTP status."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    error: Annotated[str, Field(max_length=64)] = "error"
    message: Annotated[str, Field(max_length=500)] = ""
    retry_after: int | None = None


ANSWER: TypeAdapter[PairAnswer] = TypeAdapter(PairAnswer)
REFUSAL: TypeAdapter[PairRefusal] = TypeAdapter(PairRefusal)


@dataclass(frozen=True)
class Pairing:
    """What linking gives: keep the token secret; the rest is shown and stored."""

    platform_url: str
    link_url: str
    gateway_token: str
    token_id: str
    user_id: str


def platform_base(text: str) -> str:
    """The platform's web address from what the trader typed: `platform.example`,
    `https://platform.example/`, even the link address `wss://platform.example/mt4`."""
    text = text.strip()
    if not text:
        raise PairingError("invalid_url", "enter the platform's address, e.g. "
                           "https://platform.example")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.hostname:
        raise PairingError("invalid_url", f"{text!r} is not a web address like "
                           "https://platform.example")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise PairingError("invalid_url", "the platform address must not carry a user, "
                           "password, query or fragment")
    path = parts.path.rstrip("/")
    path = path.removesuffix("/mt4")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((scheme, netloc, path, "", ""))


def normalize_code(text: str) -> str:
    """Codes are read aloud and typed: case, spaces and dashes do not matter."""
    code = re.sub(r"[\s-]", "", text).upper()
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isalnum():
        raise PairingError("invalid_code", f"a link code has {CODE_LENGTH} letters and "
                           "digits, as shown on the platform's 'Link a terminal' page")
    return code


def check_link_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise PairingError("bad_answer", "the platform answered a link address that is not "
                           "ws:// or wss://")
    return url


def default_gateway_name() -> str:
    return f"MT4 Companion on {socket.gethostname()}"[:MAX_NAME]


def pair(platform_url: str, code: str, *, gateway_name: str | None = None,
         machine: str | None = None, timeout: float = TIMEOUT) -> Pairing:
    """Exchange the code for a gateway token. Raises PairingError with words to show."""
    base = platform_base(platform_url)
    body = json.dumps({
        "code": normalize_code(code),
        "gateway_name": (gateway_name or default_gateway_name())[:MAX_NAME],
        "machine": (machine or socket.gethostname())[:MAX_NAME],
    }).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme was checked: http(s) only
        base + PAIR_PATH, data=body, method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 "User-Agent": f"mt4-gateway/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(65_536)
    except urllib.error.HTTPError as exc:
        raise _refusal(exc) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PairingError("unreachable", f"cannot reach {base}: {reason}") from None
    try:
        answer = ANSWER.validate_json(raw)
    except ValidationError:
        raise PairingError("bad_answer", f"{base} did not answer like an MT4 Companion "
                           "platform (is this the right address?)") from None
    log.info("linked to user %s at %s (token id %s)", answer.user_id, base, answer.token_id)
    return Pairing(base, check_link_url(answer.link_url), answer.gateway_token,
                   answer.token_id, answer.user_id)


def _refusal(exc: urllib.error.HTTPError) -> PairingError:
    try:
        raw = exc.read(65_536)
        said = REFUSAL.validate_json(raw)
    except (ValidationError, OSError, ValueError):
        said = PairRefusal(error="http_error", message="")
    retry = said.retry_after
    if retry is None and exc.headers.get("Retry-After", "").isdigit():
        retry = int(exc.headers["Retry-After"])
    if exc.code == 400:  # the contract: one answer for unknown, used, expired, burnt
        return PairingError("invalid_code", "the platform did not accept this code: it is "
                            "wrong, used or expired. Make a new one on the platform's 'Link a "
                            "terminal' page.")
    if exc.code == 429:
        wait = f" in {retry} s" if retry else " later"
        return PairingError("rate_limited", f"too many attempts: try again{wait}", retry)
    if exc.code == 404:
        return PairingError("not_found", "this address has no pairing service: is it the "
                            "platform's address?")
    detail = f": {said.message}" if said.message else ""
    return PairingError(said.error, f"the platform refused (HTTP {exc.code}){detail}")
