"""The scrolling track lanes: ruler clicks set the playhead, clips (audio and MIDI) drag in time and between
tracks, the handles at a clip's top corners drag its fades, right-click on a clip offers Fades… and Delete,
double-click or Enter on a MIDI clip opens it, Ctrl+wheel zooms around the cursor, and audio files can be
dropped onto a lane at a time. The track headers (mixer strips) are widgets in a column on the left."""

from __future__ import annotations


from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent,
    QResizeEvent, QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from genai_studio.state.timeline_state import MidiClip, TimelineState
from genai_studio.ui.timeline.drops import timeline_paths
from genai_studio.ui.timeline.fades import FadePreview, FadesDialog, dragged_fades, hit_handle
from genai_studio.ui.timeline.geometry import (
    DEFAULT_PPS, HEADER_W, LANE_H, MAX_PPS, MIN_PPS, RULER_H, ViewGeometry,
)
from genai_studio.ui.timeline.painting import DragPreview, paint_timeline
from genai_studio.ui.timeline.track_header import HeaderColumn
from genai_studio.ui.timeline.waveform import WaveformCache

_DRAG_THRESHOLD_PX = 4  # a press that moves less than this is a click (select), not a move
_TAIL_S = 10.0  # seconds of empty room scrollable past the last clip
_ZOOM_STEP = 1.25


class TracksView(QAbstractScrollArea):
    """Draws and edits a TimelineState. Edits go through the state's undoable methods."""

    files_dropped = Signal(list, float, object)  # paths, start seconds, track id or None (new tracks)
    selection_changed = Signal(object)  # clip id or None
    midi_clip_activated = Signal(str)  # clip id: double-click or Enter on a MIDI clip (open it for editing)
    effects_requested = Signal(str)  # track id: its header's FX button or Effects… menu entry
    export_requested = Signal(str)  # track id: its header's Export Track… menu entry

    def __init__(self, state: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._pps = DEFAULT_PPS
        self._cache = WaveformCache()
        self._selected: str | None = None
        self._press: QPointF | None = None
        self._scrubbing = False
        self._drag_clip: str | None = None
        self._drag_grab_s = 0.0  # seconds between the clip start and the grab point
        self._drag: DragPreview | None = None
        self._fade_edge: str | None = None  # 'in' / 'out' while a fade handle of _drag_clip is held
        self._fade_grab_px = 0.0  # px between the grab point and the fade's end, kept while dragging
        self._fade: FadePreview | None = None
        self.follow_playhead = False  # keep the playhead in view (set by the pane during playback)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(RULER_H + LANE_H + 20)
        self.horizontalScrollBar().valueChanged.connect(self.viewport().update)
        self.verticalScrollBar().valueChanged.connect(self.viewport().update)
        self.headers = HeaderColumn(state, self.viewport())
        self.headers.effects_requested.connect(self.effects_requested)
        self.headers.export_requested.connect(self.export_requested)
        self.verticalScrollBar().valueChanged.connect(self.headers.set_scroll)
        self.horizontalScrollBar().setSingleStep(20)
        self.verticalScrollBar().setSingleStep(LANE_H // 3)
        state.changed.connect(self._on_state_changed)
        state.playhead_changed.connect(self._on_playhead_changed)
        self._last_playhead_x = self.geometry_now().x_of(state.playhead_s)
        self._update_scroll_ranges()
        self.headers.sync()
        self._place_headers()

    # ----- public ---------------------------------------------------------------------------------------
    @property
    def pixels_per_second(self) -> float:
        return self._pps

    @property
    def selected_clip(self) -> str | None:
        return self._selected

    def select_clip(self, clip_id: str | None) -> None:
        if clip_id != self._selected:
            self._selected = clip_id
            self.selection_changed.emit(clip_id)
            self.viewport().update()

    def geometry_now(self) -> ViewGeometry:
        vp = self.viewport()
        return ViewGeometry(self._pps, self.horizontalScrollBar().value(), self.verticalScrollBar().value(),
                            vp.width(), vp.height())

    def clip_rect(self, clip_id: str) -> QRect:
        """Where a clip is drawn, in viewport coordinates (unclipped)."""
        return self._rect_of(self.geometry_now(), clip_id).toAlignedRect()

    def set_pixels_per_second(self, pps: float, anchor_x: float | None = None) -> None:
        """Zoom, keeping the time under viewport x ``anchor_x`` (default: the left edge of the lanes) fixed."""
        pps = min(MAX_PPS, max(MIN_PPS, float(pps)))
        if pps == self._pps:
            return
        anchor_x = HEADER_W if anchor_x is None else anchor_x
        anchor_t = self.geometry_now().time_at(anchor_x)
        self._pps = pps
        self._update_scroll_ranges()
        self.horizontalScrollBar().setValue(round(anchor_t * pps - (anchor_x - HEADER_W)))
        self.viewport().update()

    def zoom_in(self) -> None:
        self.set_pixels_per_second(self._pps * _ZOOM_STEP, self._zoom_anchor())

    def zoom_out(self) -> None:
        self.set_pixels_per_second(self._pps / _ZOOM_STEP, self._zoom_anchor())

    def zoom_to_fit(self) -> None:
        width = max(50, self.viewport().width() - HEADER_W - 20)
        self.set_pixels_per_second(width / max(1.0, self._state.duration_s))
        self.horizontalScrollBar().setValue(0)

    # ----- state observers ------------------------------------------------------------------------------
    def _on_state_changed(self) -> None:
        clip_ids = {c.id for c in self._state.clips()}
        if self._selected not in clip_ids:
            self.select_clip(None)
        self._cache.forget({id(c.audio) for c in self._state.audio_clips()})
        self._update_scroll_ranges()
        self.headers.sync()
        self.viewport().update()

    def _on_playhead_changed(self, seconds: float) -> None:
        if self.follow_playhead:
            self._keep_visible(seconds)
        # Repaint only the strips under the old and new playhead lines.
        x = self.geometry_now().x_of(seconds)
        h = self.viewport().height()
        for px in (self._last_playhead_x, x):
            self.viewport().update(QRect(int(px) - 8, 0, 17, h))
        self._last_playhead_x = x

    def _keep_visible(self, seconds: float) -> None:
        geo = self.geometry_now()
        x = geo.x_of(seconds)
        if x > geo.width - 16 or x < HEADER_W:
            # Page so the playhead lands near the left, as DAWs do, instead of scrolling every frame.
            self.horizontalScrollBar().setValue(round(seconds * self._pps - 24))

    def _update_scroll_ranges(self) -> None:
        vp = self.viewport()
        content_w = int((self._state.duration_s + _TAIL_S) * self._pps)
        self.horizontalScrollBar().setRange(0, max(0, content_w - (vp.width() - HEADER_W)))
        self.horizontalScrollBar().setPageStep(max(1, vp.width() - HEADER_W))
        content_h = len(self._state.tracks) * LANE_H
        self.verticalScrollBar().setRange(0, max(0, content_h - (vp.height() - RULER_H)))
        self.verticalScrollBar().setPageStep(max(1, vp.height() - RULER_H))

    def _zoom_anchor(self) -> float:
        x = self.geometry_now().x_of(self._state.playhead_s)
        return x if HEADER_W <= x <= self.viewport().width() else HEADER_W

    # ----- Qt events ------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self.viewport())
        try:
            paint_timeline(p, self.palette(), self.geometry_now(), self._state.tracks, self._state.sample_rate,
                           self._cache, self._state.playhead_s, self._selected, self._drag, self._fade)
        finally:
            p.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scroll_ranges()
        self._place_headers()

    def _place_headers(self) -> None:
        vp = self.viewport()
        self.headers.setGeometry(0, RULER_H, HEADER_W, max(0, vp.height() - RULER_H))

    def wheelEvent(self, event: QWheelEvent) -> None:
        mods = event.modifiers()
        dy = event.angleDelta().y()
        if mods & Qt.KeyboardModifier.ControlModifier and dy:
            factor = _ZOOM_STEP ** (dy / 120.0)
            self.set_pixels_per_second(self._pps * factor, event.position().x())
            event.accept()
        elif mods & Qt.KeyboardModifier.ShiftModifier and dy:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - dy)
            event.accept()
        else:
            super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        pos = event.position()
        if pos.x() < HEADER_W:  # the corner left of the ruler; the headers below it are widgets
            event.accept()
            return
        geo = self.geometry_now()
        self._press = pos
        if pos.y() < RULER_H:
            self._scrubbing = True
            self._state.set_playhead(geo.time_at(pos.x()))
        else:
            fade_hit = self._fade_handle_at(geo, pos)
            hit = fade_hit[0] if fade_hit is not None else self._clip_at(geo, pos)
            self.select_clip(hit)
            if fade_hit is not None:
                self._drag_clip, self._fade_edge = fade_hit
                clip, rect = self._state.clip(hit), self._rect_of(geo, hit)
                fade_end = (rect.left() + clip.fade_in_s * geo.pps if self._fade_edge == "in"
                            else rect.right() - clip.fade_out_s * geo.pps)
                self._fade_grab_px = pos.x() - fade_end
            elif hit is None:
                self._scrubbing = True
                self._state.set_playhead(geo.time_at(pos.x()))
            else:
                self._drag_clip = hit
                self._drag_grab_s = geo.time_at(pos.x()) - self._state.clip(hit).start_s
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        geo = self.geometry_now()
        if self._scrubbing:
            self._state.set_playhead(geo.time_at(pos.x()))
        elif self._fade_edge is not None and self._drag_clip is not None:
            clip = self._state.clip(self._drag_clip)
            fade_in, fade_out = dragged_fades(clip, self._fade_edge, pos.x() - self._fade_grab_px,
                                              self._rect_of(geo, clip.id), geo.pps)
            self._fade = FadePreview(clip.id, fade_in, fade_out)
            self.viewport().update()
        elif self._drag_clip is not None and self._press is not None:
            moved = (pos - self._press).manhattanLength() >= _DRAG_THRESHOLD_PX
            if moved or self._drag is not None:
                start = max(0.0, geo.time_at(pos.x()) - self._drag_grab_s)
                lane = geo.lane_at(pos.y())
                lane = min(max(lane, 0), len(self._state.tracks) - 1)
                self._drag = DragPreview(self._drag_clip, start, lane)
                self.viewport().update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, clip_id, fade = self._drag, self._drag_clip, self._fade
        self._press, self._scrubbing, self._drag, self._drag_clip = None, False, None, None
        self._fade_edge, self._fade = None, None
        if fade is not None:
            self._state.set_clip_fades(fade.clip_id, fade.fade_in_s, fade.fade_out_s)  # one undo step per drag
            self.viewport().update()
        elif drag is not None and clip_id is not None:
            track_id = self._state.tracks[drag.lane].id
            current = self._state.track_of_clip(clip_id).id
            self._state.move_clip(clip_id, drag.start_s, None if track_id == current else track_id)
            self.viewport().update()
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.position().x() < HEADER_W:
            return super().mouseDoubleClickEvent(event)
        hit = self._clip_at(self.geometry_now(), event.position())
        if hit is not None:
            self.select_clip(hit)
            self._activate(hit)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected is not None:
            self._activate(self._selected)
            event.accept()
            return
        super().keyPressEvent(event)

    def _activate(self, clip_id: str) -> None:
        if isinstance(self._state.clip(clip_id), MidiClip):
            self.midi_clip_activated.emit(clip_id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        pos = QPointF(event.pos())
        hit = self._clip_at(self.geometry_now(), pos) if pos.x() >= HEADER_W and pos.y() >= RULER_H else None
        if hit is None:
            return super().contextMenuEvent(event)
        self.select_clip(hit)
        self.clip_menu(hit).exec(event.globalPos())

    def clip_menu(self, clip_id: str) -> QMenu:
        """The context menu of a clip: Fades…, Open in Piano Roll (MIDI), Delete."""
        menu = QMenu(self)
        menu.addAction("&Fades…").triggered.connect(lambda _checked=False: self.edit_fades(clip_id))
        if isinstance(self._state.clip(clip_id), MidiClip):
            menu.addAction("&Open in Piano Roll").triggered.connect(
                lambda _checked=False: self.midi_clip_activated.emit(clip_id))
        menu.addSeparator()
        menu.addAction("&Delete Clip").triggered.connect(lambda _checked=False: self._state.remove_clip(clip_id))
        return menu

    def edit_fades(self, clip_id: str) -> FadesDialog:
        dialog = FadesDialog(self._state, clip_id, self)
        dialog.open()
        return dialog

    def _rect_of(self, geo: ViewGeometry, clip_id: str) -> QRectF:
        for lane, track in enumerate(self._state.tracks):
            for clip in track.clips:
                if clip.id == clip_id:
                    return geo.clip_rect(lane, clip.start_s, clip.duration_s)
        raise KeyError(clip_id)

    def _fade_handle_at(self, geo: ViewGeometry, pos: QPointF) -> tuple[str, str] | None:
        """(clip id, 'in' / 'out') when ``pos`` is on a fade handle."""
        lane = geo.lane_at(pos.y())
        if not 0 <= lane < len(self._state.tracks):
            return None
        for clip in reversed(self._state.tracks[lane].clips):
            rect = geo.clip_rect(lane, clip.start_s, clip.duration_s)
            edge = hit_handle(rect, clip.fade_in_s, clip.fade_out_s, geo.pps, pos)
            if edge is not None:
                return clip.id, edge
        return None

    def _clip_at(self, geo: ViewGeometry, pos: QPointF) -> str | None:
        lane = geo.lane_at(pos.y())
        if not 0 <= lane < len(self._state.tracks):
            return None
        # Later clips are drawn on top, so search them first.
        for clip in reversed(self._state.tracks[lane].clips):
            if geo.clip_rect(lane, clip.start_s, clip.duration_s).contains(pos):
                return clip.id
        return None

    # ----- drops ----------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _local_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _local_paths(event)
        if not paths:
            event.ignore()
            return
        geo = self.geometry_now()
        pos = event.position()
        start = max(0.0, geo.time_at(pos.x())) if pos.x() >= HEADER_W else 0.0
        lane = geo.lane_at(pos.y())
        # One file onto an existing lane joins that track; several files, or below the lanes, get new tracks.
        track_id = (self._state.tracks[lane].id
                    if len(paths) == 1 and pos.y() >= RULER_H and 0 <= lane < len(self._state.tracks) else None)
        event.acceptProposedAction()
        self.files_dropped.emit(paths, start, track_id)


def _local_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
    return timeline_paths(event.mimeData())
