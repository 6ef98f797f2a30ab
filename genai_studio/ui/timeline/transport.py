"""The project's musical settings in the transport bar: tempo (BPM), key and time signature.

Each control edits the TimelineState through its undoable setters and follows the state back (undo,
opening a project), so the widgets always show what the document holds.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QWidget

from genai_studio.core.errors import BadInput
from genai_studio.core.music import MODES, PC_NAMES
from genai_studio.state.timeline_state import MAX_TEMPO_BPM, MIN_TEMPO_BPM, TimelineState

COMMON_METERS = ("2/4", "3/4", "4/4", "5/4", "6/8", "7/8", "9/8", "12/8")
KEY_NAMES = tuple(f"{PC_NAMES[tonic]} {mode}" for mode in MODES for tonic in range(12))
SETTINGS_ERROR_TITLE = "Project settings"


class MusicControls(QWidget):
    """BPM spin box, key combo and meter combo bound to a TimelineState."""

    error = Signal(str, str)

    def __init__(self, state: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.tempo = QDoubleSpinBox(self)
        self.tempo.setRange(MIN_TEMPO_BPM, MAX_TEMPO_BPM)
        self.tempo.setDecimals(1)
        self.tempo.setSuffix(" BPM")
        self.tempo.setKeyboardTracking(False)  # typing "96" is one edit (one undo step), not "9" then "96"
        self.tempo.setToolTip("Project tempo: every MIDI clip plays at it")
        self.key = QComboBox(self)
        self.key.addItems(KEY_NAMES)
        self.key.setMaxVisibleItems(24)
        # Sized for "C# major", not for the longest name: the transport bar must fit a narrow pane.
        self.key.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.key.setMinimumContentsLength(8)
        self.key.setToolTip("Project key: the piano roll highlights its scale")
        self.meter = QComboBox(self)
        self.meter.setEditable(True)  # any n/d the user types, e.g. 11/8
        self.meter.addItems(COMMON_METERS)
        self.meter.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.meter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.meter.setMinimumContentsLength(4)
        self.meter.setToolTip("Time signature: bars and beats of the piano-roll grid")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.tempo, self.key, self.meter):  # self-explanatory values; tooltips name them
            layout.addWidget(widget)
        self.tempo.valueChanged.connect(self._on_tempo)
        self.key.activated.connect(lambda _i: self._apply(self._state.set_key, self.key.currentText()))
        self.meter.activated.connect(lambda _i: self._apply(self._state.set_time_signature, self.meter.currentText()))
        self.meter.lineEdit().editingFinished.connect(
            lambda: self._apply(self._state.set_time_signature, self.meter.currentText()))
        state.changed.connect(self.sync)
        self.sync()

    def sync(self) -> None:
        """Show the state's tempo, key and meter (without feeding them back as edits)."""
        st = self._state
        with QSignalBlocker(self.tempo):
            self.tempo.setValue(st.tempo_bpm)
        with QSignalBlocker(self.key):
            if self.key.findText(st.key) < 0:  # a key text from elsewhere that we do not list: show it as is
                self.key.addItem(st.key)
            self.key.setCurrentText(st.key)
        with QSignalBlocker(self.meter):
            self.meter.setCurrentText(st.time_signature)

    def _on_tempo(self, bpm: float) -> None:
        if abs(bpm - self._state.tempo_bpm) > 1e-9:
            self._apply(self._state.set_tempo, bpm)

    def _apply(self, setter, value) -> None:
        try:
            setter(value)
        except BadInput as exc:
            self.error.emit(SETTINGS_ERROR_TITLE, exc.message)
        self.sync()  # a refused or canonicalized value ("d maj" → "D major") shows what the state holds
