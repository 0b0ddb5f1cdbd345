"""Writes the icons in `assets/`: `python -m desktop.make_assets [OUT_DIR]`.

Run it after changing desktop/icons.py and commit the output; the app and the installer use
the files (the .ico is for the Windows executable and shortcuts).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .assets import ICON_SIZES
from .icons import STATE_COLOURS, paint_icon
from .qt import QGuiApplication


def write_assets(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for state in STATE_COLOURS:
        for size in ICON_SIZES:
            path = out / f"icon-{state}-{size}.png"
            if not paint_icon(state, size).save(str(path), b"PNG"):
                raise OSError(f"could not write {path}")
            written.append(path)
    # Qt's ICO writer stores one image per file; 256 px is what Windows scales down from.
    ico = out / "mt4-companion.ico"
    if not paint_icon("app", 256).save(str(ico), b"ICO"):
        raise OSError(f"could not write {ico}")
    written.append(ico)
    return written


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    default = Path(__file__).resolve().parent.parent / "assets"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    files = write_assets(out)
    print(f"wrote {len(files)} files to {out}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
