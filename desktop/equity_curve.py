"""The session's equity per account, drawn with QPainter (no QtCharts in Essentials)."""

from __future__ import annotations

import time
from collections import deque

from .axis_ticks import value_axis
from .qt import (
    QColor,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPen,
    QPointF,
    QPolygonF,
    QRectF,
    QSize,
    Qt,
    QWidget,
)

MAX_POINTS = 20_000
LINE_COLOURS = ["#0969da", "#8250df", "#bf3989", "#1a7f37", "#9a6700", "#cf222e", "#57606a"]


class EquityHistory:
    """At most one sample per account per second; the newest value in a second wins."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.series: dict[str, deque[tuple[float, float]]] = {}
        self._max = max_points

    def add(self, agent_id: str, equity: float, now: float | None = None) -> None:
        t = time.time() if now is None else now
        points = self.series.setdefault(agent_id, deque(maxlen=self._max))
        if points and int(points[-1][0]) == int(t):
            points[-1] = (t, equity)
        else:
            points.append((t, equity))

    def bounds(self) -> tuple[float, float, float, float] | None:
        pts = [p for s in self.series.values() for p in s]
        if not pts:
            return None
        ts = [p[0] for p in pts]
        vs = [p[1] for p in pts]
        return min(ts), max(ts), min(vs), max(vs)


class EquityCurve(QWidget):
    def __init__(self, history: EquityHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.axis_labels: list[str] = []
        """The value labels of the last paint (what the trader reads on the axis)."""
        self.setMinimumHeight(140)

    def sizeHint(self) -> QSize:
        return QSize(600, 180)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        fm = QFontMetrics(self.font())
        bounds = self.history.bounds()
        text_pen = QPen(pal.text().color())
        if bounds is None:
            p.setPen(text_pen)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                       "Equity curve: waiting for account updates")
            return
        t0, t1, v0, v1 = bounds
        axis = value_axis(v0, v1)
        v0, v1 = axis.low, axis.high
        labels = axis.labels()
        t1 = max(t1, t0 + 60)  # at least a minute wide, so the first points do not jump
        left = max(fm.horizontalAdvance(text) for text in labels) + 12
        # The legend gets its own line above the plot so it never hides the curves.
        top = fm.height() + 12
        plot = QRectF(left, top, self.width() - left - 10, self.height() - top - fm.height() - 10)
        grid = QColor(pal.mid().color())
        grid.setAlpha(90)
        p.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
        p.setPen(text_pen)
        self.axis_labels = labels
        for v, text in zip(axis.ticks, labels, strict=True):
            y = plot.bottom() - plot.height() * (v - v0) / (v1 - v0)
            p.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(text_pen)
            p.drawText(QRectF(0, y - fm.height() / 2, left - 6, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        minutes = (t1 - t0) / 60
        p.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), fm.height()),
                   Qt.AlignmentFlag.AlignLeft, "session start")
        p.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), fm.height()),
                   Qt.AlignmentFlag.AlignRight, f"now (+{minutes:.0f} min)")
        xs = plot.width() / (t1 - t0)
        ys = plot.height() / (v1 - v0)
        legend_x = plot.left() + 8
        for n, (agent, points) in enumerate(sorted(self.history.series.items())):
            colour = QColor(LINE_COLOURS[n % len(LINE_COLOURS)])
            # More points than pixels only costs time: keep about two per pixel.
            stride = max(1, len(points) // max(1, int(plot.width() * 2)))
            pts = list(points)[::stride]
            if points and pts[-1] is not points[-1]:
                pts.append(points[-1])
            poly = QPolygonF(
                [QPointF(plot.left() + (t - t0) * xs, plot.bottom() - (v - v0) * ys)
                 for t, v in pts]
            )
            p.setPen(QPen(colour, 1.6))
            p.drawPolyline(poly)
            label = f"{agent} {points[-1][1]:,.2f}"
            p.fillRect(QRectF(legend_x, 6 + (fm.height() - 10) / 2, 10, 10), colour)
            p.setPen(text_pen)
            p.drawText(QPointF(legend_x + 14, 6 + fm.ascent()), label)
            legend_x += fm.horizontalAdvance(label) + 30
        p.end()
