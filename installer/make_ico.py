"""A multi-size Windows icon from the PNGs the desktop engineer draws in `assets/`.

`assets/mt4-companion.ico` holds one 256 px image (Qt's ICO writer stores one per file);
Explorer, the taskbar and the Start menu look best with hand-drawn small sizes, so the build
packs `assets/icon-app-{16..256}.png` into one .ico (PNG-compressed entries, supported since
Windows Vista and by NSIS 3). Pure standard library.

    python installer/make_ico.py OUT.ico
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from buildinfo import ASSETS_SOURCE

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(_PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def ico_from_pngs(images: list[bytes]) -> bytes:
    """ICONDIR + one ICONDIRENTRY per image + the PNG bytes, smallest first."""
    entries = sorted(((png_size(d), d) for d in images), key=lambda e: e[0][0])
    header = struct.pack("<HHH", 0, 1, len(entries))
    offset = len(header) + 16 * len(entries)
    directory = b""
    payload = b""
    for (width, height), data in entries:
        if not (1 <= width <= 256 and 1 <= height <= 256):
            raise ValueError(f"icon images must be 1-256 px, got {width}x{height}")
        directory += struct.pack(
            "<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(data), offset + len(payload)
        )
        payload += data
    return header + directory + payload


def read_ico_sizes(data: bytes) -> list[int]:
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1:
        raise ValueError("not an .ico file")
    sizes = []
    for i in range(count):
        width = data[6 + 16 * i]
        sizes.append(width or 256)
    return sizes


def build_app_ico(out: Path, assets: Path = ASSETS_SOURCE) -> Path:
    """Write the app icon; falls back to the committed single-image .ico if PNGs are missing."""
    pngs = [assets / f"icon-app-{size}.png" for size in ICO_SIZES]
    out.parent.mkdir(parents=True, exist_ok=True)
    if all(p.is_file() for p in pngs):
        out.write_bytes(ico_from_pngs([p.read_bytes() for p in pngs]))
        return out
    fallback = assets / "mt4-companion.ico"
    if not fallback.is_file():
        missing = [str(p) for p in pngs if not p.is_file()]
        raise FileNotFoundError(f"no app icon: missing {', '.join(missing)} and {fallback}")
    out.write_bytes(fallback.read_bytes())
    return out


if __name__ == "__main__":
    target = build_app_ico(Path(sys.argv[1]))
    print(f"{target}: sizes {read_ico_sizes(target.read_bytes())}")
