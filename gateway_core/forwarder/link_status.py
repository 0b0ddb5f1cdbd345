"""The platform link as the trader sees it (`/health` "backend", the desktop's status line).
Plain data; the connector updates it, `as_dict` renders it. Never holds the token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

LinkState = Literal["starting", "connecting", "connected", "reconnecting", "auth_failed",
                    "revoked", "stopped"]


def safe_url(url: str) -> str:
    """The backend URL without user info or query (either could carry a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass
class LinkStatus:
    url: str
    gateway_id: str
    state: LinkState = "starting"
    detail: str = ""
    retry_at: float | None = None
    """Monotonic time of the next attempt while reconnecting."""
    connected_since: datetime | None = None
    signed_in_as: str | None = None
    token_expires_at: datetime | None = None
    token_expires_soon: bool = False
    attempts: int = 0
    remote_trading: str = ""

    def as_dict(
        self,
        now_monotonic: float,
        *,
        outbox_depth: int,
        outbox_full: bool,
        dropped: int,
        last_seq: int,
        acked_seq: int,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "state": self.state,
            "detail": self.detail,
            "url": self.url,
            "gateway_id": self.gateway_id,
            "signed_in_as": self.signed_in_as,
            "token_expires_at": (
                self.token_expires_at.isoformat() if self.token_expires_at else None
            ),
            "token_expires_soon": self.token_expires_soon,
            "outbox_depth": outbox_depth,
            "outbox_full": outbox_full,
            "outbox_dropped": dropped,
            "last_seq": last_seq,
            "acked_seq": acked_seq,
            "risk": self.remote_trading,
            "connect_attempts": self.attempts,
        }
        if self.state == "reconnecting" and self.retry_at is not None:
            body["retry_in_s"] = round(max(0.0, self.retry_at - now_monotonic), 1)
        if self.connected_since is not None:
            body["connected_since"] = self.connected_since.isoformat()
        return body
