"""Defaults every entry point agrees on, importable without pulling in the server."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090
"""The spec's port (ws://localhost:8090/mt4/{agent_id})."""
