"""Mouse gestures in the piano roll: draw, move, resize, rubber-band select, loop drag.

A gesture starts on press, shows a preview while the mouse moves and, on release, yields at most one new
tuple of notes: the view commits it as a single undoable edit, so every gesture is one undo step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF

from genai_studio.core.music import Note
from genai_studio.ui.pianoroll import editing
from genai_studio.ui.pianoroll.editing import Notes, Selection
from genai_studio.ui.pianoroll.geometry import RollGeometry, snap_floor, snap_round

DRAG_THRESHOLD_PX = 3  # a press that moves less than this is a click
RESIZE_HANDLE_PX = 6  # grabbing this close to a note's right edge resizes it


@dataclass(frozen=True)
class Snap:
    grid: float  # beats
    enabled: bool

    def floor(self, beat: float) -> float:
        return snap_floor(beat, self.grid) if self.enabled else beat

    def round(self, beat: float) -> float:
        return snap_round(beat, self.grid) if self.enabled else beat

    @property
    def min_length(self) -> float:
        return self.grid if self.enabled else editing.MIN_DURATION


class Gesture(ABC):
    """Base: keeps the press point and whether the mouse has really moved."""

    text = ""  # undo text of the edit this gesture makes

    def __init__(self, geo: RollGeometry, press: QPointF, notes: Notes, selection: Selection) -> None:
        self.geo, self.press = geo, press
        self.notes, self.selection = notes, selection
        self.preview: Notes = notes
        self.dragged = False

    def update(self, pos: QPointF, snap: Snap) -> None:
        if (pos - self.press).manhattanLength() >= DRAG_THRESHOLD_PX:
            self.dragged = True
        if self.dragged:
            self._drag(pos, snap)

    @abstractmethod
    def _drag(self, pos: QPointF, snap: Snap) -> None:
        """Update ``preview`` for the pointer at ``pos`` (each gesture kind moves notes its own way)."""

    def finish(self) -> Notes | None:
        """The notes to commit, or None when the gesture changed no note."""
        return self.preview if self.preview != self.notes else None


class DrawGesture(Gesture):
    """Press on empty space: a note of the grid length at the snapped beat; dragging right lengthens it."""

    text = "Draw note"

    def __init__(self, geo: RollGeometry, press: QPointF, notes: Notes, snap: Snap, velocity: int) -> None:
        super().__init__(geo, press, notes, frozenset({len(notes)}))
        start = max(0.0, snap.floor(geo.beat_at(press.x())))
        self._note = Note(geo.pitch_at(press.y()), start, snap.grid, velocity)
        self.preview = notes + (self._note,)

    def _drag(self, pos: QPointF, snap: Snap) -> None:
        end = snap.round(self.geo.beat_at(pos.x()))
        minimum = snap.grid  # never shorter than the note a click makes
        note = replace(self._note, duration=max(minimum, end - self._note.start))
        self.preview = self.notes + (note,)

    def finish(self) -> Notes | None:
        return self.preview


class MoveGesture(Gesture):
    """Drag selected notes: horizontally in (snapped) time, vertically in semitones."""

    text = "Move notes"

    def __init__(self, geo: RollGeometry, press: QPointF, notes: Notes, selection: Selection, anchor: int) -> None:
        super().__init__(geo, press, notes, selection)
        self.anchor = anchor

    def _drag(self, pos: QPointF, snap: Snap) -> None:
        note = self.notes[self.anchor]
        raw = self.geo.beat_at(pos.x()) - self.geo.beat_at(self.press.x())
        d_beats = snap.round(note.start + raw) - note.start  # the grabbed note lands on the grid
        d_pitch = self.geo.pitch_at(pos.y()) - self.geo.pitch_at(self.press.y())
        self.preview = editing.move(self.notes, self.selection, d_beats, d_pitch)


class ResizeGesture(Gesture):
    """Drag a note's right edge: every selected note grows or shrinks by the same amount."""

    text = "Resize notes"

    def __init__(self, geo: RollGeometry, press: QPointF, notes: Notes, selection: Selection, anchor: int) -> None:
        super().__init__(geo, press, notes, selection)
        self.anchor = anchor

    def _drag(self, pos: QPointF, snap: Snap) -> None:
        note = self.notes[self.anchor]
        end = max(note.start + snap.min_length, snap.round(self.geo.beat_at(pos.x())))
        self.preview = editing.resize(self.notes, self.selection, end - note.end, snap.min_length)


class RubberBandGesture(Gesture):
    """Drag a rectangle: notes it touches are selected (added to the selection with Shift)."""

    def __init__(self, geo: RollGeometry, press: QPointF, notes: Notes, base: Selection) -> None:
        super().__init__(geo, press, notes, base)
        self.base = base
        self.rect: QRectF | None = None

    def _drag(self, pos: QPointF, snap: Snap) -> None:
        self.rect = QRectF(self.press, pos).normalized()
        hit = {i for i, n in enumerate(self.notes) if self.geo.note_rect(n).intersects(self.rect)}
        self.selection = frozenset(self.base | hit)

    def finish(self) -> Notes | None:
        return None


class LoopGesture(Gesture):
    """Drag in the ruler: the loop region, snapped to the grid. A click (no drag) is reported as such."""

    def __init__(self, geo: RollGeometry, press: QPointF, notes: Notes, selection: Selection, snap: Snap) -> None:
        super().__init__(geo, press, notes, selection)
        self.origin = max(0.0, snap.round(geo.beat_at(press.x())))
        self.region: tuple[float, float] | None = None

    def _drag(self, pos: QPointF, snap: Snap) -> None:
        other = max(0.0, snap.round(self.geo.beat_at(pos.x())))
        lo, hi = sorted((self.origin, other))
        self.region = (lo, hi) if hi - lo > 1e-9 else None

    def finish(self) -> Notes | None:
        return None


def note_at(geo: RollGeometry, notes: Notes, pos: QPointF) -> tuple[int | None, bool]:
    """(index of the topmost note under ``pos`` or None, whether ``pos`` is on its resize handle)."""
    for i in range(len(notes) - 1, -1, -1):  # later notes are drawn on top
        rect = geo.note_rect(notes[i])
        if rect.contains(pos):
            handle = min(RESIZE_HANDLE_PX, rect.width() / 3)
            return i, pos.x() >= rect.right() - handle
    return None, False
