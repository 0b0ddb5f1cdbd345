"""Finds files in `assets/` from a source checkout, an installed wheel or a PyInstaller
bundle (which unpacks to `sys._MEIPASS`; the packager bundles `assets/` there)."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from .icons import IconState, paint_icon
from .qt import QIcon, QPixmap

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def asset_dirs() -> list[Path]:
    dirs: list[Path] = []
    override = os.environ.get("MT4_COMPANION_ASSETS")
    if override:
        dirs.append(Path(override))
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        dirs.append(Path(frozen) / "assets")
    # Source checkout or editable install: assets/ sits next to the desktop package.
    dirs.append(Path(__file__).resolve().parent.parent / "assets")
    return dirs


def asset_path(name: str) -> Path | None:
    for folder in asset_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


@cache
def state_icon(state: IconState) -> QIcon:
    """The icon for a tray state; painted on the spot if the PNGs are missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = asset_path(f"icon-{state}-{size}.png")
        if path is not None:
            icon.addFile(str(path))
        else:
            icon.addPixmap(QPixmap.fromImage(paint_icon(state, size)))
    return icon


def app_icon() -> QIcon:
    return state_icon("app")
