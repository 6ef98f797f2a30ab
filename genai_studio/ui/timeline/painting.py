"""Painting of the timeline viewport: lanes, audio clips with waveforms, MIDI clips with their notes (see
midi_painting.py), clip fades (see fades.py), the header column's backdrop, ruler, playhead, hint. Clips of
tracks that are not heard (muted, or not soloed while another track is) are drawn dimmed.

Colours come from the widget palette (the app applies a dark theme globally); only the playhead uses a fixed
accent that reads on dark and light backgrounds alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen

from genai_studio.state.timeline_clips import audible
from genai_studio.state.timeline_state import AudioClip, Clip, MidiClip, Track
from genai_studio.ui.timeline.fades import FadePreview, paint_fades
from genai_studio.ui.timeline.geometry import (
    HEADER_W, LANE_H, RULER_H, ViewGeometry, format_time, tick_step,
)
from genai_studio.ui.timeline.midi_painting import paint_midi_clip
from genai_studio.ui.timeline.waveform import WaveformCache, draw_waveform

PLAYHEAD_COLOR = QColor(255, 110, 64)
EMPTY_HINT = "Import or drop WAV, FLAC or OGG audio, or add a MIDI clip"


@dataclass(frozen=True)
class DragPreview:
    """A clip being dragged: drawn at ``start_s`` on lane ``lane`` instead of where it is."""

    clip_id: str
    start_s: float
    lane: int


def paint_timeline(p: QPainter, pal: QPalette, geo: ViewGeometry, tracks: tuple[Track, ...], sample_rate: int,
                   cache: WaveformCache, playhead_s: float, selected: str | None,
                   drag: DragPreview | None, fade: FadePreview | None = None) -> None:
    p.fillRect(QRectF(0, 0, geo.width, geo.height), pal.color(QPalette.ColorRole.Base))
    _paint_lanes(p, pal, geo, len(tracks))
    lanes = geo.lanes_rect()
    heard = {t.id for t in audible(tracks)}
    p.save()
    p.setClipRect(lanes)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for i, track in enumerate(tracks):
        for clip in track.clips:
            if drag is not None and clip.id == drag.clip_id:
                continue
            _paint_clip(p, pal, geo, cache, clip, i, track.id not in heard, clip.id == selected, clip.start_s,
                        fade)
    if drag is not None:
        for i, track in enumerate(tracks):
            clip = next((c for c in track.clips if c.id == drag.clip_id), None)
            if clip is not None:
                lane = min(max(drag.lane, 0), len(tracks) - 1)
                _paint_clip(p, pal, geo, cache, clip, lane, tracks[lane].id not in heard, True, drag.start_s, fade)
    p.restore()
    _paint_header_backdrop(p, pal, geo)
    _paint_ruler(p, pal, geo)
    if not tracks:
        _paint_hint(p, pal, lanes)
    _paint_playhead(p, geo, playhead_s)


def _paint_lanes(p: QPainter, pal: QPalette, geo: ViewGeometry, n: int) -> None:
    alt = pal.color(QPalette.ColorRole.AlternateBase)
    line = pal.color(QPalette.ColorRole.Mid)
    for i in range(n):
        top = geo.lane_top(i)
        if top > geo.height or top + LANE_H < RULER_H:
            continue
        if i % 2:
            p.fillRect(QRectF(HEADER_W, top, geo.width - HEADER_W, LANE_H), alt)
        p.setPen(line)
        p.drawLine(QPointF(HEADER_W, top + LANE_H - 0.5), QPointF(geo.width, top + LANE_H - 0.5))


def _paint_clip(p: QPainter, pal: QPalette, geo: ViewGeometry, cache: WaveformCache, clip: Clip,
                lane: int, muted: bool, selected: bool, start_s: float, fade: FadePreview | None) -> None:
    if isinstance(clip, MidiClip):
        rect = paint_midi_clip(p, pal, geo, clip, lane, muted, selected, start_s)
    else:
        rect = _paint_audio_clip(p, pal, geo, cache, clip, lane, muted, selected, start_s)
    if rect is None:
        return
    fade_in, fade_out = ((fade.fade_in_s, fade.fade_out_s) if fade is not None and fade.clip_id == clip.id
                         else (clip.fade_in_s, clip.fade_out_s))
    paint_fades(p, pal, rect, fade_in, fade_out, clip.fade_curve, geo.pps, selected)
    _paint_clip_label(p, pal, rect, clip.name)


def _paint_audio_clip(p: QPainter, pal: QPalette, geo: ViewGeometry, cache: WaveformCache, clip: AudioClip,
                      lane: int, muted: bool, selected: bool, start_s: float) -> QRectF | None:
    rect = geo.clip_rect(lane, start_s, clip.duration_s)
    lanes = geo.lanes_rect()
    if not rect.intersects(lanes):
        return None
    accent = pal.color(QPalette.ColorRole.Highlight)
    body = QColor(accent)
    body.setAlpha(70 if not muted else 30)
    wave = QColor(pal.color(QPalette.ColorRole.Text) if muted else accent.lighter(150))
    if muted:
        wave.setAlpha(110)
    p.setPen(QPen(accent.lighter(170) if selected else accent, 2.0 if selected else 1.0))
    p.setBrush(body)
    p.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
    # Only the columns that are on screen are asked for: long clips at high zoom stay cheap.
    spp = clip.audio.sample_rate / geo.pps
    col0 = max(0, math.floor(lanes.left() - rect.left()))
    col1 = min(math.ceil(rect.width()), math.ceil(lanes.right() - rect.left()) + 1)
    wave_rect = rect.adjusted(2, 16, -2, -3)
    if col1 > col0 and wave_rect.height() > 4:
        mins, maxs = cache.peaks(clip.audio, spp, col0, col1)
        draw_waveform(p, wave_rect, mins, maxs, rect.left() + col0, wave)
    return rect


def _paint_clip_label(p: QPainter, pal: QPalette, rect: QRectF, name: str) -> None:
    font = QFont(p.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    p.setFont(font)
    left = max(rect.left(), HEADER_W) + 6
    room = int(rect.right() - left - 4)
    if room < 12:
        return
    text = QFontMetrics(font).elidedText(name, Qt.TextElideMode.ElideRight, room)
    p.setPen(pal.color(QPalette.ColorRole.Text))
    p.drawText(QRectF(left, rect.top() + 1, room, 15), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               text)


def _paint_header_backdrop(p: QPainter, pal: QPalette, geo: ViewGeometry) -> None:
    """The header column's ground and edge; the headers themselves are widgets (track_header.py)."""
    p.fillRect(QRectF(0, RULER_H, HEADER_W, geo.height - RULER_H), pal.color(QPalette.ColorRole.Window))
    p.setPen(pal.color(QPalette.ColorRole.Mid))
    p.drawLine(QPointF(HEADER_W - 0.5, RULER_H), QPointF(HEADER_W - 0.5, geo.height))


def _paint_ruler(p: QPainter, pal: QPalette, geo: ViewGeometry) -> None:
    p.fillRect(QRectF(0, 0, geo.width, RULER_H), pal.color(QPalette.ColorRole.Window))
    p.setPen(pal.color(QPalette.ColorRole.Mid))
    p.drawLine(QPointF(0, RULER_H - 0.5), QPointF(geo.width, RULER_H - 0.5))
    step = tick_step(geo.pps)
    t0, t1 = geo.visible_seconds()
    p.save()
    p.setClipRect(QRectF(HEADER_W, 0, geo.width - HEADER_W, RULER_H))
    text = pal.color(QPalette.ColorRole.WindowText)
    minor = step / 5  # four unlabelled ticks between labels
    k = max(0, math.floor(t0 / minor))
    while k * minor <= t1 + step:
        t = k * minor
        x = geo.x_of(t)
        major = k % 5 == 0
        p.setPen(text if major else pal.color(QPalette.ColorRole.Mid))
        p.drawLine(QPointF(x, RULER_H - (10 if major else 5)), QPointF(x, RULER_H - 1))
        if major:
            p.drawText(QRectF(x + 3, 2, 80, RULER_H - 10), Qt.AlignmentFlag.AlignLeft, format_time(t, step))
        k += 1
    p.restore()


def _paint_playhead(p: QPainter, geo: ViewGeometry, playhead_s: float) -> None:
    x = geo.x_of(playhead_s)
    if x < HEADER_W - 1 or x > geo.width + 1:
        return
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(PLAYHEAD_COLOR, 1.5))
    p.drawLine(QPointF(x, 0), QPointF(x, geo.height))
    p.setBrush(PLAYHEAD_COLOR)
    p.setPen(Qt.PenStyle.NoPen)
    # Small downward triangle in the ruler marks the handle.
    p.drawPolygon([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 9)])
    p.restore()


def _paint_hint(p: QPainter, pal: QPalette, lanes: QRectF) -> None:
    p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
    p.drawText(lanes, Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
