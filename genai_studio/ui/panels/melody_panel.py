"""The Melody panel: generate, continue, vary, interpolate and hum-to-MIDI, each submitted as a job."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from genai_studio.core.jobs import (
    MELODY_STYLES, VARY_MODES, HumSpec, JobSpec, MelodyContinueSpec, MelodyGenerateSpec, MelodyInterpolateSpec,
    MelodyVarySpec,
)
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import MODES, PC_NAMES, Melody

METERS = ("4/4", "3/4", "2/4", "6/8", "9/8", "12/8")
NOTE_NAMES = PC_NAMES


def pitch_name(pitch: int) -> str:
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


class _PitchSpin(QSpinBox):
    """A MIDI pitch shown as a note name (60 = C4)."""

    def textFromValue(self, value: int) -> str:  # noqa: N802 - Qt override
        return pitch_name(value)

    def valueFromText(self, text: str) -> int:  # noqa: N802 - Qt override
        for pitch in range(128):
            if pitch_name(pitch).lower() == text.strip().lower():
                return pitch
        return self.value()


class MelodyPanel(QWidget):
    submit_requested = Signal(object)  # a melody JobSpec
    error = Signal(str, str)
    record_requested = Signal()  # the window opens the recorder; its audio comes back through hum_audio()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Providers the window sets: the selected MIDI clip's melody, all MIDI clips, the selected audio clip.
        self.selected_melody: Callable[[], Melody | None] = lambda: None
        self.midi_clips: Callable[[], list[tuple[str, str, Melody]]] = lambda: []
        self.selected_audio: Callable[[], AudioBuffer | None] = lambda: None
        self.project_tempo: Callable[[], float] = lambda: 120.0
        self.project_key: Callable[[], str] = lambda: "D major"

        layout = QVBoxLayout(self)
        layout.addWidget(self._generate_box())
        layout.addWidget(self._transform_box())
        layout.addWidget(self._hum_box())
        layout.addStretch(1)

    # ----- building ------------------------------------------------------------------------------
    def _generate_box(self) -> QGroupBox:
        box = QGroupBox("Generate")
        self.tonic = QComboBox()
        self.tonic.addItems(NOTE_NAMES)
        self.tonic.setCurrentText("D")
        self.mode = QComboBox()
        self.mode.addItems(list(MODES))
        self.meter = QComboBox()
        self.meter.addItems(METERS)
        self.style = QComboBox()
        self.style.addItems(list(MELODY_STYLES))
        self.style.currentTextChanged.connect(self._style_defaults)
        self.bars = QSpinBox()
        self.bars.setRange(1, 64)
        self.bars.setValue(8)
        self.tempo = QDoubleSpinBox()
        self.tempo.setRange(20, 300)
        self.tempo.setValue(120)
        self.tempo.setSuffix(" BPM")
        self.low, self.high = _PitchSpin(), _PitchSpin()
        for spin, value in ((self.low, 62), (self.high, 86)):
            spin.setRange(0, 127)
            spin.setValue(value)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.05, 3.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(0.9)
        self.temperature.setToolTip("Lower is safer and more repetitive; higher is more adventurous")
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setValue(-1)
        self.seed.setSpecialValueText("Random")
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        key_row, range_row = QHBoxLayout(), QHBoxLayout()
        key_row.addWidget(self.tonic)
        key_row.addWidget(self.mode)
        range_row.addWidget(self.low)
        range_row.addWidget(self.high)
        form = QFormLayout(box)
        form.addRow("Key", key_row)
        form.addRow("Meter", self.meter)
        form.addRow("Style", self.style)
        form.addRow("Bars", self.bars)
        form.addRow("Tempo", self.tempo)
        form.addRow("Range", range_row)
        form.addRow("Temperature", self.temperature)
        form.addRow("Seed", self.seed)
        form.addRow(self.generate_button)
        return box

    def _transform_box(self) -> QGroupBox:
        box = QGroupBox("From the selected clip")
        self.continue_bars = QSpinBox()
        self.continue_bars.setRange(1, 32)
        self.continue_bars.setValue(4)
        self.continue_button = QPushButton("Continue")
        self.continue_button.clicked.connect(self.continue_selected)
        self.vary_mode = QComboBox()
        for mode in VARY_MODES:
            self.vary_mode.addItem(mode.replace("_", " ").capitalize(), mode)
        self.vary_amount = QDoubleSpinBox()
        self.vary_amount.setRange(0.0, 1.0)
        self.vary_amount.setSingleStep(0.1)
        self.vary_amount.setValue(0.5)
        self.vary_button = QPushButton("Make variation")
        self.vary_button.clicked.connect(self.vary_selected)
        self.clip_a, self.clip_b = QComboBox(), QComboBox()
        self.steps = QSpinBox()
        self.steps.setRange(1, 16)
        self.steps.setValue(4)
        self.interpolate_button = QPushButton("Interpolate")
        self.interpolate_button.clicked.connect(self.interpolate)
        row_c, row_v, row_i = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        row_c.addWidget(self.continue_bars)
        row_c.addWidget(self.continue_button)
        row_v.addWidget(self.vary_mode)
        row_v.addWidget(self.vary_amount)
        row_i.addWidget(self.steps)
        row_i.addWidget(self.interpolate_button)
        form = QFormLayout(box)
        form.addRow("Continue by bars", row_c)
        form.addRow("Variation", row_v)
        form.addRow(self.vary_button)
        form.addRow("From", self.clip_a)
        form.addRow("To", self.clip_b)
        form.addRow("Steps", row_i)
        return box

    def _hum_box(self) -> QGroupBox:
        box = QGroupBox("Hum to MIDI")
        self.snap_key = QComboBox()
        self.snap_key.addItem("No key snap", "")
        self.snap_key.addItem("Snap to project key", "project")
        self.record_button = QPushButton("Record…")
        self.record_button.clicked.connect(self.record_requested.emit)
        self.transcribe_button = QPushButton("Transcribe selected audio clip")
        self.transcribe_button.clicked.connect(self.transcribe_selected)
        form = QFormLayout(box)
        form.addRow("Key", self.snap_key)
        form.addRow(self.record_button)
        form.addRow(self.transcribe_button)
        return box

    def _style_defaults(self, style: str) -> None:
        """Each style's usual meter and tempo, so one click gives a plausible tune."""
        meter, tempo = {"reel": ("4/4", 112), "jig": ("6/8", 116), "air": ("3/4", 80), "hymn": ("4/4", 72)}[style]
        self.meter.setCurrentText(meter)
        self.tempo.setValue(tempo)

    def refresh_clips(self) -> None:
        """Re-list the project's MIDI clips for interpolation."""
        clips = self.midi_clips()
        for combo in (self.clip_a, self.clip_b):
            current = combo.currentData()
            combo.clear()
            for clip_id, name, _melody in clips:
                combo.addItem(name, clip_id)
            index = combo.findData(current)
            combo.setCurrentIndex(index if index >= 0 else 0)
        if len(clips) > 1 and self.clip_a.currentIndex() == self.clip_b.currentIndex():
            self.clip_b.setCurrentIndex(1)

    # ----- actions -------------------------------------------------------------------------------
    def _seed(self) -> int | None:
        return None if self.seed.value() < 0 else self.seed.value()

    def _submit(self, build: Callable[[], JobSpec], title: str) -> None:
        try:
            spec = build()
        except ValueError as exc:
            self.error.emit(title, str(exc))
            return
        self.submit_requested.emit(spec)

    def generate(self) -> None:
        self._submit(lambda: MelodyGenerateSpec(
            key=f"{self.tonic.currentText()} {self.mode.currentText()}", meter=self.meter.currentText(),
            bars=self.bars.value(), tempo_bpm=self.tempo.value(), style=self.style.currentText(),
            temperature=self.temperature.value(), seed=self._seed(), low=self.low.value(), high=self.high.value(),
        ), "Cannot generate")

    def continue_selected(self) -> None:
        self._submit(lambda: MelodyContinueSpec(melody=self.selected_melody(), bars=self.continue_bars.value(),
                                                temperature=self.temperature.value(), seed=self._seed()),
                     "Cannot continue")

    def vary_selected(self) -> None:
        self._submit(lambda: MelodyVarySpec(melody=self.selected_melody(), mode=self.vary_mode.currentData(),
                                            amount=self.vary_amount.value(), temperature=self.temperature.value(),
                                            seed=self._seed()), "Cannot make a variation")

    def interpolate(self) -> None:
        by_id = {clip_id: melody for clip_id, _name, melody in self.midi_clips()}
        if self.clip_a.currentData() is not None and self.clip_a.currentData() == self.clip_b.currentData():
            self.error.emit("Cannot interpolate", "A and B are the same clip; choose two different MIDI clips"
                            + (" (add or generate another one first)." if len(by_id) < 2 else "."))
            return
        self._submit(lambda: MelodyInterpolateSpec(a=by_id.get(self.clip_a.currentData()),
                                                   b=by_id.get(self.clip_b.currentData()), steps=self.steps.value(),
                                                   seed=self._seed()), "Cannot interpolate")

    def hum_audio(self, audio: AudioBuffer | None) -> None:
        key = self.project_key() if self.snap_key.currentData() == "project" else None
        self._submit(lambda: HumSpec(audio=audio, tempo_bpm=self.project_tempo(), key=key), "Cannot transcribe")

    def transcribe_selected(self) -> None:
        self.hum_audio(self.selected_audio())
