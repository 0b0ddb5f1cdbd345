"""Write a file so that readers see either the old or the new content, never half of it.

A running terminal may read our files at any moment (the EA reads its config, the terminal
rescans Experts), so every write goes to a temporary file in the same folder and is then moved
over the target with ``os.replace``, which is atomic on one filesystem.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes"]

_PUBLIC_MODE = 0o644
_PRIVATE_MODE = 0o600


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically.

    ``private``: readable by the current user only where the OS supports POSIX modes (the file
    holds a secret). On Windows the data folder under %APPDATA% is already per-user, so the
    inherited ACL is kept. Raises ``OSError`` and leaves no temporary file behind on failure.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if sys.platform != "win32":
            # mkstemp creates 0600; ordinary files get the usual 0644 so the trader's tools and
            # backups can read them like any other file in the terminal folder.
            os.chmod(tmp, _PRIVATE_MODE if private else _PUBLIC_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
