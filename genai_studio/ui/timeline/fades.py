"""Clip fades on the timeline: the ramps drawn over a clip, the handles at its top corners that drag them,
and the Fades… dialog (lengths in seconds and the curve)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QWidget

from genai_studio.core.errors import BadInput
from genai_studio.state.timeline_clips import EQUAL_POWER, LINEAR, Clip
from genai_studio.state.timeline_state import TimelineState

HANDLE = 7.0  # px, side of a fade handle
HANDLE_HIT = 6.0  # px around a handle's centre that grab it
MIN_CLIP_PX = 24.0  # narrower clips show no handles (they would cover the clip)
_RAMP_POINTS = 24  # polyline points per drawn ramp
CURVE_NAMES = {EQUAL_POWER: "Equal power", LINEAR: "Linear"}


@dataclass(frozen=True)
class FadePreview:
    """A fade being dragged: ``clip_id`` is drawn with these lengths (s) instead of its own."""

    clip_id: str
    fade_in_s: float
    fade_out_s: float


def handle_centres(rect: QRectF, fade_in_s: float, fade_out_s: float, pps: float) -> tuple[QPointF, QPointF]:
    """Where the fade-in and fade-out handles of a clip drawn in ``rect`` are (viewport px)."""
    y = rect.top() + HANDLE / 2 + 1
    x_in = min(rect.right(), rect.left() + fade_in_s * pps)
    x_out = max(rect.left(), rect.right() - fade_out_s * pps)
    return QPointF(x_in + HANDLE / 2, y), QPointF(x_out - HANDLE / 2, y)


def hit_handle(rect: QRectF, fade_in_s: float, fade_out_s: float, pps: float, pos: QPointF) -> str | None:
    """'in' or 'out' when ``pos`` grabs that handle, else None."""
    if rect.width() < MIN_CLIP_PX:
        return None
    fade_in, fade_out = handle_centres(rect, fade_in_s, fade_out_s, pps)
    # The nearer handle wins where both are close (short clips with long fades).
    for edge, centre in sorted((("in", fade_in), ("out", fade_out)), key=lambda e: abs(e[1].x() - pos.x())):
        if abs(centre.x() - pos.x()) <= HANDLE_HIT and abs(centre.y() - pos.y()) <= HANDLE_HIT:
            return edge
    return None


def dragged_fades(clip: Clip, edge: str, x: float, rect: QRectF, pps: float) -> tuple[float, float]:
    """(fade in, fade out) in seconds with the ``edge`` handle dragged to viewport x; the other fade stays,
    and together they never exceed the clip."""
    duration = clip.duration_s
    if edge == "in":
        fade_in = min(max(0.0, (x - rect.left()) / pps), max(0.0, duration - clip.fade_out_s))
        return fade_in, clip.fade_out_s
    fade_out = min(max(0.0, (rect.right() - x) / pps), max(0.0, duration - clip.fade_in_s))
    return clip.fade_in_s, fade_out


def paint_fades(p: QPainter, pal: QPalette, rect: QRectF, fade_in_s: float, fade_out_s: float, curve: str,
                pps: float, selected: bool) -> None:
    """Shade what each fade takes away, draw its ramp, and the two handles."""
    inner = rect.adjusted(1, 1, -1, -1)
    shade = QColor(pal.color(QPalette.ColorRole.Base))
    shade.setAlpha(150)
    line = QColor(pal.color(QPalette.ColorRole.Text))
    line.setAlpha(210)
    p.save()
    for length, rising in ((fade_in_s, True), (fade_out_s, False)):
        width = min(inner.width(), length * pps)
        if width < 1:
            continue
        ramp = _ramp(inner, width, rising, curve)
        p.setBrush(shade)
        top_far = QPointF(inner.left() + width, inner.top()) if rising else QPointF(inner.right() - width, inner.top())
        top_near = QPointF(inner.left(), inner.top()) if rising else QPointF(inner.right(), inner.top())
        p.setPen(QPen(shade, 0))
        p.drawPolygon(QPolygonF([top_near, *ramp, top_far]))
        p.setPen(QPen(line, 1.2))
        p.drawPolyline(QPolygonF(ramp))
    if rect.width() >= MIN_CLIP_PX:
        for centre in handle_centres(rect, fade_in_s, fade_out_s, pps):
            p.setPen(QPen(pal.color(QPalette.ColorRole.Base), 1))
            p.setBrush(line if selected else pal.color(QPalette.ColorRole.Mid))
            p.drawRect(QRectF(centre.x() - HANDLE / 2, centre.y() - HANDLE / 2, HANDLE, HANDLE))
    p.restore()


def _ramp(inner: QRectF, width: float, rising: bool, curve: str) -> list[QPointF]:
    """The gain curve as points from the silent end to full level (y = bottom is silence)."""
    points = []
    for k in range(_RAMP_POINTS + 1):
        t = k / _RAMP_POINTS  # 0 = silent end, 1 = full level
        gain = math.sin(t * math.pi / 2) if curve == EQUAL_POWER else t
        x = inner.left() + t * width if rising else inner.right() - t * width
        points.append(QPointF(x, inner.bottom() - gain * inner.height()))
    return points


class FadesDialog(QDialog):
    """Fade-in / fade-out lengths and curve of one clip; OK applies them as one undo step."""

    def __init__(self, state: TimelineState, clip_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.clip_id = clip_id
        clip = state.clip(clip_id)
        self.setWindowTitle(f"Fades — {clip.name}")
        self.fade_in = self._seconds(clip.fade_in_s, clip.duration_s)
        self.fade_out = self._seconds(clip.fade_out_s, clip.duration_s)
        self.curve = QComboBox(self)
        for key, label in CURVE_NAMES.items():
            self.curve.addItem(label, key)
        self.curve.setCurrentIndex(max(0, self.curve.findData(clip.fade_curve)))
        self.curve.setToolTip("Equal power keeps the loudness steady through a crossfade; linear dips in the middle")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Fade in:", self.fade_in)
        form.addRow("Fade out:", self.fade_out)
        form.addRow("Curve:", self.curve)
        form.addRow(buttons)

    def _seconds(self, value: float, maximum: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setRange(0.0, max(0.0, maximum))
        spin.setDecimals(3)
        spin.setSingleStep(0.05)
        spin.setSuffix(" s")
        spin.setValue(value)
        return spin

    def apply(self) -> None:
        self._state.set_clip_fades(self.clip_id, self.fade_in.value(), self.fade_out.value(),
                                   self.curve.currentData())

    def accept(self) -> None:
        try:
            self.apply()
        except (BadInput, KeyError):  # the clip was removed meanwhile (undo while open): nothing to apply
            pass
        super().accept()
