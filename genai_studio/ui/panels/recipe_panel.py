"""The Recipe panel: chain restoration steps (e.g. scratches → denoise → colorize → upscale), reorder and
toggle them, save/load them as JSON, and apply them to the image (RecipeSpec) or a folder (RecipeBatchSpec).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QStyle, QToolButton, QTreeWidget,
    QTreeWidgetItem, QVBoxLayout, QWidget,
)

from genai_studio.core.errors import StudioError
from genai_studio.core.media import ImageBuffer
from genai_studio.core.restore_jobs import (
    CLASSICAL, RECIPE_TASKS, BatchReport, Recipe, RecipeBatchSpec, RecipeSpec, RecipeStep, loads_recipe,
)
from genai_studio.mediaio.atomic import atomic_writer
from genai_studio.ui.panels.restore_panel import (
    CLASSICAL_LABEL, CLASSICAL_TASKS, TASK_LABELS, RestoreModelChoice, percent_slider, slider_row,
)
from genai_studio.ui.panels.upscale_panel import UpscaleModelChoice

RECIPE_FILTER = "Recipes (*.json);;All files (*)"
STEP_LABELS = {**TASK_LABELS, "inpaint": "Fill masked area", "scratches": "Remove scratches", "upscale": "Upscale"}
QUALITY_LABELS = {"perceptual": "Sharp", "fidelity": "Faithful"}
_TASK_ROLE = Qt.ItemDataRole.UserRole
_SETTINGS_ROLE = Qt.ItemDataRole.UserRole + 1
_ROW_STRENGTH, _ROW_SENSITIVITY, _ROW_SCALE, _ROW_LOOK = 1, 2, 3, 4  # rows of the step settings form


def default_settings(task: str) -> dict:
    """A new step's settings: full strength, x4 sharp upscale, medium scratch sensitivity."""
    return {
        "denoise": {"strength": 1.0}, "jpeg": {"strength": 1.0}, "inpaint": {}, "colorize": {"strength": 1.0},
        "scratches": {"strength": 1.0, "sensitivity": 0.5}, "upscale": {"scale": 4, "quality": "perceptual"},
    }[task]


def describe_step(task: str, settings: dict) -> str:
    """e.g. "Denoise · 60 %", "Upscale · x4 Faithful"."""
    parts = []
    if task == "upscale":
        parts.append(f"x{settings.get('scale', 4)} {QUALITY_LABELS[settings.get('quality', 'perceptual')]}")
    elif "strength" in settings:
        parts.append(f"{round(settings['strength'] * 100)} %")
    if "sensitivity" in settings:
        parts.append(f"sensitivity {round(settings['sensitivity'] * 100)} %")
    if settings.get("model_id"):
        parts.append("classical" if settings["model_id"] == CLASSICAL else settings["model_id"])
    return " · ".join([STEP_LABELS[task], *parts])


class RecipePanel(QWidget):
    """Emits ``submit_requested(spec)`` with a RecipeSpec (active image) or RecipeBatchSpec (a folder)."""

    submit_requested = Signal(object)
    error = Signal(str, str)

    def __init__(self, models: dict[str, list[RestoreModelChoice]], upscalers: list[UpscaleModelChoice],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models = models
        self._upscalers = upscalers
        self._last_dir = ""
        self._filling = False  # True while the settings widgets are loaded from a step
        # Providers the window sets: the target image and the current mask values ((H, W) uint8 or None).
        self.image_provider: Callable[[], ImageBuffer | None] = lambda: None
        self.mask_provider: Callable[[], object] = lambda: None
        self.device = "auto"

        self.name_edit = QLineEdit("recipe")
        self.steps = QListWidget()
        self.steps.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.steps.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.steps.setToolTip("Steps run top to bottom, each on the previous result; untick to skip a step, "
                              "drag to reorder")
        self.steps.currentItemChanged.connect(lambda *_: self._load_settings())
        self.steps.itemChanged.connect(self._show_enabled)
        self.add_combo = QComboBox()
        for task in RECIPE_TASKS:
            self.add_combo.addItem(STEP_LABELS[task], task)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(lambda: self.add_step(self.add_combo.currentData()))
        self.remove_button = self._tool(QStyle.StandardPixmap.SP_TrashIcon, "Remove the selected step",
                                        self.remove_step)
        self.up_button = self._tool(QStyle.StandardPixmap.SP_ArrowUp, "Move the step up", lambda: self.move_step(-1))
        self.down_button = self._tool(QStyle.StandardPixmap.SP_ArrowDown, "Move the step down",
                                      lambda: self.move_step(+1))
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_combo, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.up_button)
        add_row.addWidget(self.down_button)
        add_row.addWidget(self.remove_button)

        self.use_mask = QCheckBox("Use the mask")
        self.use_mask.setToolTip("Give the canvas mask to the steps that use one (Fill needs it)")
        self.save_button, self.load_button = QPushButton("Save…"), QPushButton("Load…")
        self.save_button.clicked.connect(self.save_dialog)
        self.load_button.clicked.connect(self.load_dialog)
        self.apply_button = QPushButton("Apply to image")
        self.apply_button.setToolTip("Run the ticked steps on the active layer; each step's result becomes a layer")
        self.apply_button.clicked.connect(self.apply_to_image)
        self.batch_button = QPushButton("Apply to folder…")
        self.batch_button.setToolTip("Run the recipe on every image in a folder, writing the results to another")
        self.batch_button.clicked.connect(self.apply_to_folder_dialog)
        files = QHBoxLayout()
        files.addWidget(self.save_button)
        files.addWidget(self.load_button)
        run = QHBoxLayout()
        run.addWidget(self.apply_button, 1)
        run.addWidget(self.batch_button, 1)

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.steps, 1)
        layout.addLayout(add_row)
        layout.addWidget(self._settings_box())
        layout.addWidget(self.use_mask)
        layout.addLayout(files)
        layout.addLayout(run)
        self._load_settings()

    def _tool(self, icon: QStyle.StandardPixmap, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(self.style().standardIcon(icon))
        button.setToolTip(tip)
        button.clicked.connect(lambda: slot())
        return button

    def _settings_box(self) -> QGroupBox:
        self.settings_box = QGroupBox("Step settings")
        self.model_combo = QComboBox()
        self.strength, strength_label = percent_slider(100, "0 % leaves the image unchanged")
        self.sensitivity, sensitivity_label = percent_slider(50, "Higher finds fainter scratches (and more "
                                                                 "false ones)")
        self.scale_combo = QComboBox()
        for scale in (2, 3, 4):
            self.scale_combo.addItem(f"x{scale}", scale)
        self.quality_combo = QComboBox()
        for quality, label in QUALITY_LABELS.items():
            self.quality_combo.addItem(label, quality)
        self.quality_combo.setToolTip("Faithful: stays true to the source; Sharp: crisper, may invent texture")
        self.settings_form = form = QFormLayout(self.settings_box)
        form.addRow("Model", self.model_combo)
        form.addRow("Strength", slider_row(self.strength, strength_label))
        form.addRow("Sensitivity", slider_row(self.sensitivity, sensitivity_label))
        form.addRow("Scale", self.scale_combo)
        form.addRow("Look", self.quality_combo)
        self.quality_combo.currentIndexChanged.connect(self._on_quality_changed)
        for signal in (self.model_combo.currentIndexChanged, self.strength.valueChanged,
                       self.sensitivity.valueChanged, self.scale_combo.currentIndexChanged):
            signal.connect(self._store_settings)
        return self.settings_box

    # ----- the step list -------------------------------------------------------------------------
    def add_step(self, task: str, settings: dict | None = None, enabled: bool = True) -> QListWidgetItem:
        item = QListWidgetItem()
        item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                      | Qt.ItemFlag.ItemIsDragEnabled)
        item.setData(_TASK_ROLE, task)
        item.setData(_SETTINGS_ROLE, dict(default_settings(task) if settings is None else settings))
        item.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
        item.setText(describe_step(task, item.data(_SETTINGS_ROLE)))
        self.steps.addItem(item)
        self._show_enabled(item)
        self.steps.setCurrentItem(item)
        return item

    def _show_enabled(self, item: QListWidgetItem) -> None:
        """Skipped steps are greyed and italic: the theme's unticked box is hard to see on a dark list."""
        enabled = item.checkState() == Qt.CheckState.Checked
        font = item.font()
        if font.italic() == enabled:
            font.setItalic(not enabled)
            item.setFont(font)
            role = QPalette.ColorRole.Text if enabled else QPalette.ColorRole.PlaceholderText
            item.setForeground(self.steps.palette().color(role))
            item.setToolTip("" if enabled else "Skipped: tick to run this step")

    def remove_step(self) -> None:
        row = self.steps.currentRow()
        if row >= 0:
            self.steps.takeItem(row)
            self._load_settings()

    def move_step(self, delta: int) -> None:
        row = self.steps.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.steps.count():
            return
        item = self.steps.takeItem(row)
        self.steps.insertItem(target, item)
        self.steps.setCurrentItem(item)

    def set_recipe(self, recipe: Recipe) -> None:
        self.steps.clear()
        self.name_edit.setText(recipe.name)
        for step in recipe.steps:
            self.add_step(step.task, step.settings, step.enabled)
        self.steps.setCurrentRow(0)

    def build_recipe(self) -> Recipe:
        steps = []
        for row in range(self.steps.count()):
            item = self.steps.item(row)
            steps.append(RecipeStep(item.data(_TASK_ROLE), dict(item.data(_SETTINGS_ROLE)),
                                    item.checkState() == Qt.CheckState.Checked))
        return Recipe(tuple(steps), self.name_edit.text().strip() or "recipe")

    def set_models(self, models: dict[str, list[RestoreModelChoice]], upscalers: list[UpscaleModelChoice]) -> None:
        """After the installed models changed: list the new ones (each step keeps the model it names)."""
        self._models, self._upscalers = models, upscalers
        self._load_settings()

    # ----- per-step settings ---------------------------------------------------------------------
    def _fill_models(self, task: str, quality: str) -> None:
        self.model_combo.clear()
        self.model_combo.addItem("Default", "")
        if task == "upscale":
            for model in self._upscalers:
                if model.quality == quality:
                    self.model_combo.addItem(model.name, model.id)
        else:
            for model in self._models.get(task, []):
                self.model_combo.addItem(model.name, model.id)
            if task in CLASSICAL_TASKS:
                self.model_combo.addItem(CLASSICAL_LABEL, CLASSICAL)

    def _load_settings(self) -> None:
        """Show the selected step's settings (only the rows that apply to its task)."""
        item = self.steps.currentItem()
        self.settings_box.setEnabled(item is not None)
        for button in (self.remove_button, self.up_button, self.down_button):
            button.setEnabled(item is not None)
        if item is None:
            return
        task, settings = item.data(_TASK_ROLE), item.data(_SETTINGS_ROLE)
        self._filling = True
        try:
            self.settings_box.setTitle(f"Step {self.steps.row(item) + 1}: {STEP_LABELS[task]}")
            quality = settings.get("quality", "perceptual")
            self.quality_combo.setCurrentIndex(self.quality_combo.findData(quality))
            self._fill_models(task, quality)
            index = self.model_combo.findData(settings.get("model_id", ""))
            if index < 0:  # a model this machine lacks (recipe from elsewhere): keep it, shown by id
                self.model_combo.addItem(settings["model_id"], settings["model_id"])
                index = self.model_combo.count() - 1
            self.model_combo.setCurrentIndex(index)
            self.strength.setValue(round(settings.get("strength", 1.0) * 100))
            self.sensitivity.setValue(round(settings.get("sensitivity", 0.5) * 100))
            self.scale_combo.setCurrentIndex(self.scale_combo.findData(settings.get("scale", 4)))
            rows = {_ROW_STRENGTH: task not in ("inpaint", "upscale"), _ROW_SENSITIVITY: task == "scratches",
                    _ROW_SCALE: task == "upscale", _ROW_LOOK: task == "upscale"}
            for row, visible in rows.items():
                self.settings_form.setRowVisible(row, visible)
        finally:
            self._filling = False

    def _on_quality_changed(self) -> None:
        item = self.steps.currentItem()
        if self._filling or item is None:
            return
        self._filling = True
        self._fill_models(item.data(_TASK_ROLE), self.quality_combo.currentData())
        self._filling = False
        self._store_settings()

    def _store_settings(self) -> None:
        item = self.steps.currentItem()
        if self._filling or item is None:
            return
        task = item.data(_TASK_ROLE)
        settings: dict = {}
        if self.model_combo.currentData():
            settings["model_id"] = self.model_combo.currentData()
        if task in ("denoise", "jpeg", "scratches", "colorize"):
            settings["strength"] = self.strength.value() / 100
        if task == "scratches":
            settings["sensitivity"] = self.sensitivity.value() / 100
        if task == "upscale":
            settings["scale"] = self.scale_combo.currentData()
            settings["quality"] = self.quality_combo.currentData()
        item.setData(_SETTINGS_ROLE, settings)
        item.setText(describe_step(task, settings))

    # ----- files ---------------------------------------------------------------------------------
    def save_dialog(self) -> None:
        suggested = str(Path(self._last_dir or ".") / f"{self.build_recipe().name}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save Recipe", suggested, RECIPE_FILTER)
        if path:
            self.save(path if Path(path).suffix else path + ".json")

    def save(self, path: str) -> bool:
        recipe = self.build_recipe()
        if not recipe.steps:
            self.error.emit("Nothing to save", "Add at least one step to the recipe.")
            return False
        try:
            with atomic_writer(path) as out:
                out.write(recipe.dumps().encode("utf-8"))
        except OSError as exc:
            self.error.emit("Could not save the recipe", f"{Path(path).name} could not be written: {exc.strerror}.")
            return False
        self._last_dir = str(Path(path).parent)
        return True

    def load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load Recipe", self._last_dir, RECIPE_FILTER)
        if path:
            self.load(path)

    def load(self, path: str) -> bool:
        """Replace the steps with a recipe file's; a bad file leaves them as they were and names the bad step."""
        file = Path(path)
        self._last_dir = str(file.parent)
        try:
            recipe = loads_recipe(file.read_text(encoding="utf-8"), name=file.name)
        except OSError as exc:
            self.error.emit("Could not load the recipe", f"{file.name} could not be read: {exc.strerror}.")
            return False
        except UnicodeDecodeError:
            self.error.emit("Could not load the recipe", f"{file.name} is not a text (JSON) file.")
            return False
        except StudioError as exc:
            self.error.emit("Could not load the recipe", exc.message)
            return False
        self.set_recipe(recipe)
        return True

    # ----- running -------------------------------------------------------------------------------
    def build_spec(self) -> RecipeSpec:
        image = self.image_provider()
        if image is None:
            raise ValueError("Open, drop or paste an image first.")
        recipe = self.build_recipe()
        mask = self.mask_provider() if self.use_mask.isChecked() else None
        if self.use_mask.isChecked() and mask is None:
            raise ValueError("There is no mask yet: turn on the mask tool (M) and brush over the area first.")
        for number, step in enumerate(recipe.steps, start=1):
            if step.enabled and step.task == "inpaint" and mask is None:
                raise ValueError(f"Step {number} ({STEP_LABELS['inpaint']}) needs a mask: brush one and tick "
                                 "“Use the mask”.")
        return RecipeSpec(image=image, recipe=recipe, mask=mask, device=self.device)

    def apply_to_image(self) -> None:
        try:
            spec = self.build_spec()
        except ValueError as exc:
            self.error.emit("Cannot apply the recipe", str(exc))
            return
        self.submit_requested.emit(spec)

    def apply_to_folder_dialog(self) -> None:
        source = QFileDialog.getExistingDirectory(self, "Folder of Images to Process", self._last_dir)
        if not source:
            return
        target = QFileDialog.getExistingDirectory(self, "Folder for the Results", str(Path(source).parent))
        if target:
            self.apply_to_folder(source, target)

    def apply_to_folder(self, source: str, target: str) -> bool:
        if Path(source).resolve() == Path(target).resolve():
            self.error.emit("Cannot apply the recipe", "Choose a different folder for the results: writing into "
                                                       "the input folder would replace the originals.")
            return False
        for number, step in enumerate(self.build_recipe().steps, start=1):
            if step.enabled and step.task == "inpaint":
                self.error.emit("Cannot apply the recipe", f"Step {number} ({STEP_LABELS['inpaint']}) needs a "
                                "painted mask, so it cannot run on a folder; untick it first.")
                return False
        try:
            spec = RecipeBatchSpec(input_dir=source, output_dir=target, recipe=self.build_recipe(),
                                   device=self.device)
        except ValueError as exc:
            self.error.emit("Cannot apply the recipe", str(exc))
            return False
        self._last_dir = source
        self.submit_requested.emit(spec)
        return True


class BatchReportDialog(QDialog):
    """What a folder run did: how many files were written, and each failure with its reason."""

    def __init__(self, report: BatchReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recipe applied to folder")
        spec = report.spec
        total = len(report.written) + len(report.failed)
        out_dir = getattr(spec, "output_dir", "")
        self.summary = QLabel(f"{len(report.written)} of {total} image(s) processed in {report.seconds:.1f} s; "
                              f"results are in {out_dir}.")
        self.summary.setWordWrap(True)
        self.failures = QTreeWidget()
        self.failures.setHeaderLabels(["File", "Problem"])
        self.failures.setRootIsDecorated(False)
        for path, message in report.failed:
            row = QTreeWidgetItem([Path(path).name, message])
            row.setToolTip(0, path)
            row.setToolTip(1, message)
            self.failures.addTopLevelItem(row)
        self.failures.resizeColumnToContents(0)
        self.failures.setVisible(bool(report.failed))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        if report.failed:
            layout.addWidget(QLabel(f"{len(report.failed)} image(s) could not be processed:"))
        layout.addWidget(self.failures, 1)
        layout.addWidget(buttons)
        self.resize(640, 360 if report.failed else 120)
