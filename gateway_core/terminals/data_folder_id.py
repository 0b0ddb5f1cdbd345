"""The name MetaTrader gives a terminal's data folder under ``%APPDATA%\\MetaQuotes\\Terminal``.

The terminal names its data folder after the MD5 of its own installation path: the path without a
trailing backslash, upper-cased, encoded UTF-16LE, written as upper-case hex. Knowing this lets us
tie an installation found in Program Files to its data folder even when ``origin.txt`` is missing
or unreadable. Known vectors (see docs/notes mt4-facts.md):

    C:\\Program Files (x86)\\MetaTrader 4 -> 50CA3DFB510CC5A8F28B48D1BF2A5702
    C:\\Program Files\\MetaTrader 5       -> D0E8209F77C8CF37AD8BF550E51FF075
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

__all__ = [
    "data_folder_id",
    "host_path_from_windows",
    "is_data_folder_id",
    "windows_path_in_prefix",
    "wine_prefix_of",
]

_ID_RE = re.compile(r"^[0-9A-Fa-f]{32}$")
_DRIVE_RE = re.compile(r"^([A-Za-z]):[\\/]?(.*)$")


def data_folder_id(install_path: str) -> str:
    """Return the 32-hex data folder name MetaTrader uses for ``install_path`` (a Windows path).

    Forward slashes are accepted and turned into backslashes because a path typed by hand or
    produced by a Wine mapping may use them; the terminal itself always sees backslashes.
    """
    text = install_path.strip().replace("/", "\\")
    # The terminal hashes the folder path without a trailing separator; "C:\" keeps its backslash
    # because "C:" alone means "current directory on drive C".
    while text.endswith("\\") and not re.fullmatch(r"[A-Za-z]:\\", text):
        text = text[:-1]
    digest = hashlib.md5(text.upper().encode("utf-16-le"), usedforsecurity=False)
    return digest.hexdigest().upper()


def is_data_folder_id(name: str) -> bool:
    """True when ``name`` looks like a data folder id (32 hex digits)."""
    return bool(_ID_RE.match(name))


def wine_prefix_of(path: Path) -> Path | None:
    """Return the Wine prefix (the folder holding ``drive_c``) that ``path`` lies in, if any."""
    for parent in (path, *path.parents):
        if parent.name == "drive_c":
            return parent.parent
    return None


def windows_path_in_prefix(path: Path) -> str | None:
    """Return the path a Windows program inside a Wine prefix sees for ``path`` (``C:\\...``).

    None when ``path`` is not under a prefix's ``drive_c``. Only drive C is derived this way:
    it is the only drive every prefix maps to ``drive_c``.
    """
    prefix = wine_prefix_of(path)
    if prefix is None:
        return None
    relative = PurePosixPath(path.as_posix()).relative_to(
        PurePosixPath((prefix / "drive_c").as_posix())
    )
    parts = relative.parts
    return "C:\\" + "\\".join(parts)


def host_path_from_windows(windows_path: str, prefix: Path) -> Path | None:
    """Map a Windows path seen inside the Wine ``prefix`` to a path on this machine.

    Uses the prefix's ``dosdevices/<letter>:`` links when present (Wine's own drive table) and falls
    back to ``drive_c`` for drive C. None when the drive cannot be mapped.
    """
    match = _DRIVE_RE.match(windows_path.strip())
    if match is None:
        return None
    letter, rest = match.group(1).lower(), match.group(2)
    parts = [p for p in PureWindowsPath(rest).parts if p not in ("\\", "/")]
    base: Path | None = None
    device = prefix / "dosdevices" / f"{letter}:"
    try:
        if device.is_dir():
            base = device
    except OSError:
        base = None
    if base is None and letter == "c":
        base = prefix / "drive_c"
    if base is None:
        return None
    return _join_case_insensitive(base, parts)


def _join_case_insensitive(base: Path, parts: list[str]) -> Path:
    """Join ``parts`` onto ``base``, matching each part case-insensitively like Windows does.

    A path read from origin.txt may differ in case from the folder on a case-sensitive disk (Wine on
    Linux); a part with no match is joined as written so the caller can report it as missing.
    """
    current = base
    for part in parts:
        candidate = current / part
        if not candidate.exists():
            try:
                matches = [c for c in current.iterdir() if c.name.lower() == part.lower()]
            except OSError:
                matches = []
            if matches:
                candidate = sorted(matches)[0]
        current = candidate
    return current
