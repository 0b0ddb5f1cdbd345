"""Settings of one running gateway; the CLI and the desktop app fill them in."""

from __future__ import annotations

from dataclasses import dataclass

from ..defaults import DEFAULT_HOST, DEFAULT_PORT

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "GatewayConfig", "RateLimit"]


@dataclass(frozen=True)
class RateLimit:
    per_second: float
    burst: int


@dataclass(frozen=True)
class GatewayConfig:
    token: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_frame_bytes: int = 4 << 20
    """Room for a snapshot of a few thousand orders; anything larger is refused (1009)."""
    max_connections: int = 256
    agent_rate: RateLimit = RateLimit(per_second=5_000, burst=10_000)
    client_rate: RateLimit = RateLimit(per_second=200, burst=400)
    heartbeat_interval: float = 5.0
    trade_timeout: float = 30.0
    query_timeout: float = 10.0
    client_queue: int = 50_000
    """Messages a /commands client may fall behind before it is dropped as too slow."""
    supervise_every: float = 0.25
    open_timeout: float = 10.0
    """A connection that has not finished its handshake by then is closed (slowloris,
    half-open sockets)."""
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    """Keepalive: a peer that does not answer a ping within this is dropped (half-open TCP)."""
    close_timeout: float = 5.0
    """How long a closing handshake may wait for a silent peer before the socket is cut."""

    def __post_init__(self) -> None:
        if len(self.token) < 16:
            raise ValueError("the local token must be at least 16 characters")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range")
