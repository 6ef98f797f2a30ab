"""Microphone recording with a live level, through sounddevice (imported lazily: PortAudio may be missing).

The stream callback runs on PortAudio's thread; it only appends blocks and updates the peak. A QTimer
on the GUI thread publishes the level (~20 Hz) and the elapsed time.
"""

from __future__ import annotations

import threading
from types import ModuleType

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from genai_studio.core.media import AudioBuffer

NO_INPUT_MESSAGE = ("No microphone or other audio input is available, so recording is off. "
                    "You can still import audio files and transcribe them.")
NO_PORTAUDIO_INPUT_MESSAGE = ("Recording needs the PortAudio library (Debian/Ubuntu: libportaudio2), which is "
                              "not installed. You can still import audio files and transcribe them.")
MAX_RECORD_S = 600.0  # a hum or a take; longer is almost certainly a forgotten recorder


def _import_sounddevice() -> ModuleType:
    import sounddevice

    return sounddevice


class AudioRecorder(QObject):
    level_changed = Signal(float)  # peak of the last ~50 ms, 0..1
    time_changed = Signal(float)  # seconds recorded
    error = Signal(str)
    stopped = Signal(object)  # AudioBuffer, or None when nothing was recorded

    def __init__(self, sample_rate: int = 48000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sample_rate = sample_rate
        self._blocks: list[np.ndarray] = []
        self._frames = 0
        self._peak = 0.0
        self._lock = threading.Lock()
        self._stream = None
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._publish)

    @property
    def is_recording(self) -> bool:
        return self._stream is not None

    def start(self, device: str | int | None = None) -> bool:
        """Open the input and start recording; False (and ``error``) when that is impossible."""
        if self._stream is not None:
            return True
        try:
            sd = _import_sounddevice()
        except OSError:
            self.error.emit(NO_PORTAUDIO_INPUT_MESSAGE)
            return False
        self._blocks, self._frames, self._peak = [], 0, 0.0
        try:
            stream = sd.InputStream(samplerate=self.sample_rate, channels=1, dtype="float32", device=device,
                                    callback=self._on_block)
            stream.start()
        except Exception:  # PortAudioError, ValueError: no default input device, or it refused to open
            self.error.emit(NO_INPUT_MESSAGE)
            return False
        self._stream = stream
        self._timer.start()
        return True

    def _on_block(self, indata: np.ndarray, frames: int, _time, _status) -> None:  # PortAudio thread
        block = indata[:, :1].copy()  # (frames, 1) float32
        with self._lock:
            self._blocks.append(block)
            self._frames += frames
            self._peak = max(self._peak, float(np.abs(block).max(initial=0.0)))

    def _publish(self) -> None:
        with self._lock:
            peak, self._peak = self._peak, 0.0
            seconds = self._frames / self.sample_rate
        self.level_changed.emit(min(1.0, peak))
        self.time_changed.emit(seconds)
        if seconds >= MAX_RECORD_S:
            self.stop()

    def stop(self) -> AudioBuffer | None:
        """Stop and return what was recorded (also sent through ``stopped``)."""
        stream, self._stream = self._stream, None
        self._timer.stop()
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # noqa: BLE001 - a vanished device must not lose the take
                pass
        with self._lock:
            blocks, self._blocks = self._blocks, []
        audio = AudioBuffer(np.concatenate(blocks), self.sample_rate, "recording") if blocks else None
        self.stopped.emit(audio)
        return audio
