"""The Generate panel: prompt, seed, count, temperature, guidance → a grid of results; any result → a canvas layer.

Results are shown as thumbnails in the panel (a 16-image grid would be too many layers); double-click one, or
select several and press "Add to canvas", to make them layers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from genai_studio.core.art_generate_jobs import (
    DEFAULT_GENERATOR, GUIDANCE_RANGE, MAX_COUNT, TEMPERATURE_RANGE, GenerateResult, GenerateSpec, LatentWalkSpec,
)
from genai_studio.core.media import ImageBuffer
from genai_studio.ui.canvas.qimage import thumbnail

THUMB_PX = 96


@dataclass(frozen=True)
class GeneratorChoice:
    """One generator in the Model box: built-in or trained here."""

    model_id: str
    name: str
    vocabulary: tuple[str, ...] = ()  # prompt words it knows; empty = unconditional
    description: str = ""
    guidance: float = 1.0  # the model's own default prompt strength


def generator_choices(entries) -> list[GeneratorChoice]:
    """Model-store entries of task "generate" → choices, built-in first (the store's order)."""
    out = []
    for e in entries:
        defaults = e.manifest.defaults if isinstance(e.manifest.defaults, dict) else {}
        vocab = defaults.get("vocabulary", [])
        out.append(GeneratorChoice(e.id, e.name, tuple(str(w) for w in vocab), e.manifest.description,
                                   float(defaults.get("guidance", 1.0))))
    return out


class GeneratePanel(QWidget):
    submit_requested = Signal(object)  # GenerateSpec
    add_to_canvas = Signal(object)  # list[ImageBuffer]
    error = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images: list[ImageBuffer] = []
        self.result_spec: dict | None = None  # the job that made the shown images (JSON), for provenance
        self.device = "auto"  # the window sets the Preferences device
        box = QGroupBox("Generate")
        self.model = QComboBox()
        self.model.setToolTip("Which generator draws: the built-ins, or one you trained (Image ▸ Train Generator on a Folder…)")
        self.model.currentIndexChanged.connect(self._model_changed)
        self._choices: list[GeneratorChoice] = []
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("words from emoji names, e.g. smiling cat face, red heart, rocket")
        self.prompt.returnPressed.connect(self.generate)
        self.count = QSpinBox()
        self.count.setRange(1, MAX_COUNT)
        self.count.setValue(16)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(*TEMPERATURE_RANGE)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(1.0)
        self.temperature.setToolTip("0 gives the prompt's average image; higher is more varied")
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(*GUIDANCE_RANGE)
        self.guidance.setSingleStep(0.25)
        self.guidance.setValue(1.0)
        self.guidance.setToolTip("Above 1 follows the prompt more strongly; 0 ignores it")
        self.size = QSpinBox()
        self.size.setRange(64, 1024)
        self.size.setSingleStep(64)
        self.size.setValue(256)
        self.size.setSuffix(" px")
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.next_seed = QPushButton("New seed")
        self.next_seed.clicked.connect(lambda: (self.seed.setValue(self.seed.value() + 1), self.generate()))
        form = QFormLayout(box)
        form.addRow("Model", self.model)
        form.addRow("Prompt", self.prompt)
        form.addRow("Count", self.count)
        form.addRow("Seed", self.seed)
        form.addRow("Temperature", self.temperature)
        form.addRow("Guidance", self.guidance)
        form.addRow("Size", self.size)
        form.addRow(self.generate_button)
        form.addRow(self.next_seed)

        self.results = QListWidget()
        self.results.setViewMode(QListWidget.ViewMode.IconMode)
        self.results.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.results.itemDoubleClicked.connect(lambda item: self.add_to_canvas.emit([self._image(item)]))
        self.results.itemSelectionChanged.connect(self._sync_buttons)
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.add_button = QPushButton("Add selected to canvas")
        self.add_button.clicked.connect(self.add_selected)
        self.vary_button = QPushButton("Variations of selected")
        self.vary_button.setToolTip("New images near the selected one (Spread sets how near)")
        self.vary_button.clicked.connect(self.vary_selected)
        self.spread = QDoubleSpinBox()
        self.spread.setRange(0.0, 3.0)
        self.spread.setSingleStep(0.1)
        self.spread.setValue(0.5)
        self.spread.setPrefix("Spread ")
        self.walk_button = QPushButton("Walk between two selected")
        self.walk_button.clicked.connect(self.walk_selected)
        self.steps = QSpinBox()
        self.steps.setRange(2, 64)
        self.steps.setValue(8)
        self.steps.setSuffix(" steps")
        self.gif_button = QPushButton("Save results as GIF…")
        self.gif_button.clicked.connect(self.save_gif_dialog)
        self.frames_button = QPushButton("Save results as frames…")
        self.frames_button.setToolTip("Every shown result as a numbered PNG (frame-001.png …) in a folder")
        self.frames_button.clicked.connect(self.save_frames_dialog)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(self.words)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.add_button)
        vary_row, walk_row = QHBoxLayout(), QHBoxLayout()
        vary_row.addWidget(self.vary_button, 1)
        vary_row.addWidget(self.spread)
        walk_row.addWidget(self.walk_button, 1)
        walk_row.addWidget(self.steps)
        layout.addLayout(vary_row)
        layout.addLayout(walk_row)
        export_row = QHBoxLayout()
        export_row.addWidget(self.gif_button)
        export_row.addWidget(self.frames_button)
        layout.addLayout(export_row)
        self._sync_buttons()

    def set_models(self, choices: list[GeneratorChoice]) -> None:
        """Fill the Model box, keeping the current choice when it is still there."""
        current = self.model.currentData()  # None before the first fill
        self._choices = list(choices)
        self.model.blockSignals(True)
        self.model.clear()
        for c in self._choices:
            self.model.addItem(c.name, c.model_id)
            self.model.setItemData(self.model.count() - 1, c.description, Qt.ItemDataRole.ToolTipRole)
        index = max(0, self.model.findData(current))
        self.model.setCurrentIndex(index)
        self.model.blockSignals(False)
        if self.model.currentData() != current:  # a refresh that keeps the model keeps the user's settings
            self._model_changed()

    @property
    def model_id(self) -> str:
        return self.model.currentData() or DEFAULT_GENERATOR

    def _model_changed(self, *_: object) -> None:
        choice = next((c for c in self._choices if c.model_id == self.model_id), None)
        if choice is None:
            return
        self.guidance.setValue(choice.guidance)
        if choice.vocabulary:
            sample = ", ".join(choice.vocabulary[:6])
            self.prompt.setPlaceholderText(f"words this model knows, e.g. {sample}")
            self.prompt.setToolTip(f"{len(choice.vocabulary)} known words: {', '.join(choice.vocabulary[:60])}"
                                   + (" …" if len(choice.vocabulary) > 60 else ""))
        else:
            self.prompt.setPlaceholderText("this model takes no prompt: leave empty")
            self.prompt.setToolTip("Trained without labels, so it draws from everything it saw.")

    def build_spec(self) -> GenerateSpec:
        return GenerateSpec(model_id=self.model_id, prompt=self.prompt.text(), count=self.count.value(),
                            seed=self.seed.value(), temperature=self.temperature.value(),
                            guidance=self.guidance.value(), size=self.size.value(), device=self.device)

    def generate(self) -> None:
        try:
            spec = self.build_spec()
        except ValueError as exc:
            self.error.emit("Cannot generate", str(exc))
            return
        self.submit_requested.emit(spec)

    def show_result(self, result: GenerateResult) -> None:
        """Replace the thumbnails with ``result``'s images and say which prompt words were used or unknown."""
        self._images = list(result.images)
        self.result_spec = result.spec.to_json()
        self.results.clear()
        for i, image in enumerate(self._images):
            item = QListWidgetItem(QIcon(QPixmap.fromImage(thumbnail(image, THUMB_PX))), str(i + 1))
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.results.addItem(item)
        self._sync_buttons()
        parts = [f"Used: {', '.join(result.used_words) or 'no prompt words'}"]
        if result.unknown_words:
            parts.append(f"Unknown (ignored): {', '.join(result.unknown_words)}")
        self.words.setText(" · ".join(parts))

    def add_selected(self) -> None:
        chosen = [self._image(item) for item in self.results.selectedItems()]
        if not chosen:
            self.error.emit("Nothing selected", "Select one or more generated images first.")
            return
        self.add_to_canvas.emit(chosen)

    def vary_selected(self) -> None:
        chosen = [self._image(item) for item in self.results.selectedItems()]
        if len(chosen) != 1:
            self.error.emit("Cannot make variations", "Select exactly one image to make variations of.")
            return
        try:
            spec = replace(self.build_spec(), around=chosen[0], spread=self.spread.value())
        except ValueError as exc:
            self.error.emit("Cannot make variations", str(exc))
            return
        self.submit_requested.emit(spec)

    def walk_selected(self) -> None:
        chosen = [self._image(item) for item in self.results.selectedItems()]
        if len(chosen) != 2:
            self.error.emit("Cannot walk", "Select exactly two images to walk between.")
            return
        try:
            spec = LatentWalkSpec(a=chosen[0], b=chosen[1], prompt=self.prompt.text(), steps=self.steps.value(),
                                  size=self.size.value(), model_id=self.model_id, device=self.device)
        except ValueError as exc:
            self.error.emit("Cannot walk", str(exc))
            return
        self.submit_requested.emit(spec)

    def save_gif(self, path: str) -> bool:
        """All shown results, in order, as a looping GIF (a walk plays there and back)."""
        from genai_studio.mediaio.animation import save_gif

        return self._export(save_gif, path, "Cannot save the GIF")

    def save_gif_dialog(self) -> None:
        if len(self._images) < 2:
            self.error.emit("Nothing to animate", "Generate or walk first: a GIF needs at least two images.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save GIF", "walk.gif", "GIF animation (*.gif)")
        if path:
            self.save_gif(path)

    def save_frames(self, folder: str) -> bool:
        """All shown results as numbered PNGs in ``folder``, each carrying the job that made them."""
        from genai_studio.mediaio.animation import save_frames

        def write(images, target):
            return save_frames(images, target, provenance=self.result_spec)

        return self._export(write, folder, "Cannot save the frames")

    def _export(self, write, target: str, failure: str) -> bool:
        """``write(images, target)``; a failure becomes an error message instead of an exception."""
        from genai_studio.core.errors import StudioError

        try:
            write(self._images, target)
        except StudioError as exc:
            self.error.emit(failure, exc.message)
            return False
        except OSError as exc:  # "Read-only file system: /path", not "[Errno 30] …"
            self.error.emit(failure, f"{exc.strerror or exc}: {exc.filename or target}")
            return False
        return True

    def save_frames_dialog(self) -> None:
        if not self._images:
            self.error.emit("Nothing to save", "Generate or walk first.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Save frames into folder")
        if folder:
            self.save_frames(folder)

    def _sync_buttons(self) -> None:
        """Each result action is available only when it has something to work on."""
        selected = len(self.results.selectedItems())
        self.add_button.setEnabled(selected >= 1)
        self.vary_button.setEnabled(selected == 1)
        self.walk_button.setEnabled(selected == 2)
        self.gif_button.setEnabled(len(self._images) >= 2)
        self.frames_button.setEnabled(bool(self._images))

    def _image(self, item: QListWidgetItem) -> ImageBuffer:
        return self._images[int(item.data(Qt.ItemDataRole.UserRole))]

