"""The local WebSocket gateway (asyncio adapter over the core state machines)."""

from .config import DEFAULT_HOST, DEFAULT_PORT, GatewayConfig, RateLimit
from .gateway import Gateway, GatewayOutput, Listener

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "Gateway",
    "GatewayConfig",
    "GatewayOutput",
    "Listener",
    "RateLimit",
]
