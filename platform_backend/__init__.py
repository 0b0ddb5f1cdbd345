"""Reference platform backend (spec section 5): gateway ingress, JWT, per-user rooms,
Socket.IO namespace `/mt4`, SQLite or PostgreSQL state, Redis between nodes."""

__all__: list[str] = []
