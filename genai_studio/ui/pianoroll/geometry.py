"""Where things are in the piano roll: beats <-> x, pitches <-> y, grid snapping and grid lines.

Times are in beats (quarter notes) from the clip start, pitches are MIDI note numbers (60 = C4, drawn as
one row each, high notes at the top). All coordinates are viewport pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF

from genai_studio.core.music import Meter, Note

KEYS_W = 64  # px, keyboard column on the left
RULER_H = 24  # px, bar/beat ruler at the top (drag here to set the loop region)
PITCHES = 128

MIN_PPB, MAX_PPB, DEFAULT_PPB = 8.0, 800.0, 80.0  # pixels per beat
MIN_ROW_H, MAX_ROW_H, DEFAULT_ROW_H = 5.0, 40.0, 14.0  # pixels per semitone row
ZOOM_STEP = 1.25

# Grid choices in beats (a quarter note is one beat); "T" = triplet (three in the time of two).
GRIDS: dict[str, float] = {
    "1/4": 1.0, "1/8": 0.5, "1/16": 0.25, "1/32": 0.125, "1/4T": 2 / 3, "1/8T": 1 / 3, "1/16T": 1 / 6,
}
DEFAULT_GRID = "1/16"
_EPS = 1e-6  # beats: a time this close to a grid line is on it (float sums like 0.1 + 0.2)

_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_BLACK = frozenset({1, 3, 6, 8, 10})


@dataclass(frozen=True)
class RollGeometry:
    """A snapshot of the roll's zoom and scroll."""

    ppb: float  # pixels per beat
    row_h: float  # pixels per semitone
    scroll_x: int  # px of beats scrolled off to the left
    scroll_y: int  # px of rows scrolled off the top (row 0 = pitch 127)
    width: int  # viewport size
    height: int

    def x_of(self, beat: float) -> float:
        return KEYS_W + beat * self.ppb - self.scroll_x

    def beat_at(self, x: float) -> float:
        return (x - KEYS_W + self.scroll_x) / self.ppb

    def y_of(self, pitch: float) -> float:
        """Top edge of ``pitch``'s row."""
        return RULER_H + (PITCHES - 1 - pitch) * self.row_h - self.scroll_y

    def pitch_at(self, y: float) -> int:
        """Pitch of the row under y, clamped to 0..127."""
        row = math.floor((y - RULER_H + self.scroll_y) / self.row_h)
        return min(PITCHES - 1, max(0, PITCHES - 1 - row))

    def note_rect(self, note: Note) -> QRectF:
        return QRectF(self.x_of(note.start), self.y_of(note.pitch), max(2.0, note.duration * self.ppb), self.row_h)

    def notes_rect(self) -> QRectF:
        """The scrolling note area right of the keyboard and below the ruler."""
        return QRectF(KEYS_W, RULER_H, max(0, self.width - KEYS_W), max(0, self.height - RULER_H))

    def visible_beats(self) -> tuple[float, float]:
        return self.beat_at(KEYS_W), self.beat_at(self.width)

    def visible_pitches(self) -> tuple[int, int]:
        """(lowest, highest) pitch with a row at least partly on screen."""
        return self.pitch_at(self.height), self.pitch_at(RULER_H)


def content_height(row_h: float) -> float:
    return PITCHES * row_h


def snap_floor(beat: float, grid: float) -> float:
    """The grid line at or before ``beat``."""
    return math.floor(beat / grid + _EPS) * grid


def snap_round(beat: float, grid: float) -> float:
    """The nearest grid line."""
    return math.floor(beat / grid + 0.5) * grid


def pulse_beats(meter: Meter) -> float:
    """Beats between the meter's pulses: a quarter in 4/4, a half in 2/2, a dotted quarter in 6/8 or 12/8."""
    unit = 4.0 / meter.denominator
    compound = meter.denominator >= 8 and meter.numerator % 3 == 0 and meter.numerator > 3
    return unit * 3 if compound else unit


def grid_lines(first: float, last: float, grid: float, meter: Meter, ppb: float,
               min_px: float = 5.0) -> list[tuple[float, int]]:
    """(beat, level) of the lines between beats ``first`` and ``last``: level 0 bar, 1 pulse, 2 grid step.

    Bars count from beat 0 (the clip start). A level whose lines would be closer than ``min_px`` pixels is
    left out, so zooming far out shows bars only instead of a solid wash.
    """
    levels = {}
    for level, step in ((2, grid), (1, pulse_beats(meter)), (0, meter.beats_per_bar)):
        if step * ppb < min_px:
            continue
        k = max(0, math.floor(first / step - _EPS))
        while k * step <= last + _EPS:
            beat = round(k * step, 9)  # the same line reached by different steps lands on one key
            levels[beat] = level  # coarser levels come later and win
            k += 1
    return sorted(levels.items())


def pitch_name(pitch: int) -> str:
    """Scientific pitch name with MIDI 60 = C4."""
    return f"{_NAMES[pitch % 12]}{pitch // 12 - 1}"


def is_black_key(pitch: int) -> bool:
    return pitch % 12 in _BLACK
