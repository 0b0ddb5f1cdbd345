"""Terminal integration: find MT4 terminals, install our EA, compile it, start MT4 with it."""
