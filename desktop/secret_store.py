"""Where the platform sign-in token (a JWT) is kept: the OS credential store via `keyring`.

Without a usable keyring backend (a bare Linux desktop, a VPS) the token is kept in memory
for this session only, unless the trader explicitly chooses a private file readable by
their user account alone. The settings page says which of these is in use.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Literal

from gateway_core.paths import config_dir

log = logging.getLogger(__name__)

SERVICE = "mt4-companion"
ACCOUNT = "platform-token"
FALLBACK_FILE = "platform-token"
StoreKind = Literal["keyring", "file", "memory"]


def keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend configuration must not stop the app
        return False
    if isinstance(backend, fail.Keyring):
        return False
    # The chainer with nothing behind it has priority 0 too.
    return float(getattr(backend, "priority", 1)) > 0


class SecretStore:
    def __init__(self, *, use_keyring: bool | None = None, fallback_dir: Path | None = None):
        self._keyring = keyring_usable() if use_keyring is None else use_keyring
        self._file = (fallback_dir or config_dir()) / FALLBACK_FILE
        self._memory: str | None = None

    @property
    def kind(self) -> StoreKind:
        if self._keyring:
            return "keyring"
        return "file" if self._file.exists() else "memory"

    def describe(self) -> str:
        return {
            "keyring": "kept in the system credential store",
            "file": f"kept in a private file ({self._file}) - no credential store was found",
            "memory": "no credential store was found: kept for this session only "
            "(tick 'remember in a private file' to keep it)",
        }[self.kind]

    def get(self) -> str | None:
        if self._memory is not None:
            return self._memory
        if self._keyring:
            import keyring

            try:
                return keyring.get_password(SERVICE, ACCOUNT)
            except Exception as exc:
                log.warning("credential store unreadable: %s", type(exc).__name__)
                return None
        try:
            return self._file.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def set(self, token: str, *, remember_in_file: bool = False) -> StoreKind:
        token = token.strip()
        if self._keyring:
            import keyring

            try:
                keyring.set_password(SERVICE, ACCOUNT, token)
                self._memory = None
                return "keyring"
            except Exception as exc:
                log.warning("credential store refused the token (%s): session only",
                            type(exc).__name__)
        self._memory = token
        if remember_in_file:
            self._write_private(token)
            return "file"
        self._file.unlink(missing_ok=True)
        return "memory"

    def clear(self) -> None:
        self._memory = None
        if self._keyring:
            import keyring

            try:
                keyring.delete_password(SERVICE, ACCOUNT)
            except Exception as exc:  # nothing stored is fine
                log.debug("credential store delete: %s", type(exc).__name__)
        self._file.unlink(missing_ok=True)

    def _write_private(self, token: str) -> None:
        self._file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._file.with_name(self._file.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, token.encode() + b"\n")
        finally:
            os.close(fd)
        if sys.platform != "win32":
            os.chmod(tmp, 0o600)
        os.replace(tmp, self._file)
