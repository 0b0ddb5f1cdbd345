"""Read ``origin.txt``: the installation path a terminal writes into its data folder.

Seen in the wild as UTF-16LE with an FF FE byte-order mark (MT5, newer MT4 builds) and as plain
UTF-8/ANSI text (older builds, hand-made copies). Anything else is reported, never raised: one
broken data folder must not hide the others from the trader.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ORIGIN_FILE", "OriginInfo", "decode_origin", "read_origin"]

logger = logging.getLogger(__name__)

ORIGIN_FILE = "origin.txt"

# A real origin.txt is one short line; anything much bigger is not one, and reading it whole
# would let a junk file waste memory.
_MAX_ORIGIN_BYTES = 16 * 1024
# A drive path (C:\...), a UNC path (\\server\share...), or an absolute POSIX path (written by
# hand-made setups and by tests that lay out a Windows profile on a POSIX disk).
_PATH_RE = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/]|/[^/])")


@dataclass(frozen=True)
class OriginInfo:
    """What origin.txt says. ``install_path`` is the Windows path text, or None with a problem."""

    install_path: str | None
    encoding: str | None = None
    problem: str | None = None


def decode_origin(raw: bytes) -> OriginInfo:
    """Decode the bytes of an origin.txt file into the install path it names."""
    if not raw.strip(b"\x00 \t\r\n"):
        return OriginInfo(None, None, "origin.txt is empty")
    text: str | None = None
    encoding: str | None = None
    try:
        if raw.startswith(b"\xff\xfe"):
            text, encoding = raw[2:].decode("utf-16-le"), "utf-16"
        elif raw.startswith(b"\xfe\xff"):
            text, encoding = raw[2:].decode("utf-16-be"), "utf-16"
        elif raw.startswith(b"\xef\xbb\xbf"):
            text, encoding = raw[3:].decode("utf-8"), "utf-8"
        elif len(raw) >= 4 and raw[1] == 0 and raw[3] == 0:
            # UTF-16LE without a BOM: every ASCII character is followed by a zero byte.
            text, encoding = raw.decode("utf-16-le"), "utf-16"
        else:
            text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return OriginInfo(None, None, "origin.txt is not readable text (neither UTF-16 nor UTF-8)")
    lines = [line.strip(" \t\x00\ufeff") for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return OriginInfo(None, encoding, "origin.txt is empty")
    path_text = lines[0]
    if any(ord(ch) < 32 for ch in path_text) or not _PATH_RE.match(path_text):
        return OriginInfo(None, encoding, "origin.txt does not hold an installation path")
    return OriginInfo(path_text, encoding, None)


def read_origin(data_folder: Path) -> OriginInfo:
    """Read ``<data_folder>/origin.txt``; problems come back in the result, never as exceptions."""
    origin = data_folder / ORIGIN_FILE
    try:
        with origin.open("rb") as handle:
            raw = handle.read(_MAX_ORIGIN_BYTES + 1)
    except FileNotFoundError:
        return OriginInfo(None, None, "origin.txt is missing")
    except IsADirectoryError:
        return OriginInfo(None, None, "origin.txt is a folder, not a file")
    except OSError as exc:
        logger.debug("cannot read %s: %s", origin, exc)
        return OriginInfo(None, None, f"origin.txt is unreadable ({exc.strerror or exc})")
    if len(raw) > _MAX_ORIGIN_BYTES:
        return OriginInfo(None, None, "origin.txt is too large to be an installation path")
    return decode_origin(raw)
