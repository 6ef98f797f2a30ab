"""The Train panel: teach a generator (GAN, VAE or diffusion) the user's own folder of images.

Pick or drop a folder, choose a family and a size, press Train. While it trains the panel shows the latest
fixed-seed sample grid, the loss curves, step, speed and ETA; Pause/Resume, Stop (finish now and keep the
model) and Cancel (abandon, keeping the checkpoint so "Continue the previous run" can pick it up) act on the
running job through its :class:`TrainControl`. The folder check here only counts image files by name (no
decoding, so it is instant); the trainer validates every file and reports what it skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from genai_studio import paths
from genai_studio.core.art_train_jobs import (
    FAMILIES, FAMILY_LABELS, IMAGE_EXTENSIONS, MIN_IMAGES, PRESETS, TrainArtSpec, TrainControl, TrainUpdate,
)
from genai_studio.ui.device_choices import fill_device_combo
from genai_studio.ui.panels.loss_plot import LossPlot

POLL_MS = 250  # how often the panel collects the trainer's updates
GRID_PX = 256  # shown size of the sample grid
MAX_SCAN = 200_000  # directory entries looked at when counting a folder's images


def count_images(folder: Path) -> tuple[int, list[str]]:
    """(image files by extension, subfolder names that hold images) — no file is opened."""
    count, labels, seen = 0, set(), 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            seen += 1
            if name.lower().endswith(IMAGE_EXTENSIONS):
                count += 1
                rel = Path(root).relative_to(folder)
                if rel.parts:
                    labels.add(rel.parts[0])
            if seen >= MAX_SCAN:
                return count, sorted(labels)
    return count, sorted(labels)


def work_dir_for(name: str) -> Path:
    """Where a training run keeps its checkpoints, samples and finished model (one folder per model name)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "my-generator"
    return paths.data_dir() / "training" / slug


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA …"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"ETA {h}:{m:02d}:{s:02d}" if h else f"ETA {m}:{s:02d}"


class TrainArtPanel(QWidget):
    start_requested = Signal(object)  # TrainArtSpec (carrying its TrainControl)
    cancel_requested = Signal()
    error = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.control: TrainControl | None = None
        self._folder_ok = False
        self._last_step = 0
        self._last: TrainUpdate | None = None
        self._report = ""

        setup = QGroupBox("Train a generator on your images")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText(f"a folder of {MIN_IMAGES} or more images (or drop one here)")
        self.folder.textChanged.connect(self._folder_changed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.folder_info = QLabel()
        self.folder_info.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setPlaceholderText("model name (default: the folder's name)")
        self.name.textChanged.connect(self._update_resume)
        self.family = QComboBox()
        for family in FAMILIES:
            self.family.addItem(FAMILY_LABELS[family], family)
        self.family.setCurrentIndex(FAMILIES.index("gan"))
        self.preset = QComboBox()
        for preset in PRESETS.values():
            self.preset.addItem(preset.label, preset.name)
        self.preset.setCurrentIndex(list(PRESETS).index("tiny"))
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.steps = QSpinBox()
        self.steps.setRange(10, 1_000_000)
        self.steps.setSingleStep(500)
        self.device = QComboBox()
        fill_device_combo(self.device, auto_label="Automatic (CUDA when present)")
        self.resume = QCheckBox("Continue the previous run of this model")
        self.resume.setToolTip("Start from the last checkpoint instead of from scratch")
        form = QFormLayout(setup)
        form.addRow("Folder", folder_row)
        form.addRow("Name", self.name)
        form.addRow("Family", self.family)
        form.addRow("Size", self.preset)
        form.addRow("Steps", self.steps)
        form.addRow("Device", self.device)
        form.addRow(self.resume)

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Start training (Ctrl+Enter)")
        self.train_button.clicked.connect(self.start)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.start, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.stop_button = QPushButton("Stop && keep")
        self.stop_button.setToolTip("Finish now and keep the model as it is")
        self.stop_button.clicked.connect(self.stop)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Abandon this run; its last checkpoint stays, so it can be continued later")
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.stop_button, self.cancel_button):
            buttons.addWidget(b)

        self.progress = QProgressBar()
        self.status = QLabel("Not training")
        self.status.setWordWrap(True)
        self.grid = QLabel()
        self.grid.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid.setMinimumSize(GRID_PX, GRID_PX)
        self.grid.setText("samples appear here while training")
        self.grid.setToolTip("The same 16 seeds every time, so you can watch them take shape")
        self.losses = LossPlot()

        layout = QVBoxLayout(self)
        layout.addWidget(setup)
        layout.addWidget(self.folder_info)  # outside the form: a wrapped label gets its full height here
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.losses)

        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._preset_changed()
        self._folder_changed()
        self._set_running(False)

    # ----- setup ---------------------------------------------------------------------------------
    def browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of training images", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) == 1 and Path(urls[0].toLocalFile()).is_dir():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.folder.setText(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()

    def _preset_changed(self, *_: object) -> None:
        self.steps.setValue(PRESETS[self.preset.currentData()].steps)

    def _folder_changed(self, *_: object) -> None:
        text = self.folder.text().strip()
        self._folder_ok = False
        if not text:
            self.folder_info.setText("")
        elif not Path(text).is_dir():
            self.folder_info.setText("That folder does not exist.")
        else:
            count, labels = count_images(Path(text))
            if count < MIN_IMAGES:
                self.folder_info.setText(
                    f"Only {count} image file(s) here; a generator needs at least {MIN_IMAGES} "
                    "(a few hundred is better). Add more images, or pick a larger folder.")
            else:
                self._folder_ok = True
                words = (f" Subfolders become prompt words: {', '.join(labels[:8])}"
                         f"{' …' if len(labels) > 8 else ''}." if labels else
                         " No subfolders, so the model takes no prompt (put images in subfolders to name them).")
                self.folder_info.setText(f"{count} image files.{words} Sizes may differ: each is centre-cropped "
                                         "to a square.")
        self._set_running(self.control is not None)

    def model_name(self) -> str:
        return self.name.text().strip() or Path(self.folder.text().strip() or "my generator").name

    def _update_resume(self, *_: object) -> None:
        has_checkpoint = any(work_dir_for(self.model_name()).glob("checkpoint*"))
        self.resume.setEnabled(has_checkpoint)
        if not has_checkpoint:
            self.resume.setChecked(False)

    def build_spec(self) -> TrainArtSpec:
        return TrainArtSpec(data_dir=self.folder.text().strip(), out_dir=str(work_dir_for(self.model_name())),
                            name=self.model_name(), family=self.family.currentData(),
                            preset=self.preset.currentData(), steps=self.steps.value(),
                            device=self.device.currentData(), resume=self.resume.isChecked(),
                            sample_every=max(10, min(200, self.steps.value() // 40)), control=TrainControl())

    # ----- running -------------------------------------------------------------------------------
    def start(self) -> None:
        if self.control is not None:
            return
        if not self._folder_ok:
            self.error.emit("Cannot train", self.folder_info.text() or "Choose a folder of training images first.")
            return
        try:
            spec = self.build_spec()
        except ValueError as exc:
            self.error.emit("Cannot train", str(exc))
            return
        self.control = spec.control
        self._last_step = 0
        self._last = None
        self._report = ""
        self.losses.clear()
        self.progress.setValue(0)
        self.status.setText("Starting: reading and checking the images…")
        self._set_running(True)
        self._timer.start()
        self.start_requested.emit(spec)

    def stop(self) -> None:
        if self.control is not None:
            self.control.stop()
            self.status.setText("Stopping: finishing the current step and writing the model…")

    def _pause_toggled(self, paused: bool) -> None:
        if self.control is None:
            return
        if paused:
            self.control.pause()
            self.pause_button.setText("Resume")
        else:
            self.control.resume()
            self.pause_button.setText("Pause")
        self._show_status()

    def poll(self) -> None:
        """Take the trainer's new updates: the last grid, every loss point, the latest step and ETA."""
        if self.control is None:
            return
        updates = self.control.drain()
        for update in updates:
            self.apply_update(update)
        if not updates and self.control.paused:
            self._show_status()

    def apply_update(self, update: TrainUpdate) -> None:
        self._last = update
        self._last_step = update.step
        if update.message and not update.message.startswith("step "):  # news, e.g. the data report: keep it
            self._report = update.message
        if update.losses:
            self.losses.add(update.step, update.losses)
        if update.samples is not None:
            self.show_grid(update.samples)
        self.progress.setRange(0, max(1, update.total_steps))
        self.progress.setValue(update.step)
        self._show_status()

    def _show_status(self) -> None:
        update = self._last
        if update is None or self.control is None:
            return
        losses = " ".join(f"{k} {v:.3g}" for k, v in update.losses.items())
        speed = f"{update.step / update.elapsed_s:.1f} steps/s · " if update.elapsed_s > 0 and update.step else ""
        state = "Paused · " if self.control.paused else ""
        extra = f"\n{self._report}" if self._report else ""
        self.status.setText(f"{state}step {update.step}/{update.total_steps} · {losses} · {speed}"
                            f"{format_eta(update.eta_s)}{extra}")

    def show_grid(self, grid: np.ndarray) -> None:
        grid = np.ascontiguousarray(grid[..., :3], dtype=np.uint8)
        h, w = grid.shape[:2]
        image = QImage(grid.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        scale = max(1.0, GRID_PX / max(h, w))  # nearest-neighbour zoom keeps small samples crisp
        self.grid.setPixmap(QPixmap.fromImage(image).scaled(round(w * scale), round(h * scale),
                                                            Qt.AspectRatioMode.KeepAspectRatio,
                                                            Qt.TransformationMode.FastTransformation))

    def finished(self, message: str) -> None:
        """The job ended (done, failed or cancelled): collect the last updates and re-enable the setup."""
        self.poll()
        self._timer.stop()
        self.control = None
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pause")
        self.status.setText(message)
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running and self._folder_ok)
        for w in (self.pause_button, self.stop_button, self.cancel_button):
            w.setEnabled(running)
        for w in (self.folder, self.name, self.family, self.preset, self.steps, self.device):
            w.setEnabled(not running)
        if running:
            self.resume.setEnabled(False)
        else:
            self._update_resume()
