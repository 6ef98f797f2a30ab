"""Where things are on the timeline viewport: seconds <-> pixels, lanes <-> y, and ruler tick spacing."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF

RULER_H = 26  # px, time ruler strip at the top
HEADER_W = 200  # px, the track headers (name, mute/solo/FX, gain, pan) on the left
LANE_H = 76  # px per track lane
CLIP_INSET = 4  # px between a lane's edge and its clips

MIN_PPS = 0.5  # pixels per second when zoomed all the way out (2 h fit in ~3600 px)
MAX_PPS = 4000.0  # pixels per second when zoomed all the way in (12 samples/px at 48 kHz)
DEFAULT_PPS = 100.0

# Candidate ruler steps in seconds; the smallest giving labels at least MIN_LABEL_PX apart is used.
_TICK_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800)
MIN_LABEL_PX = 64


@dataclass(frozen=True)
class ViewGeometry:
    """A snapshot of the view's zoom and scroll, in viewport pixels."""

    pps: float  # pixels per second
    scroll_x: int  # px of time scrolled off to the left
    scroll_y: int  # px of lanes scrolled off the top
    width: int  # viewport size
    height: int

    def x_of(self, seconds: float) -> float:
        return HEADER_W + seconds * self.pps - self.scroll_x

    def time_at(self, x: float) -> float:
        return (x - HEADER_W + self.scroll_x) / self.pps

    def lane_top(self, index: int) -> float:
        return RULER_H + index * LANE_H - self.scroll_y

    def lane_at(self, y: float) -> int:
        """Lane index under y (may be out of range; negative above the lanes)."""
        return math.floor((y - RULER_H + self.scroll_y) / LANE_H)

    def clip_rect(self, lane: int, start_s: float, duration_s: float) -> QRectF:
        top = self.lane_top(lane) + CLIP_INSET
        return QRectF(self.x_of(start_s), top, max(1.0, duration_s * self.pps), LANE_H - 2 * CLIP_INSET)

    def lanes_rect(self) -> QRectF:
        """The scrolling area right of the headers and below the ruler."""
        return QRectF(HEADER_W, RULER_H, max(0, self.width - HEADER_W), max(0, self.height - RULER_H))

    def visible_seconds(self) -> tuple[float, float]:
        return self.time_at(HEADER_W), self.time_at(self.width)


def tick_step(pps: float) -> float:
    """Seconds between labelled ruler ticks so labels are at least MIN_LABEL_PX apart."""
    for step in _TICK_STEPS:
        if step * pps >= MIN_LABEL_PX:
            return float(step)
    return float(_TICK_STEPS[-1])


def format_time(seconds: float, step: float = 0.001) -> str:
    """'m:ss' with as many decimals as ``step`` needs ('1:05', '0:12.5', '0:00.250')."""
    seconds = max(0.0, seconds)
    decimals = 0 if step >= 1 else min(3, max(1, math.ceil(-math.log10(step) - 1e-9)))
    minutes, rest = divmod(seconds, 60.0)
    if round(rest, decimals) >= 60.0:  # 59.9996 rounds up: carry into the minutes
        minutes, rest = minutes + 1, 0.0
    width = 2 + (decimals + 1 if decimals else 0)
    return f"{int(minutes)}:{rest:0{width}.{decimals}f}"
