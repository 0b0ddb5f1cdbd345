"""What the gateway can read from the trader's platform JWT: who it names and when it ends.

This is NOT verification: the gateway has no key and does not need one. It reads the
claims so it can say who it is signed in as, warn a day before expiry and stop retrying
with a token that has expired. The backend verifies the signature. Tokens are never
logged; only the subject and expiry are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

WARN_BEFORE = timedelta(days=1)


class TokenProblem(Exception):
    """The token cannot be used at all (malformed, no subject)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    subject: str
    expires_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def expires_soon(self, now: datetime, within: timedelta = WARN_BEFORE) -> bool:
        return self.expires_at is not None and now >= self.expires_at - within

    def describe(self, now: datetime) -> str:
        if self.expires_at is None:
            return f"signed in as user {self.subject} (token without expiry)"
        when = self.expires_at.isoformat(timespec="seconds")
        if self.expired(now):
            return f"token for user {self.subject} expired at {when}"
        return f"signed in as user {self.subject} until {when}"


def read_unverified_claims(token: str) -> TokenInfo:
    """Subject and expiry of a JWT, read WITHOUT checking its signature (see module doc)."""
    try:
        claims = jwt.decode(
            token,
            options={"verify_signature": False, "verify_exp": False},
            algorithms=["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"],
        )
    except jwt.PyJWTError:
        raise TokenProblem("the platform token is not a valid JWT") from None
    sub = claims.get("sub")
    if sub is None or str(sub) == "":
        raise TokenProblem("the platform token names no user (no 'sub' claim)")
    exp = claims.get("exp")
    expires_at: datetime | None = None
    if exp is not None:
        try:
            expires_at = datetime.fromtimestamp(float(exp), UTC)
        except (TypeError, ValueError, OverflowError):
            raise TokenProblem("the platform token has an unreadable 'exp' claim") from None
    return TokenInfo(subject=str(sub), expires_at=expires_at)
