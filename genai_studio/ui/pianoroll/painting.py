"""Painting of the piano roll viewport: key-aware rows, bar/beat/grid lines, the loop region, notes coloured
by velocity, the rubber band, the playhead, the keyboard column and the ruler.

Colours derive from the widget palette (dark and light themes alike); only the playhead uses the timeline's
fixed accent so the two panes read as one transport.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen

from genai_studio.core.music import Key, Meter, Note
from genai_studio.ui.pianoroll.geometry import (
    KEYS_W, RULER_H, RollGeometry, grid_lines, is_black_key, pitch_name,
)
from genai_studio.ui.timeline.painting import PLAYHEAD_COLOR

NO_CLIP_HINT = "Double-click a MIDI clip on the timeline (or add one) to edit its notes here"


@dataclass(frozen=True)
class RollScene:
    """Everything one paint needs besides the geometry and the palette."""

    notes: tuple[Note, ...]
    selection: frozenset[int]
    key: Key | None  # None: no usable project key, rows follow the piano's black and white keys
    meter: Meter
    grid: float  # beats
    clip_beats: float  # where the clip ends
    loop: tuple[float, float] | None = None
    playhead_beat: float | None = None
    rubber_band: QRectF | None = None
    has_clip: bool = True


@dataclass(frozen=True)
class RowColors:
    tonic: QColor
    in_key: QColor
    out_of_key: QColor


def row_colors(pal: QPalette) -> RowColors:
    """In-key rows take the lighter of Base/AlternateBase, others the darker (pushed apart when the theme's
    two are nearly equal), and tonic rows add a tint of the accent."""
    a, b = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.AlternateBase)
    light, dark = (a, b) if a.lightness() >= b.lightness() else (b, a)
    if light.lightness() - dark.lightness() < 12:
        dark = dark.darker(112)
    return RowColors(_blend(light, pal.color(QPalette.ColorRole.Highlight), 0.16), light, dark)


def in_key_row(pitch: int, key: Key | None) -> bool:
    return key.contains(pitch) if key is not None else not is_black_key(pitch)


def velocity_color(pal: QPalette, velocity: int) -> QColor:
    """The accent hue, dim and grey for soft notes, bright and saturated for loud ones."""
    accent = pal.color(QPalette.ColorRole.Highlight)
    hue = accent.hsvHue() if accent.hsvHue() >= 0 else 215
    t = min(127, max(1, velocity)) / 127.0
    return QColor.fromHsvF(hue / 360.0, 0.25 + 0.65 * t, 0.45 + 0.55 * t)


def paint_roll(p: QPainter, pal: QPalette, geo: RollGeometry, scene: RollScene) -> None:
    area = geo.notes_rect()
    p.fillRect(QRectF(0, 0, geo.width, geo.height), pal.color(QPalette.ColorRole.Base))
    p.save()
    p.setClipRect(area)
    _paint_rows(p, pal, geo, scene.key)
    _paint_grid(p, pal, geo, scene)
    if scene.has_clip:
        _paint_notes(p, pal, geo, scene)
    if scene.rubber_band is not None:
        accent = QColor(pal.color(QPalette.ColorRole.Highlight))
        p.setPen(QPen(accent, 1.0, Qt.PenStyle.DashLine))
        accent.setAlpha(40)
        p.setBrush(accent)
        p.drawRect(scene.rubber_band.normalized())
    p.restore()
    _paint_keyboard(p, pal, geo, scene.key)
    _paint_ruler(p, pal, geo, scene)
    if scene.playhead_beat is not None:
        _paint_playhead(p, geo, scene.playhead_beat)
    if not scene.has_clip:
        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        p.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, NO_CLIP_HINT)


def _paint_rows(p: QPainter, pal: QPalette, geo: RollGeometry, key: Key | None) -> None:
    colors = row_colors(pal)
    lo, hi = geo.visible_pitches()
    octave_line = pal.color(QPalette.ColorRole.Mid)
    for pitch in range(lo, hi + 1):
        y = geo.y_of(pitch)
        tonic = key is not None and pitch % 12 == key.tonic
        color = colors.tonic if tonic else colors.in_key if in_key_row(pitch, key) else colors.out_of_key
        p.fillRect(QRectF(KEYS_W, y, geo.width - KEYS_W, geo.row_h), color)
        if pitch % 12 == 0:  # a line under every C marks the octaves
            p.setPen(octave_line)
            p.drawLine(QPointF(KEYS_W, y + geo.row_h - 0.5), QPointF(geo.width, y + geo.row_h - 0.5))


def _paint_grid(p: QPainter, pal: QPalette, geo: RollGeometry, scene: RollScene) -> None:
    first, last = geo.visible_beats()
    mid, text = pal.color(QPalette.ColorRole.Mid), pal.color(QPalette.ColorRole.Text)
    pens = {0: QPen(_blend(mid, text, 0.45), 1.0), 1: QPen(mid, 1.0), 2: QPen(_alpha(mid, 110), 1.0)}
    for beat, level in grid_lines(max(0.0, first), last, scene.grid, scene.meter, geo.ppb):
        x = round(geo.x_of(beat)) + 0.5
        p.setPen(pens[level])
        p.drawLine(QPointF(x, RULER_H), QPointF(x, geo.height))
    if scene.loop is not None:
        band = _alpha(pal.color(QPalette.ColorRole.Highlight), 28)
        x0, x1 = geo.x_of(scene.loop[0]), geo.x_of(scene.loop[1])
        p.fillRect(QRectF(x0, RULER_H, x1 - x0, geo.height - RULER_H), band)
    if scene.has_clip:  # past the last note the clip ends: shade it so the clip's extent is visible
        end = geo.x_of(scene.clip_beats)
        if end < geo.width:
            p.fillRect(QRectF(end, RULER_H, geo.width - end, geo.height - RULER_H), _alpha(QColor(0, 0, 0), 40))


def _paint_notes(p: QPainter, pal: QPalette, geo: RollGeometry, scene: RollScene) -> None:
    first, last = geo.visible_beats()
    lo, hi = geo.visible_pitches()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    outline = pal.color(QPalette.ColorRole.Shadow)
    selected_pen = QPen(pal.color(QPalette.ColorRole.Text), 2.0)  # contrasts with Base on any theme
    for i, note in enumerate(scene.notes):
        if note.end < first or note.start > last or not lo <= note.pitch <= hi:
            continue
        rect = geo.note_rect(note).adjusted(0.5, 0.5, -0.5, -0.5)
        fill = velocity_color(pal, note.velocity)
        chosen = i in scene.selection
        p.setPen(selected_pen if chosen else QPen(_alpha(outline, 160), 1.0))
        p.setBrush(fill.lighter(125) if chosen else fill)
        p.drawRoundedRect(rect, 2, 2)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _paint_keyboard(p: QPainter, pal: QPalette, geo: RollGeometry, key: Key | None) -> None:
    text, base = pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base)
    white, black = (text.darker(112), base) if text.lightness() > base.lightness() else (base, text)
    p.save()
    p.setClipRect(QRectF(0, RULER_H, KEYS_W, geo.height - RULER_H))
    p.fillRect(QRectF(0, RULER_H, KEYS_W, geo.height - RULER_H), white)
    font = QFont(p.font())
    font.setPointSizeF(max(6.5, min(font.pointSizeF() * 0.8, geo.row_h * 0.6)))
    p.setFont(font)
    lo, hi = geo.visible_pitches()
    scale_mark = pal.color(QPalette.ColorRole.Highlight)
    for pitch in range(lo, hi + 1):
        y = geo.y_of(pitch)
        if is_black_key(pitch):
            p.fillRect(QRectF(0, y, KEYS_W * 0.62, geo.row_h), black)
        else:
            p.setPen(_alpha(black, 90))
            p.drawLine(QPointF(0, y + geo.row_h - 0.5), QPointF(KEYS_W, y + geo.row_h - 0.5))
        if key is not None and key.contains(pitch):  # a stripe on the keys of the scale
            p.fillRect(QRectF(KEYS_W - 5, y + 1, 4, geo.row_h - 2), scale_mark)
        if pitch % 12 == 0 and geo.row_h >= 8:
            p.setPen(black)
            p.drawText(QRectF(KEYS_W * 0.62, y, KEYS_W * 0.38 - 6, geo.row_h),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, pitch_name(pitch))
    p.restore()
    p.setPen(pal.color(QPalette.ColorRole.Mid))
    p.drawLine(QPointF(KEYS_W - 0.5, RULER_H), QPointF(KEYS_W - 0.5, geo.height))


def _paint_ruler(p: QPainter, pal: QPalette, geo: RollGeometry, scene: RollScene) -> None:
    p.fillRect(QRectF(0, 0, geo.width, RULER_H), pal.color(QPalette.ColorRole.Window))
    p.save()
    p.setClipRect(QRectF(KEYS_W, 0, geo.width - KEYS_W, RULER_H))
    if scene.loop is not None:
        x0, x1 = geo.x_of(scene.loop[0]), geo.x_of(scene.loop[1])
        p.fillRect(QRectF(x0, 2, x1 - x0, RULER_H - 4), _alpha(pal.color(QPalette.ColorRole.Highlight), 150))
    first, last = geo.visible_beats()
    text, mid = pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Mid)
    bar = scene.meter.beats_per_bar
    label_every = max(1, int(60 // max(1.0, bar * geo.ppb)) + 1)  # bar numbers at least ~60 px apart
    for beat, level in grid_lines(max(0.0, first), last, scene.grid, scene.meter, geo.ppb, min_px=6.0):
        if level == 2:
            continue
        x = round(geo.x_of(beat)) + 0.5
        p.setPen(text if level == 0 else mid)
        p.drawLine(QPointF(x, RULER_H - (12 if level == 0 else 6)), QPointF(x, RULER_H - 1))
        number = round(beat / bar)
        if level == 0 and number % label_every == 0:
            p.drawText(QRectF(x + 3, 1, 60, RULER_H - 8), Qt.AlignmentFlag.AlignLeft, str(number + 1))
    p.restore()
    p.setPen(mid)
    p.drawLine(QPointF(0, RULER_H - 0.5), QPointF(geo.width, RULER_H - 0.5))


def _paint_playhead(p: QPainter, geo: RollGeometry, beat: float) -> None:
    x = geo.x_of(beat)
    if x < KEYS_W or x > geo.width:
        return
    p.save()
    p.setPen(QPen(PLAYHEAD_COLOR, 1.5))
    p.drawLine(QPointF(x, 0), QPointF(x, geo.height))
    p.restore()


def _blend(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def _alpha(color: QColor, alpha: int) -> QColor:
    out = QColor(color)
    out.setAlpha(alpha)
    return out
