"""What websockets logs, kept or dropped.

A refused or malformed handshake makes websockets log "opening handshake failed" at ERROR
with a traceback; the gateway already logs every refusal in one line, so those records are
noise. Anything else websockets reports at ERROR (a connection handler or process_request
that crashed) is a defect and must stay visible with its traceback.
"""

from __future__ import annotations

import logging

WEBSOCKETS_LOGGER = "gateway_core.server.websockets"

_NOISE = frozenset({"opening handshake failed"})


class HandshakeNoiseFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in _NOISE


_FILTER = HandshakeNoiseFilter()


def quiet_handshake_noise() -> None:
    """Drop refused-handshake tracebacks but keep every other websockets error."""
    logger = logging.getLogger(WEBSOCKETS_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
