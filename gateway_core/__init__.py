"""MT4 Companion gateway core: protocol, agent state, command routing and the local server.

UI-free by design: nothing here imports Qt, so the same core runs in the tray app and
headless on a VPS (`mt4-gateway serve`).
"""

__version__ = "0.1.0"
