"""Reference platform backend (spec section 5): gateway ingress, JWT, per-user rooms,
Socket.IO namespace `/mt4`, SQLite state, Redis manager for more than one node."""

__all__: list[str] = []
