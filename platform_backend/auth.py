"""Platform JWTs: HS256, the user is the `sub` claim, `exp` is required.

Both doors use this: gateways (`Authorization: Bearer` on `/mt4`) and web clients
(Socket.IO `auth.token`). Tokens are never logged; refusals say why in general terms.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Literal

import jwt

ALGORITHM = "HS256"
USER_ID = re.compile(r"^[A-Za-z0-9_.:@\-]{1,64}$")
DEFAULT_TTL_S = 24 * 3600

AuthFailure = Literal["missing", "invalid", "expired", "bad_subject"]


class AuthError(Exception):
    def __init__(self, kind: AuthFailure, message: str) -> None:
        super().__init__(message)
        self.kind: AuthFailure = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    expires_at: float


def issue_token(user_id: str, secret: str, ttl_s: float = DEFAULT_TTL_S,
                now: float | None = None) -> str:
    if not USER_ID.match(user_id):
        raise ValueError("a user id is 1-64 letters, digits or _.:@-")
    issued = int(now if now is not None else time.time())
    claims = {"sub": user_id, "iat": issued, "exp": issued + int(ttl_s)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str | None, secret: str) -> Identity:
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
    return Identity(user_id=sub, expires_at=float(claims["exp"]))


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
