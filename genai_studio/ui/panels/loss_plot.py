"""A small live line plot of training losses (one coloured line per loss name, x = step).

Drawn with QPainter: a few hundred points per curve redraw in well under a millisecond, and it needs no
plotting library. Losses of one model live on very different scales (a VAE's KL in nats next to a pixel MSE),
so each curve gets its own y range (the middle 98% of its values, so one early spike does not flatten the
rest); the legend gives each one's latest value.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#3b82f6", "#ef4444", "#10b981", "#f59e0b", "#8b5cf6", "#ec4899")
MARGIN = 6  # px around the plot area


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps: list[int] = []
        self._series: dict[str, list[float]] = {}
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setToolTip("Training losses by step")

    def sizeHint(self) -> QSize:
        return QSize(280, 120)

    def clear(self) -> None:
        self._steps, self._series = [], {}
        self.update()

    def add(self, step: int, losses: dict[str, float]) -> None:
        """One point per loss name at ``step``; a name missing at this step repeats its last value."""
        if not losses:
            return
        self._steps.append(step)
        for name in set(self._series) | set(losses):
            values = self._series.setdefault(name, [float("nan")] * (len(self._steps) - 1))
            values.append(float(losses.get(name, values[-1] if values else float("nan"))))
        self.update()

    @property
    def names(self) -> list[str]:
        return sorted(self._series)

    def points(self, name: str) -> list[tuple[int, float]]:
        return list(zip(self._steps, self._series.get(name, [])))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(MARGIN, MARGIN + 14, -MARGIN, -MARGIN)
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(area)
        if len(self._steps) < 2 or not any(np.isfinite(v).any() for v in map(np.array, self._series.values())):
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "losses appear here while training")
            return
        x0, x1 = self._steps[0], max(self._steps[-1], self._steps[0] + 1)

        def scaler(values: list[float]):
            finite = np.array([v for v in values if np.isfinite(v)])
            low, high = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
            if high - low < 1e-12:
                low, high = low - 1, high + 1

            def point(step: int, value: float) -> QPointF:
                fx = (step - x0) / (x1 - x0)
                fy = (min(max(value, low), high) - low) / (high - low)
                return QPointF(area.left() + fx * area.width(), area.bottom() - fy * area.height())
            return point

        legend_x = area.left()
        for i, name in enumerate(self.names):
            color = QColor(PALETTE[i % len(PALETTE)])
            path = QPainterPath()
            point = scaler(self._series[name])
            started = False
            for step, value in zip(self._steps, self._series[name]):
                if not np.isfinite(value):
                    started = False
                    continue
                (path.lineTo if started else path.moveTo)(point(step, value))
                started = True
            painter.setPen(QPen(color, 1.5))
            painter.drawPath(path)
            last = next((v for v in reversed(self._series[name]) if np.isfinite(v)), float("nan"))
            label = f"{name} {last:.3g}"
            painter.drawText(QPointF(legend_x, MARGIN + 11), label)
            legend_x += painter.fontMetrics().horizontalAdvance(label) + 12
        painter.setPen(QPen(self.palette().text().color()))
        painter.drawText(area.adjusted(2, 0, -2, -2), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                         f"step {self._steps[-1]}")
