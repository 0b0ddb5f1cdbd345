"""Logging to a rotating file in the user log folder, with secrets masked.

Tokens must never reach a log file: the filter masks every secret the app registers
(local token, platform JWT) and anything shaped like a JWT, whoever logs it.
"""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

from gateway_core.paths import log_dir
from gateway_core.server.log_filters import quiet_handshake_noise

LOG_FILE = "mt4-companion.log"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_MASK = "«hidden»"


class RedactSecrets(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if len(secret) >= 8:  # a short "secret" would mask ordinary words
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return _JWT.sub(_MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True


REDACTOR = RedactSecrets()


def setup_logging(folder: Path | None = None, level: int = logging.INFO) -> Path:
    """Send the root logger to `folder/mt4-companion.log` (1 MB x 5). Returns the file."""
    folder = folder or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_mt4_companion", False):
            root.removeHandler(handler)
            handler.close()
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # On the handler, not a logger: records from every library pass through it.
    handler.addFilter(REDACTOR)
    handler._mt4_companion = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # websockets logs each refused handshake with a traceback; the gateway logs one line.
    # Handler crashes stay visible.
    quiet_handshake_noise()
    return path
