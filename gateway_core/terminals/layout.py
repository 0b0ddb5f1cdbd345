"""What a MetaTrader folder looks like: which files mark MT4, MT5, an install, a data folder.

MT4 data folders hold ``MQL4/``, MT5 ones ``MQL5/``. MT4 installs hold ``terminal.exe`` and
``metaeditor.exe``; MT5 installs ``terminal64.exe`` and ``metaeditor64.exe``. Names are matched
without regard to case because Windows ignores case and Wine folders on Linux keep whatever case
the installer used.
"""

from __future__ import annotations

import enum
from pathlib import Path

__all__ = [
    "MQL4_DIR",
    "MQL5_DIR",
    "NotAnMt4DataFolder",
    "TerminalKind",
    "child",
    "classify_folder",
    "list_children",
    "require_mt4_data_folder",
]

MQL4_DIR = "MQL4"
MQL5_DIR = "MQL5"
MT4_TERMINAL = "terminal.exe"
MT4_METAEDITOR = "metaeditor.exe"
MT5_TERMINAL = "terminal64.exe"
MT5_METAEDITOR = "metaeditor64.exe"
ORIGIN = "origin.txt"


class TerminalKind(enum.StrEnum):
    MT4 = "mt4"
    MT5 = "mt5-not-supported"


class NotAnMt4DataFolder(ValueError):
    """The folder given is not an MT4 data folder; nothing was changed."""


def list_children(folder: Path) -> dict[str, Path]:
    """Map lower-cased names to the entries of ``folder``; empty when it cannot be listed."""
    try:
        return {entry.name.lower(): entry for entry in folder.iterdir()}
    except OSError:
        return {}


def child(folder: Path, name: str, children: dict[str, Path] | None = None) -> Path | None:
    """The entry of ``folder`` called ``name`` in any letter case, or None."""
    entries = list_children(folder) if children is None else children
    return entries.get(name.lower())


def _is_dir(path: Path | None) -> bool:
    try:
        return path is not None and path.is_dir()
    except OSError:
        return False


def _is_file(path: Path | None) -> bool:
    try:
        return path is not None and path.is_file()
    except OSError:
        return False


def classify_folder(folder: Path, children: dict[str, Path] | None = None) -> TerminalKind | None:
    """MT4, MT5 or None (not a terminal folder) for a data folder or an install folder."""
    entries = list_children(folder) if children is None else children
    if _is_dir(entries.get(MQL4_DIR.lower())):
        return TerminalKind.MT4
    if _is_dir(entries.get(MQL5_DIR.lower())):
        return TerminalKind.MT5
    if _is_file(entries.get(MT4_TERMINAL)) or _is_file(entries.get(MT4_METAEDITOR)):
        return TerminalKind.MT4
    if _is_file(entries.get(MT5_TERMINAL)) or _is_file(entries.get(MT5_METAEDITOR)):
        return TerminalKind.MT5
    return None


def require_mt4_data_folder(folder: Path) -> Path:
    """Return the ``MQL4`` folder of the MT4 data folder ``folder`` (which may not exist yet).

    Accepts a data folder with ``MQL4/`` and a portable install that was never started (it has
    ``terminal.exe`` but no ``MQL4/`` yet). Raises :class:`NotAnMt4DataFolder` otherwise, with a
    sentence the trader can act on.
    """
    if not _is_dir(folder):
        raise NotAnMt4DataFolder(f"{folder} is not a folder")
    entries = list_children(folder)
    kind = classify_folder(folder, entries)
    if kind is TerminalKind.MT5:
        raise NotAnMt4DataFolder(
            f"{folder} belongs to MetaTrader 5, which MT4 Companion does not support"
        )
    if kind is None:
        raise NotAnMt4DataFolder(
            f"{folder} is not an MT4 data folder (no MQL4 folder and no terminal.exe); in MT4 use "
            "File > Open Data Folder to find the right one"
        )
    existing = entries.get(MQL4_DIR.lower())
    return existing if existing is not None else folder / MQL4_DIR
