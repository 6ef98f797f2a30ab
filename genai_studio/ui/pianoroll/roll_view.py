"""The piano roll canvas: shows one MIDI clip of a TimelineState and edits its notes.

Every edit (a mouse gesture, a key, a toolbar command) becomes exactly one
``TimelineState.set_clip_melody`` call, i.e. one undo step. The selection is a set of note indices; it
survives our own edits (notes keep their index, see editing.py) and undo/redo of edits that keep the
note count; it is dropped when the count changes under us.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from genai_studio.core.errors import BadInput
from genai_studio.core.music import Key, Meter, parse_key, parse_meter
from genai_studio.state.timeline_state import MidiClip, TimelineState
from genai_studio.ui.pianoroll import editing
from genai_studio.ui.pianoroll.commands import NoteCommands
from genai_studio.ui.pianoroll.editing import Notes, Selection
from genai_studio.ui.pianoroll.geometry import (
    DEFAULT_GRID, DEFAULT_PPB, DEFAULT_ROW_H, GRIDS, KEYS_W, MAX_PPB, MAX_ROW_H, MIN_PPB, MIN_ROW_H, RULER_H,
    ZOOM_STEP, RollGeometry, content_height,
)
from genai_studio.ui.pianoroll.gestures import (
    DrawGesture, Gesture, LoopGesture, MoveGesture, ResizeGesture, RubberBandGesture, Snap, note_at,
)
from genai_studio.ui.pianoroll.painting import RollScene, paint_roll

TOOLS = ("draw", "select")
DEFAULT_VELOCITY = 90
_TAIL_BARS = 4  # empty bars scrollable past the clip's end, room to draw more


class PianoRollView(NoteCommands, QAbstractScrollArea):
    selection_changed = Signal(int)  # number of selected notes
    loop_region_changed = Signal(object)  # (start, end) in beats, or None
    # MIDI pitch of a note just drawn, or of the grabbed note when a drag moves it to another pitch: the
    # pane plays it so the user hears what they placed.
    pitch_touched = Signal(int)
    status = Signal(str)

    def __init__(self, timeline: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._timeline = timeline
        self._clip_id: str | None = None
        self._known_notes: Notes = ()  # the clip's notes as we last saw them (selection refers to these)
        self._selection: Selection = frozenset()
        self._gesture: Gesture | None = None
        self._collapse_to: int | None = None  # click without drag on a selected note selects only it
        self._clipboard: Notes = ()
        self._loop: tuple[float, float] | None = None
        self._touched_pitch: int | None = None  # the grabbed note's pitch as last announced by pitch_touched
        self._ppb, self._row_h = DEFAULT_PPB, DEFAULT_ROW_H
        self.grid = GRIDS[DEFAULT_GRID]  # beats
        self.snap = True
        self.scale_lock = False
        self.tool = "draw"
        self.new_velocity = DEFAULT_VELOCITY
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 120)  # about an octave and a half: enough on a 640 px high screen
        self.horizontalScrollBar().valueChanged.connect(self.viewport().update)
        self.verticalScrollBar().valueChanged.connect(self.viewport().update)
        self.horizontalScrollBar().setSingleStep(20)
        self.verticalScrollBar().setSingleStep(int(DEFAULT_ROW_H))
        timeline.changed.connect(self._on_timeline_changed)
        timeline.playhead_changed.connect(lambda _s: self.viewport().update())
        self._update_scroll_ranges()

    # ----- the clip ----------------------------------------------------------------------------------
    @property
    def clip_id(self) -> str | None:
        return self._clip_id

    def clip(self) -> MidiClip | None:
        if self._clip_id is None:
            return None
        try:
            return self._timeline.midi_clip(self._clip_id)
        except KeyError:
            return None

    def set_clip(self, clip_id: str | None) -> None:
        """Show ``clip_id`` (a MIDI clip of the timeline), or nothing. KeyError for other ids."""
        clip = self._timeline.midi_clip(clip_id) if clip_id is not None else None
        self._clip_id = clip_id
        self._gesture = None
        self._known_notes = clip.melody.notes if clip else ()
        self._set_selection(frozenset())
        self.set_loop_region(None)
        self._update_scroll_ranges()
        if clip is not None:
            pitches = [n.pitch for n in clip.melody.notes] or [66]
            self.center_on(min(clip.melody.notes, key=lambda n: n.start).start if clip.melody.notes else 0.0,
                           (min(pitches) + max(pitches)) / 2)
        self.viewport().update()

    @property
    def notes(self) -> Notes:
        return self._known_notes

    @property
    def selection(self) -> Selection:
        return self._selection

    def key(self) -> Key | None:
        try:
            return parse_key(self._timeline.key)
        except BadInput:
            return None

    def meter(self) -> Meter:
        try:
            return parse_meter(self._timeline.time_signature)
        except BadInput:
            return Meter(4, 4)

    def loop_region(self) -> tuple[float, float] | None:
        """The loop region in beats from the clip start, or None."""
        return self._loop

    def set_loop_region(self, region: tuple[float, float] | None) -> None:
        if region is not None:
            lo, hi = sorted((max(0.0, float(region[0])), max(0.0, float(region[1]))))
            region = (lo, hi) if hi > lo else None
        if region != self._loop:
            self._loop = region
            self.loop_region_changed.emit(region)
            self.viewport().update()

    # ----- geometry and zoom -------------------------------------------------------------------------
    def geometry_now(self) -> RollGeometry:
        vp = self.viewport()
        return RollGeometry(self._ppb, self._row_h, self.horizontalScrollBar().value(),
                            self.verticalScrollBar().value(), vp.width(), vp.height())

    def note_rect(self, index: int) -> QRect:
        """Where note ``index`` is drawn, in viewport coordinates."""
        return self.geometry_now().note_rect(self._known_notes[index]).toAlignedRect()

    @property
    def pixels_per_beat(self) -> float:
        return self._ppb

    @property
    def row_height(self) -> float:
        return self._row_h

    def set_pixels_per_beat(self, ppb: float, anchor_x: float | None = None) -> None:
        """Horizontal zoom keeping the beat under viewport x ``anchor_x`` (default: left edge) in place."""
        ppb = min(MAX_PPB, max(MIN_PPB, float(ppb)))
        anchor_x = KEYS_W if anchor_x is None else anchor_x
        beat = self.geometry_now().beat_at(anchor_x)
        self._ppb = ppb
        self._update_scroll_ranges()
        self.horizontalScrollBar().setValue(round(beat * ppb - (anchor_x - KEYS_W)))
        self.viewport().update()

    def set_row_height(self, row_h: float, anchor_y: float | None = None) -> None:
        """Vertical zoom keeping the pitch position under viewport y ``anchor_y`` (default: centre) in place."""
        row_h = min(MAX_ROW_H, max(MIN_ROW_H, float(row_h)))
        anchor_y = self.viewport().height() / 2 if anchor_y is None else anchor_y
        rows = (anchor_y - RULER_H + self.verticalScrollBar().value()) / self._row_h  # rows from the top
        self._row_h = row_h
        self._update_scroll_ranges()
        self.verticalScrollBar().setValue(round(rows * row_h - (anchor_y - RULER_H)))
        self.verticalScrollBar().setSingleStep(max(1, int(row_h)))
        self.viewport().update()

    def zoom_horizontal(self, steps: float = 1.0, anchor_x: float | None = None) -> None:
        self.set_pixels_per_beat(self._ppb * ZOOM_STEP ** steps, anchor_x)

    def zoom_vertical(self, steps: float = 1.0, anchor_y: float | None = None) -> None:
        self.set_row_height(self._row_h * ZOOM_STEP ** steps, anchor_y)

    def center_on(self, beat: float, pitch: float) -> None:
        """Scroll so ``pitch`` is mid-height and ``beat`` is near the left edge."""
        geo = self.geometry_now()
        self.horizontalScrollBar().setValue(round(max(0.0, beat - 0.5) * self._ppb))
        y = (127 - pitch) * self._row_h + self._row_h / 2
        self.verticalScrollBar().setValue(round(y - (geo.height - RULER_H) / 2))

    def _commit(self, notes: Notes, text: str, selection: Selection) -> None:
        clip = self.clip()
        if clip is None:
            return
        self._known_notes = notes  # set first: the state's `changed` arrives inside set_clip_melody
        self._set_selection(frozenset(i for i in selection if i < len(notes)))
        self._timeline.set_clip_melody(clip.id, replace(clip.melody, notes=notes), text)

    def _set_selection(self, selection: Selection) -> None:
        if selection != self._selection:
            self._selection = selection
            self.selection_changed.emit(len(selection))
            self.viewport().update()

    # ----- state observers ---------------------------------------------------------------------------
    def _on_timeline_changed(self) -> None:
        clip = self.clip()
        if self._clip_id is not None and clip is None:  # the clip was deleted (or its addition undone)
            self.set_clip(None)
            return
        if clip is not None and clip.melody.notes != self._known_notes:
            # Notes changed under us (undo/redo, another tool). Undoing a move, transpose or velocity
            # change keeps every note at its index, so the selection still means the same notes; when
            # the count changed (delete, paste, draw) it would not, and is dropped.
            same_count = len(clip.melody.notes) == len(self._known_notes)
            self._known_notes = clip.melody.notes
            self._gesture = None
            self._set_selection(self._selection if same_count else frozenset())
        self._update_scroll_ranges()
        self.viewport().update()

    def _update_scroll_ranges(self) -> None:
        vp = self.viewport()
        clip = self.clip()
        bar = self.meter().beats_per_bar
        beats = max(clip.length_beats if clip else 0.0, 8 * bar, self._loop[1] if self._loop else 0.0)
        content_w = int((beats + _TAIL_BARS * bar) * self._ppb)
        self.horizontalScrollBar().setRange(0, max(0, content_w - (vp.width() - KEYS_W)))
        self.horizontalScrollBar().setPageStep(max(1, vp.width() - KEYS_W))
        content_h = int(content_height(self._row_h))
        self.verticalScrollBar().setRange(0, max(0, content_h - (vp.height() - RULER_H)))
        self.verticalScrollBar().setPageStep(max(1, vp.height() - RULER_H))

    # ----- painting ----------------------------------------------------------------------------------
    def scene(self) -> RollScene:
        clip = self.clip()
        g = self._gesture
        notes = g.preview if g is not None else self._known_notes
        selection = g.selection if g is not None else self._selection
        loop = g.region if isinstance(g, LoopGesture) and g.dragged else self._loop
        band = g.rect if isinstance(g, RubberBandGesture) else None
        playhead = clip.beat_at(self._timeline.playhead_s) if clip is not None else None
        clip_beats = max((n.end for n in notes), default=clip.length_beats if clip else 0.0)
        return RollScene(notes, selection, self.key(), self.meter(), self.grid, clip_beats, loop,
                         playhead, band, clip is not None)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self.viewport())
        try:
            paint_roll(p, self.palette(), self.geometry_now(), self.scene())
        finally:
            p.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scroll_ranges()

    # ----- mouse -------------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        mods = event.modifiers()
        delta = event.angleDelta().y() or event.angleDelta().x()  # Shift+wheel arrives as x on some systems
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if ctrl and delta:
            if shift:
                self.zoom_vertical(delta / 120.0, event.position().y())
            else:
                self.zoom_horizontal(delta / 120.0, event.position().x())
        elif shift and delta:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta)
        else:
            return super().wheelEvent(event)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos, geo = event.position(), self.geometry_now()
        self._collapse_to = None
        if self.clip() is None or pos.x() < KEYS_W:
            return super().mousePressEvent(event)
        snap = Snap(self.grid, self.snap)
        if pos.y() < RULER_H:
            if event.button() == Qt.MouseButton.LeftButton:
                self._gesture = LoopGesture(geo, pos, self._known_notes, self._selection, snap)
            return event.accept()
        hit, on_handle = note_at(geo, self._known_notes, pos)
        if event.button() == Qt.MouseButton.RightButton:  # right-click deletes, as in most piano rolls
            if hit is not None:
                self._commit(editing.delete(self._known_notes, frozenset({hit})), "Delete note", frozenset())
            return event.accept()
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if hit is not None:
            self._press_on_note(geo, pos, hit, on_handle, shift)
        elif self.tool == "draw" and not (shift or ctrl):
            self._gesture = DrawGesture(geo, pos, self._known_notes, snap, self.new_velocity)
            self._touched_pitch = self._gesture.preview[-1].pitch  # the new note is the last one
            self.pitch_touched.emit(self._touched_pitch)
        else:
            base = self._selection if shift else frozenset()
            self._set_selection(base)
            self._gesture = RubberBandGesture(geo, pos, self._known_notes, base)
        self.viewport().update()
        event.accept()

    def _press_on_note(self, geo: RollGeometry, pos: QPointF, hit: int, on_handle: bool, shift: bool) -> None:
        if shift:
            selection = self._selection ^ {hit}
            self._set_selection(frozenset(selection))
            if hit not in selection:
                return  # shift-click took it out of the selection: nothing to drag
        elif hit not in self._selection:
            self._set_selection(frozenset({hit}))
        else:
            self._collapse_to = hit
        kind = ResizeGesture if on_handle else MoveGesture
        self._gesture = kind(geo, pos, self._known_notes, self._selection, hit)
        self._touched_pitch = self._known_notes[hit].pitch  # grabbing is silent; moving it to a new pitch is not

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        g = self._gesture
        if g is not None:
            g.update(event.position(), Snap(self.grid, self.snap))
            if g.dragged:
                self._collapse_to = None
            if isinstance(g, MoveGesture) and g.preview[g.anchor].pitch != self._touched_pitch:
                self._touched_pitch = g.preview[g.anchor].pitch
                self.pitch_touched.emit(self._touched_pitch)
            self.viewport().update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        g, self._gesture = self._gesture, None
        if g is None:
            return super().mouseReleaseEvent(event)
        if isinstance(g, LoopGesture):
            self._finish_loop(g)
        else:
            notes = g.finish()
            if notes is not None:
                self._commit(notes, g.text, g.selection)
            else:
                self._set_selection(g.selection if self._collapse_to is None else frozenset({self._collapse_to}))
        self._collapse_to = None
        self.viewport().update()
        event.accept()

    def _finish_loop(self, g: LoopGesture) -> None:
        clip = self.clip()
        if g.dragged and g.region is not None:
            self.set_loop_region(g.region)
            self.status.emit(f"Loop: beats {g.region[0]:g} to {g.region[1]:g}")
        elif not g.dragged and clip is not None:  # a click in the ruler: clear the loop, move the playhead
            self.set_loop_region(None)
            self._timeline.set_playhead(clip.time_of(g.origin))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self._key_command(event) is not None:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        command = self._key_command(event)
        if command is None:
            return super().keyPressEvent(event)
        command()
        event.accept()

