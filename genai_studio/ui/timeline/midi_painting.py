"""Painting of a MIDI clip on a timeline lane: a rounded body in the MIDI hue with its notes as small bars.

The clip's pitch range is fitted to the lane height (with a little headroom), so a melody reads as a
contour at any zoom; bars are in project seconds at the current tempo, like the clip itself.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPalette, QPen

from genai_studio.state.timeline_state import MidiClip
from genai_studio.ui.timeline.geometry import ViewGeometry

_LABEL_H = 16  # px reserved for the clip name at the top of the body
_MIN_SPAN = 12  # semitones: a melody spanning less is drawn centred in an octave, not stretched flat
_MAX_BAR_H = 6.0  # px: bars stay bars, not blocks, on tall lanes with few pitches


def midi_color(pal: QPalette) -> QColor:
    """The MIDI clip hue: the palette accent turned 75° round the colour wheel (blue accents give green),
    same saturation/value, so it matches the theme yet never reads as an audio clip."""
    accent = pal.color(QPalette.ColorRole.Highlight)
    hue = accent.hsvHue() if accent.hsvHue() >= 0 else 210
    return QColor.fromHsv((hue - 75) % 360, max(90, accent.hsvSaturation()), max(150, accent.value()))


def paint_midi_clip(p: QPainter, pal: QPalette, geo: ViewGeometry, clip: MidiClip, lane: int, muted: bool,
                    selected: bool, start_s: float) -> QRectF | None:
    """Draw ``clip`` at ``start_s`` on ``lane``; returns its rect (None when off screen)."""
    rect = geo.clip_rect(lane, start_s, clip.duration_s)
    lanes = geo.lanes_rect()
    if not rect.intersects(lanes):
        return None
    hue = midi_color(pal)
    dark_theme = pal.color(QPalette.ColorRole.Base).lightness() < 128
    body = QColor(hue)
    body.setAlpha(30 if muted else 70)
    outline = (hue.lighter(170) if dark_theme else hue.darker(170)) if selected else hue
    p.setPen(QPen(outline, 2.0 if selected else 1.0))
    p.setBrush(body)
    p.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
    notes_rect = rect.adjusted(3, _LABEL_H, -3, -6)
    if clip.melody.notes and notes_rect.height() > 3 and notes_rect.width() > 2:
        bar = QColor(pal.color(QPalette.ColorRole.Text) if muted else hue.lighter(160) if dark_theme
                     else hue.darker(150))  # bars contrast with the translucent body on either theme
        if muted:
            bar.setAlpha(110)
        _paint_note_bars(p, notes_rect, clip, geo.pps, lanes, bar)
    return rect


def _paint_note_bars(p: QPainter, area: QRectF, clip: MidiClip, pps: float, visible: QRectF, color: QColor) -> None:
    notes = clip.melody.notes
    lo, hi = min(n.pitch for n in notes), max(n.pitch for n in notes)
    if hi - lo < _MIN_SPAN:
        pad = (_MIN_SPAN - (hi - lo)) / 2
        lo, hi = lo - pad, hi + pad
    rows = hi - lo + 1  # one row per semitone of the (padded) range
    row_h = area.height() / rows
    bar_h = max(1.5, min(row_h, _MAX_BAR_H))
    px_per_beat = clip.seconds_per_beat * pps
    x0 = area.left() - 3  # beat 0 is the clip's left edge; the inset is only for the bars' vertical room
    p.save()
    p.setClipRect(area.intersected(visible))
    p.setPen(QPen(color.darker(140), 0.5))
    p.setBrush(color)
    for n in notes:
        left = x0 + n.start * px_per_beat
        width = max(1.5, n.duration * px_per_beat - 1)  # a 1 px gap keeps repeated notes apart
        if left > visible.right() or left + width < visible.left():
            continue
        y = area.top() + (hi - n.pitch) * row_h + (row_h - bar_h) / 2
        p.drawRect(QRectF(left, y, width, bar_h))
    p.restore()
