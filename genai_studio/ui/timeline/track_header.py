"""Track headers: one mixer strip per lane, to the left of the clips.

Each header shows the track name, Mute / Solo / FX buttons, gain in dB, pan and a one-line summary of the
effects chain, and edits the TimelineState through its undoable setters. Values follow the state back
(undo, opening a project). The headers live in a :class:`HeaderColumn` laid over the left edge of the
tracks view's viewport, scrolled with the lanes.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox, QHBoxLayout, QInputDialog, QLabel, QMenu, QSizePolicy, QSlider, QToolButton, QVBoxLayout,
    QWidget,
)

from genai_studio.state.timeline_clips import MIN_GAIN_DB, Track, db_to_gain, gain_to_db
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.timeline.geometry import HEADER_W, LANE_H

MAX_GAIN_DB = 24.0
PAN_STEPS = 100  # slider units per side: pan = value / PAN_STEPS
_BUTTON = 22  # px, side of the M / S / FX buttons
_TOGGLE_STYLE = (
    "QToolButton { padding: 0px; }"
    "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
    " border: 1px solid palette(mid); border-radius: 3px; }"
    "QToolButton#solo:checked { background: #d9a400; color: black; }"
)


def pan_text(pan: float) -> str:
    """'C' for centre, else the side and how far, e.g. 'L 35' or 'R 100'."""
    amount = round(abs(pan) * PAN_STEPS)
    return "C" if amount == 0 else f"{'L' if pan < 0 else 'R'} {amount}"


def effects_text(track: Track) -> str:
    """The chain in one line, bypassed effects in parentheses: 'EQ › (Echo) › Reverb'."""
    return " › ".join(e.label if e.enabled else f"({e.label})" for e in track.effects)


class GainSpin(QDoubleSpinBox):
    """Gain in dB; the bottom value reads −∞ (off). Wheel only when focused, so scrolling the lanes past a
    header never changes a gain."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(MIN_GAIN_DB, MAX_GAIN_DB)
        self.setDecimals(1)
        self.setSingleStep(0.5)
        self.setSuffix(" dB")
        self.setSpecialValueText("−∞ dB")
        self.setKeyboardTracking(False)  # typing "-12" is one edit (one undo step)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccelerated(True)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class PanSlider(QSlider):
    """-PAN_STEPS … PAN_STEPS; double-click returns to centre. Commits on release, not while dragging."""

    committed = Signal(float)  # pan -1..1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(-PAN_STEPS, PAN_STEPS)
        self.setPageStep(PAN_STEPS // 10)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.sliderReleased.connect(lambda: self.committed.emit(self.value() / PAN_STEPS))
        # Keyboard and clicks on the groove change the value without a drag: each is one edit.
        self.valueChanged.connect(lambda v: None if self.isSliderDown() else self.committed.emit(v / PAN_STEPS))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.setValue(0)
        self.committed.emit(0.0)
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class TrackHeader(QWidget):
    """The mixer strip of one track."""

    effects_requested = Signal(str)  # track id
    export_requested = Signal(str)

    def __init__(self, state: TimelineState, track_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.track_id = track_id
        self.setFixedSize(HEADER_W, LANE_H)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Window)
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        self.setFont(font)

        self.name = QLabel(self)
        self.name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bold = self.name.font()
        bold.setBold(True)
        self.name.setFont(bold)
        self.mute = self._button("M", "Mute: leave this track out of the mix", "mute", checkable=True)
        self.solo = self._button("S", "Solo: while any track is soloed only soloed tracks play", "solo",
                                 checkable=True)
        self.fx = self._button("FX", "Effects of this track…", "fx")
        self.gain = GainSpin(self)
        self.gain.setToolTip("Track gain (0 dB = unchanged)")
        self.pan = PanSlider(self)
        self.pan.setToolTip("Pan (double-click: centre)")
        self.pan_label = QLabel(self)
        self.pan_label.setFixedWidth(34)
        self.pan_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.effects_label = QLabel(self)
        self.effects_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.effects_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        top = QHBoxLayout()
        top.setSpacing(2)
        top.addWidget(self.name, 1)
        for button in (self.mute, self.solo, self.fx):
            top.addWidget(button)
        middle = QHBoxLayout()
        middle.setSpacing(4)
        middle.addWidget(self.gain)
        middle.addWidget(self.pan, 1)
        middle.addWidget(self.pan_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 5)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(self.effects_label)

        self.mute.toggled.connect(lambda on: self._state.set_track_muted(self.track_id, on))
        self.solo.toggled.connect(lambda on: self._state.set_track_solo(self.track_id, on))
        self.fx.clicked.connect(lambda: self.effects_requested.emit(self.track_id))
        self.gain.valueChanged.connect(self._on_gain)
        self.pan.valueChanged.connect(lambda v: self.pan_label.setText(pan_text(v / PAN_STEPS)))
        self.pan.committed.connect(self._on_pan)
        self.sync(state.track(track_id))

    def _button(self, text: str, tip: str, name: str, checkable: bool = False) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setFixedSize(_BUTTON if text != "FX" else _BUTTON + 6, _BUTTON)
        button.setStyleSheet(_TOGGLE_STYLE)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def sync(self, track: Track) -> None:
        """Show ``track`` without feeding the values back as edits."""
        self.name.setText(track.name)
        self.name.setToolTip(track.name)
        for widget, what in ((self.mute, "Mute"), (self.solo, "Solo"), (self.fx, "Effects of"),
                             (self.gain, "Gain of"), (self.pan, "Pan of")):
            widget.setAccessibleName(f"{what} {track.name}")
        for button, on in ((self.mute, track.muted), (self.solo, track.solo)):
            with QSignalBlocker(button):
                button.setChecked(on)
        with QSignalBlocker(self.gain):
            self.gain.setValue(gain_to_db(track.gain))
        if not self.pan.isSliderDown():
            with QSignalBlocker(self.pan):
                self.pan.setValue(round(track.pan * PAN_STEPS))
            self.pan_label.setText(pan_text(track.pan))
        summary = effects_text(track)
        self.effects_label.setText(summary)
        self.effects_label.setToolTip(f"Effects: {summary}" if summary else "")
        enabled = sum(e.enabled for e in track.effects)
        self.fx.setText(f"FX{enabled}" if enabled else "FX")

    def _on_gain(self, db: float) -> None:
        gain = db_to_gain(db)
        if abs(gain_to_db(gain) - gain_to_db(self._state.track(self.track_id).gain)) > 1e-9:
            self._state.set_track_gain(self.track_id, gain)

    def _on_pan(self, pan: float) -> None:
        self.pan_label.setText(pan_text(pan))
        self._state.set_track_pan(self.track_id, pan)

    # ----- context menu ---------------------------------------------------------------------------------
    def menu(self) -> QMenu:
        """The header's context menu (built fresh, so it names the current track)."""
        menu = QMenu(self)

        def add(text: str, slot) -> QAction:
            action = menu.addAction(text)
            action.triggered.connect(lambda _checked=False: slot())
            return action

        add("&Effects…", lambda: self.effects_requested.emit(self.track_id))
        add("E&xport Track…", lambda: self.export_requested.emit(self.track_id))
        menu.addSeparator()
        add("&Rename Track…", self._rename)
        add("Re&move Track", lambda: self._state.remove_track(self.track_id))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.menu().exec(event.globalPos())

    def _rename(self) -> None:
        name, ok = QInputDialog.getText(self, "Rename Track", "Name:", text=self._state.track(self.track_id).name)
        if ok:
            self._state.rename_track(self.track_id, name)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        p = QPainter(self)
        p.setPen(self.palette().color(QPalette.ColorRole.Mid))
        p.drawLine(0, self.height() - 1, self.width(), self.height() - 1)  # the lane separator
        p.end()


class HeaderColumn(QWidget):
    """The headers of all tracks, one per lane, scrolled with the lanes; lives in the view's viewport below
    the ruler. Re-emits the headers' requests."""

    effects_requested = Signal(str)
    export_requested = Signal(str)

    def __init__(self, state: TimelineState, parent: QWidget) -> None:
        super().__init__(parent)
        self._state = state
        self._scroll_y = 0
        self.headers: dict[str, TrackHeader] = {}
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Window)

    def header(self, track_id: str) -> TrackHeader:
        return self.headers[track_id]

    def sync(self) -> None:
        """One header per track, in track order, showing the current values."""
        tracks = self._state.tracks
        live = {t.id for t in tracks}
        for track_id in [k for k in self.headers if k not in live]:
            self.headers.pop(track_id).deleteLater()
        for track in tracks:
            header = self.headers.get(track.id)
            if header is None:
                header = TrackHeader(self._state, track.id, self)
                header.effects_requested.connect(self.effects_requested)
                header.export_requested.connect(self.export_requested)
                self.headers[track.id] = header
                header.show()
            else:
                header.sync(track)
        self._place()

    def set_scroll(self, scroll_y: int) -> None:
        if scroll_y != self._scroll_y:
            self._scroll_y = scroll_y
            self._place()

    def _place(self) -> None:
        for lane, track in enumerate(self._state.tracks):
            self.headers[track.id].move(0, lane * LANE_H - self._scroll_y)
