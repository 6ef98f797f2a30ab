"""The Voice panel: speak text, transform / denoise / record audio clips, sing lyrics on a MIDI clip.

Each action builds a voice job spec and emits it; the window decides where the resulting clip lands.
Transform and denoise have a Preview (the result is played, not added) beside Apply (a new undoable clip).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QPlainTextEdit, QPushButton,
    QScrollArea, QVBoxLayout, QWidget,
)

from genai_studio.core.jobs import JobSpec
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody
from genai_studio.core.voice_jobs import (
    DENOISE_METHODS, SPEECH_STYLES, TRANSFORM_EFFECTS, SingSpec, SpeakSpec, VoiceDenoiseSpec,
    VoiceTransformSpec,
)


@dataclass(frozen=True)
class VoiceChoice:
    id: str
    name: str
    license: str


def _spin(low: float, high: float, value: float, step: float, suffix: str = "", decimals: int = 2,
          tip: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setToolTip(tip)
    return spin


class VoicePanel(QWidget):
    # (spec, purpose): purpose is "add" (a new clip) or "preview" (play the result, add nothing)
    submit_requested = Signal(object, str)
    error = Signal(str, str)
    record_requested = Signal()
    ab_requested = Signal()  # toggle playback between the original and the last preview

    def __init__(self, voices: list[VoiceChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Providers the window sets.
        self.selected_audio: Callable[[], AudioBuffer | None] = lambda: None
        self.selected_melody: Callable[[], Melody | None] = lambda: None
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self._speak_box())
        layout.addWidget(self._transform_box())
        layout.addWidget(self._denoise_box())
        layout.addWidget(self._sing_box())
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.set_voices(voices)

    # ----- building ------------------------------------------------------------------------------
    def _speak_box(self) -> QGroupBox:
        box = QGroupBox("Speak")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Type or paste text to speak. Long text is read sentence by sentence.")
        self.text.setMinimumHeight(90)
        self.voice = QComboBox()
        self.style = QComboBox()
        self.style.addItems(list(SPEECH_STYLES))
        self.speed = _spin(0.5, 2.0, 1.0, 0.05, "×", tip="Speaking rate")
        self.pitch = _spin(-12, 12, 0, 0.5, " st", 1, "Pitch shift in semitones")
        self.volume = _spin(-30, 12, 0, 1, " dB", 1)
        self.pause = _spin(0, 3, 0.35, 0.05, " s", tip="Silence between sentences (paragraphs get twice as much)")
        self.stream = QCheckBox("Play while it is made")
        self.stream.setChecked(True)
        self.speak_button = QPushButton("Speak")
        self.speak_button.setToolTip("Ctrl+Enter in the text box")
        self.speak_button.clicked.connect(self.speak)
        QShortcut(QKeySequence("Ctrl+Return"), self.text, self.speak, context=Qt.ShortcutContext.WidgetShortcut)
        form = QFormLayout(box)
        form.addRow(self.text)
        form.addRow("Voice", self.voice)
        form.addRow("Style", self.style)
        form.addRow("Speed", self.speed)
        form.addRow("Pitch", self.pitch)
        form.addRow("Volume", self.volume)
        form.addRow("Pause", self.pause)
        form.addRow(self.stream)
        form.addRow(self.speak_button)
        return box

    def _transform_box(self) -> QGroupBox:
        box = QGroupBox("Transform the selected audio clip")
        self.t_pitch = _spin(-24, 24, 0, 0.5, " st", 1)
        self.t_formant = _spin(0.5, 2.0, 1.0, 0.05, "×",
                               tip="Formant (voice character): above 1 brighter / younger, below 1 darker / older")
        self.t_tempo = _spin(0.25, 4.0, 1.0, 0.05, "×", tip="Speed without changing the pitch")
        self.t_effect = QComboBox()
        self.t_effect.addItems(list(TRANSFORM_EFFECTS))
        self.t_preview = QPushButton("Preview")
        self.t_preview.clicked.connect(lambda: self.transform_selected("preview"))
        self.t_apply = QPushButton("Apply as new clip")
        self.t_apply.clicked.connect(lambda: self.transform_selected("add"))
        self.ab_button = QPushButton("A/B")
        self.ab_button.setToolTip("Switch playback between the original and the last preview, at the same moment")
        self.ab_button.setEnabled(False)
        self.ab_button.clicked.connect(self.ab_requested.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.t_preview)
        buttons.addWidget(self.ab_button)
        buttons.addWidget(self.t_apply)
        form = QFormLayout(box)
        form.addRow("Pitch", self.t_pitch)
        form.addRow("Formant", self.t_formant)
        form.addRow("Tempo", self.t_tempo)
        form.addRow("Effect", self.t_effect)
        form.addRow(buttons)
        return box

    def _denoise_box(self) -> QGroupBox:
        box = QGroupBox("Clean up speech")
        self.d_method = QComboBox()
        for method, label in zip(DENOISE_METHODS, ("DeepFilterNet3 (best)", "RNNoise (lighter)")):
            self.d_method.addItem(label, method)
        self.d_strength = _spin(0, 1, 1, 0.05, tip="0 leaves the audio as it is; 1 removes as much noise as it can")
        self.d_preview = QPushButton("Preview")
        self.d_preview.clicked.connect(lambda: self.denoise_selected("preview"))
        self.d_apply = QPushButton("Apply as new clip")
        self.d_apply.clicked.connect(lambda: self.denoise_selected("add"))
        self.record_button = QPushButton("Record into a track…")
        self.record_button.clicked.connect(self.record_requested.emit)
        self.d_ab_button = QPushButton("A/B")
        self.d_ab_button.setToolTip(self.ab_button.toolTip())
        self.d_ab_button.setEnabled(False)
        self.d_ab_button.clicked.connect(self.ab_requested.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.d_preview)
        buttons.addWidget(self.d_ab_button)
        buttons.addWidget(self.d_apply)
        form = QFormLayout(box)
        form.addRow("Method", self.d_method)
        form.addRow("Strength", self.d_strength)
        form.addRow(buttons)
        form.addRow(self.record_button)
        return box

    def _sing_box(self) -> QGroupBox:
        box = QGroupBox("Sing the selected MIDI clip")
        self.lyrics = QPlainTextEdit()
        self.lyrics.setPlaceholderText("Lyrics, one syllable per note: split words with hyphens (twin-kle), "
                                       "hold a syllable over more notes with _")
        self.lyrics.setMinimumHeight(60)
        self.legato = _spin(0, 1, 0.5, 0.05, tip="0 = detached notes … 1 = notes run into each other")
        self.vibrato = _spin(0, 200, 30, 5, " cents", 0)
        self.breathiness = _spin(0, 1, 0.1, 0.05)
        self.sing_button = QPushButton("Sing")
        self.sing_button.clicked.connect(self.sing_selected)
        form = QFormLayout(box)
        form.addRow(self.lyrics)
        form.addRow("Legato", self.legato)
        form.addRow("Vibrato", self.vibrato)
        form.addRow("Breathiness", self.breathiness)
        form.addRow(self.sing_button)
        return box

    def set_ab_available(self, available: bool) -> None:
        self.ab_button.setEnabled(available)
        self.d_ab_button.setEnabled(available)

    def set_voices(self, voices: list[VoiceChoice]) -> None:
        """Re-list the installed voices (after an import), keeping the current choice when it still exists."""
        current = self.voice.currentData()
        self.voice.clear()
        for v in voices:
            self.voice.addItem(v.name, v.id)
            self.voice.setItemData(self.voice.count() - 1, f"License: {v.license}", Qt.ItemDataRole.ToolTipRole)
        index = self.voice.findData(current)
        self.voice.setCurrentIndex(max(0, index))
        for button in (self.speak_button, self.sing_button):
            button.setEnabled(bool(voices))
            if not voices:
                button.setToolTip("No voice is installed: import a Piper voice in Models ▸ Model Manager")

    # ----- actions -------------------------------------------------------------------------------
    def _submit(self, build: Callable[[], JobSpec], title: str, purpose: str = "add") -> None:
        try:
            spec = build()
        except ValueError as exc:
            self.error.emit(title, str(exc))
            return
        self.submit_requested.emit(spec, purpose)

    def speak(self) -> None:
        purpose = "stream" if self.stream.isChecked() else "add"
        self._submit(lambda: SpeakSpec(
            text=self.text.toPlainText(), voice_id=self.voice.currentData() or "", speed=self.speed.value(),
            pitch_semitones=self.pitch.value(), volume_db=self.volume.value(), pause_s=self.pause.value(),
            style=self.style.currentText()), "Cannot speak", purpose)

    def transform_selected(self, purpose: str = "add") -> None:
        self._submit(lambda: VoiceTransformSpec(
            audio=self.selected_audio(), pitch_semitones=self.t_pitch.value(), formant_ratio=self.t_formant.value(),
            tempo_ratio=self.t_tempo.value(), effect=self.t_effect.currentText()), "Cannot transform", purpose)

    def denoise_selected(self, purpose: str = "add") -> None:
        self._submit(lambda: VoiceDenoiseSpec(audio=self.selected_audio(), strength=self.d_strength.value(),
                                              method=self.d_method.currentData()), "Cannot denoise", purpose)

    def sing_selected(self) -> None:
        self._submit(lambda: SingSpec(
            melody=self.selected_melody(), lyrics=self.lyrics.toPlainText(), voice_id=self.voice.currentData() or "",
            legato=self.legato.value(), vibrato_cents=self.vibrato.value(), breathiness=self.breathiness.value()),
            "Cannot sing")
