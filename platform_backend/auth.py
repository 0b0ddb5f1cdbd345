"""Platform JWTs: HS256, the user is the `sub` claim, `exp` is required.

Two kinds (claim `kind`): `web` tokens sign a person in (Socket.IO, the JSON API) and
`gateway` tokens open the gateway door (`/mt4`) only, so a leaked gateway token is not a
user session. Gateway tokens also carry `jti`, the token id the backend stores so it can
revoke them (`pairing.py`). A token with no `kind` is a `web` token. Tokens are never
logged; refusals say why in general terms.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Literal

import jwt

ALGORITHM = "HS256"
USER_ID = re.compile(r"^[A-Za-z0-9_.:@\-]{1,64}$")
TOKEN_ID = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
DEFAULT_TTL_S = 24 * 3600

TokenKind = Literal["web", "gateway"]
TOKEN_KINDS: tuple[TokenKind, ...] = ("web", "gateway")
AuthFailure = Literal["missing", "invalid", "expired", "bad_subject", "wrong_kind",
                      "revoked"]

WRONG_KIND_MESSAGES: dict[TokenKind, str] = {
    "web": "wrong_kind: this is a gateway token; sign in with your platform account",
    "gateway": "wrong_kind: this door takes a gateway token (link the gateway with a "
               "pairing code), not a web sign-in token",
}


class AuthError(Exception):
    def __init__(self, kind: AuthFailure, message: str) -> None:
        super().__init__(message)
        self.kind: AuthFailure = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    expires_at: float
    kind: TokenKind = "web"
    token_id: str | None = None


def issue_token(user_id: str, secret: str, ttl_s: float = DEFAULT_TTL_S,
                now: float | None = None, *, kind: TokenKind = "web",
                token_id: str | None = None) -> str:
    if not USER_ID.match(user_id):
        raise ValueError("a user id is 1-64 letters, digits or _.:@-")
    if kind not in TOKEN_KINDS:
        raise ValueError(f"a token kind is one of {', '.join(TOKEN_KINDS)}")
    if kind == "gateway" and (token_id is None or not TOKEN_ID.match(token_id)):
        raise ValueError("a gateway token needs a token id (8-64 of A-Za-z0-9_-)")
    if kind == "web" and token_id is not None:
        raise ValueError("only gateway tokens carry a token id")
    issued = int(now if now is not None else time.time())
    claims: dict[str, str | int] = {"sub": user_id, "iat": issued, "exp": issued + int(ttl_s),
                                    "kind": kind}
    if token_id is not None:
        claims["jti"] = token_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str | None, secret: str, expect: TokenKind | None = None) -> Identity:
    """Check signature, expiry and subject; with `expect`, also the kind (a token with no
    `kind` claim is `web`). Revocation is the caller's business (it needs the store)."""
    if not token:
        raise AuthError("missing", "no token: send your platform JWT")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("expired", "the token has expired: sign in again") from None
    except jwt.PyJWTError:
        raise AuthError("invalid", "the token is not valid for this platform") from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not USER_ID.match(sub):
        raise AuthError("bad_subject", "the token does not name a valid user")
    raw_kind = claims.get("kind", "web")
    if raw_kind == "web":
        kind: TokenKind = "web"
    elif raw_kind == "gateway":
        kind = "gateway"
    else:
        raise AuthError("invalid", "the token is not valid for this platform")
    token_id = claims.get("jti")
    if kind == "gateway" and (not isinstance(token_id, str) or not TOKEN_ID.match(token_id)):
        raise AuthError("invalid", "the token is not valid for this platform")
    if expect is not None and kind != expect:
        raise AuthError("wrong_kind", WRONG_KIND_MESSAGES[expect])
    return Identity(user_id=sub, expires_at=float(claims["exp"]), kind=kind,
                    token_id=token_id if kind == "gateway" else None)


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
