"""The jobs panel: one row per job with progress bar, ETA, live preview, cancel, and the error if it failed."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from genai_studio.core.jobs import JobEvent, JobState
from genai_studio.runtime.controller import JobController, JobRecord

PREVIEW_PX = 56


def format_eta(seconds: float) -> str:
    if seconds < 1:
        return "<1 s left"
    if seconds < 90:
        return f"{seconds:.0f} s left"
    return f"{seconds / 60:.0f} min left"


def estimate_eta(fraction: float, elapsed_s: float) -> float | None:
    """Linear estimate; None until there is enough progress to say anything honest."""
    if fraction < 0.02 or elapsed_s < 0.5:
        return None
    return elapsed_s * (1 - fraction) / fraction


def audio_to_pixmap(samples: np.ndarray, side: int) -> QPixmap:
    """A tiny waveform: per-column peak of |samples| drawn as a centred bar, side × side px."""
    mono = np.abs(samples.reshape(len(samples), -1).mean(axis=1)) if len(samples) else np.zeros(1)
    columns = np.array_split(mono, side) if len(mono) >= side else [mono]
    peaks = np.array([c.max() if len(c) else 0.0 for c in columns])
    peaks = peaks / max(float(peaks.max()), 1e-6)
    image = np.full((side, side, 3), 32, dtype=np.uint8)  # (H, W, RGB) dark background
    middle = side // 2
    for x, peak in enumerate(peaks[:side]):
        half = max(1, int(peak * (side // 2 - 2)))
        image[middle - half:middle + half, x] = (90, 170, 255)
    return rgb_to_pixmap(image, side)


def rgb_to_pixmap(rgb: np.ndarray, side: int) -> QPixmap:
    """(H, W, 3) uint8 → pixmap scaled to fit ``side`` px."""
    rgb = np.ascontiguousarray(rgb[..., :3])
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)


class JobRow(QFrame):
    cancel_requested = Signal(int)

    def __init__(self, record: JobRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_id = record.job_id
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_PX, PREVIEW_PX)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(record.spec.title)
        self.title.setProperty("role", "heading")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.status = QLabel("Queued")
        self.status.setProperty("role", "dim")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel this job")
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.job_id))
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.bar)
        text.addWidget(self.status)
        row = QHBoxLayout(self)
        row.addWidget(self.preview)
        row.addLayout(text, 1)
        row.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignTop)

    def update_from(self, record: JobRecord, event: JobEvent) -> None:
        self.bar.setValue(int(record.fraction * 1000))
        if event.preview is not None:
            preview = np.asarray(event.preview)
            # images are (H, W, 3); audio jobs preview their samples so far, (frames,) or (frames, channels)
            pixmap = rgb_to_pixmap(preview, PREVIEW_PX) if preview.ndim == 3 else audio_to_pixmap(preview, PREVIEW_PX)
            self.preview.setPixmap(pixmap)
        state = record.state
        if state is JobState.RUNNING:
            elapsed = time.monotonic() - (record.started_at or time.monotonic())
            eta = estimate_eta(record.fraction, elapsed)
            parts = [f"{record.fraction * 100:.0f}%", record.message]
            if eta is not None:
                parts.append(format_eta(eta))
            self._set_status(" · ".join(p for p in parts if p))
        elif state is JobState.DONE:
            took = (record.finished_at or 0) - (record.started_at or record.finished_at or 0)
            self._set_status(f"Done in {took:.1f} s")
            self._finish()
        elif state is JobState.CANCELLED:
            self._set_status(event.message or "Cancelled")
            self._finish()
        elif state is JobState.FAILED:
            self._set_status(f"Failed: {event.message}", error=True)
            self._finish()

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "dim")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _finish(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Done" if self.bar.value() >= 1000 else "—")


class JobsPanel(QWidget):
    """Lists the controller's jobs, newest first."""

    def __init__(self, controller: JobController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.rows: dict[int, JobRow] = {}
        self._list = QVBoxLayout()
        self._list.addStretch(1)
        inner = QWidget()
        inner.setLayout(self._list)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.empty_hint = QLabel("No jobs yet. Results of upscaling and other tools appear here.")
        self.empty_hint.setProperty("role", "dim")
        self.empty_hint.setWordWrap(True)
        clear = QPushButton("Clear finished")
        clear.clicked.connect(self.clear_finished)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty_hint)
        layout.addWidget(scroll, 1)
        layout.addWidget(clear, 0, Qt.AlignmentFlag.AlignRight)
        controller.submitted.connect(self._add_row)
        controller.event.connect(self._on_event)

    def _add_row(self, record: JobRecord) -> None:
        row = JobRow(record)
        row.cancel_requested.connect(self.controller.cancel)
        self.rows[record.job_id] = row
        self._list.insertWidget(0, row)
        self.empty_hint.hide()

    def _on_event(self, event: JobEvent) -> None:
        row = self.rows.get(event.job_id)
        record = self.controller.jobs.get(event.job_id)
        if row is not None and record is not None:
            row.update_from(record, event)

    def clear_finished(self) -> None:
        finished = [j for j, r in self.controller.jobs.items() if r.state.finished and j in self.rows]
        for job_id in finished:
            self.rows.pop(job_id).deleteLater()
        self.controller.forget(finished)  # and free their results and inputs
        self.empty_hint.setVisible(not self.rows)
