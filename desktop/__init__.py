"""MT4 Companion desktop app (PySide6 + qasync): windows, tray, trade ticket, settings.

Wiring and views only: the gateway, protocol and terminal logic live in gateway_core.
"""
