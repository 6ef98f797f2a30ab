"""The record dialog: a level meter, elapsed time, Record/Stop; returns the take as an AudioBuffer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from genai_studio.core.media import AudioBuffer
from genai_studio.runtime.recorder import AudioRecorder


class RecordDialog(QDialog):
    HUM_HINT = "Hum or sing your idea, then press Stop. The notes appear as a new MIDI clip."

    def __init__(self, recorder: AudioRecorder, parent: QWidget | None = None, hint: str = HUM_HINT) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record")
        self.recorder = recorder
        self.audio: AudioBuffer | None = None
        self.hint = QLabel(hint)
        self.hint.setWordWrap(True)
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.time_label = QLabel("0.0 s")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setProperty("role", "error")
        self.toggle = QPushButton("Record")
        self.toggle.setDefault(True)
        self.toggle.clicked.connect(self._toggle)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.hint, self.meter, self.time_label, self.message, self.toggle, buttons):
            layout.addWidget(widget)
        recorder.level_changed.connect(lambda peak: self.meter.setValue(int(peak * 100)))
        recorder.time_changed.connect(lambda s: self.time_label.setText(f"{s:.1f} s"))
        recorder.error.connect(self._on_error)

    def _toggle(self) -> None:
        if self.recorder.is_recording:
            self.audio = self.recorder.stop()
            if self.audio is None:
                self._on_error("Nothing was recorded.")
                return
            self.accept()
        elif self.recorder.start():
            self.toggle.setText("Stop")
            self.message.clear()

    def _on_error(self, message: str) -> None:
        self.message.setText(message)
        self.toggle.setText("Record")

    def reject(self) -> None:
        if self.recorder.is_recording:
            self.recorder.stop()
        self.audio = None
        super().reject()
