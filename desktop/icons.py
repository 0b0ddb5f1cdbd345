"""Our icons, painted with QPainter: the same code writes `assets/` (make_assets.py) and
stands in at run time if a file is missing, so a broken bundle still shows a usable tray."""

from __future__ import annotations

from typing import Literal

from .qt import QColor, QImage, QPainter, QPen, QRectF, Qt

IconState = Literal["app", "ok", "warn", "error", "paused"]

# Traffic-light colours that stay readable on both light and dark tray backgrounds.
STATE_COLOURS: dict[IconState, str] = {
    "app": "#1f6feb",
    "ok": "#1a7f37",
    "warn": "#d29922",
    "error": "#cf222e",
    "paused": "#6e7781",
}


def paint_icon(state: IconState, size: int) -> QImage:
    """A rounded square in the state's colour with three white candlesticks on it."""
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = size * 0.04
    box = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(STATE_COLOURS[state]))
    p.drawRoundedRect(box, size * 0.2, size * 0.2)
    white = QColor("#ffffff")
    # (x centre, wick top, body top, body bottom, wick bottom) as fractions of the box.
    candles = [
        (0.28, 0.40, 0.50, 0.72, 0.82),
        (0.50, 0.22, 0.32, 0.58, 0.70),
        (0.72, 0.14, 0.22, 0.44, 0.54),
    ]
    body_w = box.width() * 0.14
    wick = QPen(white, max(1.0, size / 24))
    for cx, wt, bt, bb, wb in candles:
        x = box.left() + cx * box.width()
        p.setPen(wick)
        p.drawLine(
            int(x), int(box.top() + wt * box.height()), int(x), int(box.top() + wb * box.height())
        )
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(white)
        top = box.top() + bt * box.height()
        p.drawRect(QRectF(x - body_w / 2, top, body_w, (bb - bt) * box.height()))
    if state == "paused":
        # Two bars in the corner: "sync paused" must not look like "all good".
        p.setBrush(QColor("#ffffff"))
        s = size * 0.1
        p.drawRect(QRectF(size * 0.62, size * 0.66, s * 0.7, s * 2.2))
        p.drawRect(QRectF(size * 0.80, size * 0.66, s * 0.7, s * 2.2))
    p.end()
    return img
