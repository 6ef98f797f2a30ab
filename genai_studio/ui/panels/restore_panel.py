"""The Restore panel: denoise, JPEG cleanup, fill (inpaint), scratches and colorize → a RestoreSpec,
plus the mask tools (brush/eraser, size, hardness, clear, invert, grow/shrink, import, show).

The image is the canvas's target image (the active layer, or the one the active mask belongs to); the mask
goes into the spec only when "Only inside the mask" is ticked (inpainting always needs one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QRadioButton,
    QSlider, QSpinBox, QVBoxLayout, QWidget,
)

from genai_studio.core.errors import StudioError
from genai_studio.core.restore_jobs import CLASSICAL, RESTORE_TASKS, RestoreSpec
from genai_studio.mediaio.images import IMAGE_FILE_FILTER, load_image
from genai_studio.ui.canvas.mask_tool import MaskTool

TASK_LABELS = {
    "denoise": "Denoise",
    "jpeg": "JPEG cleanup",
    "inpaint": "Fill masked area",
    "scratches": "Remove scratches (old photo)",
    "colorize": "Colorize (black & white photo)",
}
TASK_HINTS = {
    "denoise": "Removes sensor noise and grain. Lower the strength to keep some texture.",
    "jpeg": "Removes JPEG blocks and ringing around edges.",
    "inpaint": "Fills the masked area from its surroundings: brush over what should disappear.",
    "scratches": "Finds scratches, dust and cracks and fills them. Use Detect to see and edit what is found.",
    "colorize": "Adds plausible colour to a black & white photo; strength sets how saturated it is.",
}
CLASSICAL_LABEL = "Classical (no model)"
CLASSICAL_TASKS = ("denoise", "jpeg", "inpaint", "scratches")  # colorizing needs a learned model
TOOL_OFF_TEXT, TOOL_ON_TEXT = "Paint mask (M)", "Stop painting (M)"  # the theme barely shows a checked button
NO_MASK_MESSAGE = "There is no mask yet: turn on the mask tool (M) and brush over the area first."


@dataclass(frozen=True)
class RestoreModelChoice:
    id: str
    name: str
    description: str = ""


SENSITIVITY_ROW = 3  # in the Restore box's form: task, model, strength, sensitivity (scratches only), …


def percent_slider(value: int, tip: str) -> tuple[QSlider, QLabel]:
    """A 0–100 % horizontal slider and the label that shows its value."""
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 100)
    slider.setValue(value)
    slider.setToolTip(tip)
    label = QLabel(f"{value} %")
    label.setMinimumWidth(40)
    slider.valueChanged.connect(lambda v: label.setText(f"{v} %"))
    return slider, label


def slider_row(slider: QSlider, label: QLabel) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(slider, 1)
    row.addWidget(label)
    return row


class RestorePanel(QWidget):
    """Emits ``submit_requested(spec)`` for Run and ``detect_requested(spec)`` for Detect scratches."""

    submit_requested = Signal(object)  # RestoreSpec
    detect_requested = Signal(object)  # RestoreSpec(task="scratches"); the window turns its mask into a layer
    mask_tool_toggled = Signal(bool)
    error = Signal(str, str)

    def __init__(self, models: dict[str, list[RestoreModelChoice]], tool: MaskTool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models = models
        self.tool = tool
        self.editor = tool.editor
        self.device = "auto"
        self._last_dir = ""
        layout = QVBoxLayout(self)
        layout.addWidget(self._restore_box())
        layout.addWidget(self._mask_box())
        layout.addStretch(1)
        tool.settings_changed.connect(self._show_tool_settings)
        tool.active_changed.connect(self._show_tool_active)
        self.editor.state.layers_changed.connect(self._show_mask_state)
        self.editor.state.active_changed.connect(lambda _id: self._show_mask_state())
        self._on_task_changed()
        self._show_tool_settings()
        self._show_mask_state()

    # ----- building ------------------------------------------------------------------------------
    def _restore_box(self) -> QGroupBox:
        box = QGroupBox("Restore")
        self.task_combo = QComboBox()
        for task in RESTORE_TASKS:
            self.task_combo.addItem(TASK_LABELS[task], task)
        self.task_combo.currentIndexChanged.connect(self._on_task_changed)
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("Learned models restore more; the classical method needs no model")
        self.strength, self.strength_label = percent_slider(100, "0 % leaves the image unchanged, 100 % is the "
                                                                 "full effect")
        self.strength_name = QLabel("Strength")
        self.sensitivity, self.sensitivity_label = percent_slider(50, "Scratch detection: 0 % finds only obvious "
                                                                      "defects, 100 % faint ones too (and more "
                                                                      "texture by mistake)")
        self.only_mask = QCheckBox("Only inside the mask")
        self.only_mask.setToolTip("Apply only where the mask is painted; the rest stays untouched")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "dim")
        self.detect_button = QPushButton("Detect scratches")
        self.detect_button.setToolTip("Find scratches and dust and show them as a mask you can edit, then Fill")
        self.detect_button.clicked.connect(self.detect_scratches)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Restore the active layer; the result becomes a new layer (compare with \\)")
        self.run_button.clicked.connect(self.submit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.detect_button)
        buttons.addWidget(self.run_button, 1)
        form = QFormLayout(box)
        form.addRow("Task", self.task_combo)
        form.addRow("Model", self.model_combo)
        form.addRow(self.strength_name, slider_row(self.strength, self.strength_label))
        form.addRow("Sensitivity", slider_row(self.sensitivity, self.sensitivity_label))
        self._restore_form = form
        form.addRow(self.only_mask)
        form.addRow(self.hint)
        form.addRow(buttons)
        return box

    def _mask_box(self) -> QGroupBox:
        box = QGroupBox("Mask")
        self.tool_button = QPushButton(TOOL_OFF_TEXT)
        self.tool_button.setCheckable(True)
        self.tool_button.setToolTip("Paint on the canvas with the left button; Space+drag or the middle button pans")
        self.tool_button.toggled.connect(self._toggle_tool)
        self.brush_button, self.eraser_button = QRadioButton("Brush"), QRadioButton("Eraser")
        self.brush_button.setChecked(True)
        self.eraser_button.setToolTip("X switches between brush and eraser")
        self.eraser_button.toggled.connect(self.tool.set_erase)
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, 2000)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush diameter in image pixels ([ and ] on the canvas)")
        self.size_spin.valueChanged.connect(self.tool.set_size)
        self.hardness, self.hardness_label = percent_slider(70, "Soft edge … hard edge (Shift+[ and Shift+])")
        self.hardness.valueChanged.connect(lambda v: self.tool.set_hardness(v / 100))
        self.clear_button = QPushButton("Clear")
        self.invert_button = QPushButton("Invert")
        self.grow_spin = QSpinBox()
        self.grow_spin.setRange(1, 200)
        self.grow_spin.setValue(4)
        self.grow_spin.setSuffix(" px")
        self.grow_button, self.shrink_button = QPushButton("Grow"), QPushButton("Shrink")
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Use a picture of the same size as the mask: its alpha channel if it has "
                                      "transparency, otherwise its brightness (white = apply)")
        self.show_mask = QCheckBox("Show mask")
        self.show_mask.setChecked(True)
        self.clear_button.clicked.connect(lambda: self._mask_op(self.editor.clear))
        self.invert_button.clicked.connect(lambda: self._mask_op(self.editor.invert))
        self.grow_button.clicked.connect(lambda: self._mask_op(lambda: self.editor.grow(self.grow_spin.value())))
        self.shrink_button.clicked.connect(lambda: self._mask_op(lambda: self.editor.grow(-self.grow_spin.value())))
        self.import_button.clicked.connect(self.import_dialog)
        self.show_mask.toggled.connect(lambda on: self._mask_op(lambda: self.editor.set_visible(on)))

        mode = QHBoxLayout()
        mode.addWidget(self.tool_button, 1)
        mode.addWidget(self.brush_button)
        mode.addWidget(self.eraser_button)
        ops = QHBoxLayout()
        for button in (self.clear_button, self.invert_button, self.import_button):
            ops.addWidget(button)
        grow_row = QHBoxLayout()
        grow_row.addWidget(self.grow_spin)
        grow_row.addWidget(self.grow_button)
        grow_row.addWidget(self.shrink_button)
        form = QFormLayout(box)
        form.addRow(mode)
        form.addRow("Size", self.size_spin)
        form.addRow("Hardness", slider_row(self.hardness, self.hardness_label))
        form.addRow("Grow/shrink", grow_row)
        form.addRow(ops)
        form.addRow(self.show_mask)
        return box

    # ----- keeping widgets in step -----------------------------------------------------------------
    @property
    def task(self) -> str:
        return self.task_combo.currentData()

    def set_task(self, task: str) -> None:
        self.task_combo.setCurrentIndex(self.task_combo.findData(task))

    def set_models(self, models: dict[str, list[RestoreModelChoice]]) -> None:
        self._models = models
        self._on_task_changed()

    def _on_task_changed(self) -> None:
        task = self.task
        current = self.model_combo.currentData()
        self.model_combo.clear()
        for model in self._models.get(task, []):
            self.model_combo.addItem(model.name, model.id)
            self.model_combo.setItemData(self.model_combo.count() - 1, model.description, Qt.ItemDataRole.ToolTipRole)
        if task in CLASSICAL_TASKS:
            self.model_combo.addItem(CLASSICAL_LABEL, CLASSICAL)
            self.model_combo.setItemData(self.model_combo.count() - 1, "Non-learned method: fast, no model needed",
                                         Qt.ItemDataRole.ToolTipRole)
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(index, 0))
        has_model = self.model_combo.count() > 0
        self.run_button.setEnabled(has_model)
        self.strength_name.setText("Color strength" if task == "colorize" else "Strength")
        self.strength.setEnabled(task != "inpaint")
        self._restore_form.setRowVisible(SENSITIVITY_ROW, task == "scratches")
        needs_mask = task == "inpaint"
        self.only_mask.setEnabled(not needs_mask)
        if needs_mask:
            self.only_mask.setChecked(True)
        self.run_button.setText("Fill" if needs_mask else "Run")
        missing = "" if has_model else " No model for this is installed yet: import one in Models ▸ Model Manager."
        self.hint.setText(TASK_HINTS[task] + missing)

    def _show_tool_settings(self) -> None:
        settings = ((self.size_spin, round(self.tool.size)), (self.hardness, round(self.tool.hardness * 100)))
        for widget, value in settings:
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.hardness_label.setText(f"{self.hardness.value()} %")
        (self.eraser_button if self.tool.erase else self.brush_button).setChecked(True)

    def _show_tool_active(self, on: bool) -> None:
        self.tool_button.blockSignals(True)
        self.tool_button.setChecked(on)
        self.tool_button.blockSignals(False)
        self.tool_button.setText(TOOL_ON_TEXT if on else TOOL_OFF_TEXT)

    def _show_mask_state(self) -> None:
        mask = self.editor.current_mask()
        for widget in (self.clear_button, self.invert_button, self.grow_button, self.shrink_button, self.show_mask):
            widget.setEnabled(mask is not None)
        self.show_mask.blockSignals(True)
        self.show_mask.setChecked(mask is None or mask.visible)
        self.show_mask.blockSignals(False)

    # ----- actions -------------------------------------------------------------------------------
    def _toggle_tool(self, on: bool) -> None:
        self.tool.set_active(on)
        self.mask_tool_toggled.emit(on)

    def _mask_op(self, op) -> None:
        try:
            op()
        except StudioError as exc:
            self.error.emit("Mask", exc.message)

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import Mask", self._last_dir, IMAGE_FILE_FILTER)
        if path:
            self.import_mask(path)

    def import_mask(self, path: str) -> bool:
        self._last_dir = str(Path(path).parent)
        try:
            self.editor.import_image(load_image(path))
        except StudioError as exc:
            self.error.emit("Could not import the mask", exc.message)
            return False
        return True

    def _model_for(self, task: str) -> str:
        if task == self.task and self.model_combo.currentData():
            return self.model_combo.currentData()
        models = self._models.get(task, [])
        if not models and task not in CLASSICAL_TASKS:
            raise ValueError(f"No {TASK_LABELS[task].lower()} model is installed.")
        return models[0].id if models else CLASSICAL

    def build_spec(self, task: str | None = None) -> RestoreSpec:
        """The spec for ``task`` (default: the chosen one); ValueError with a message the user can act on."""
        task = task or self.task
        layer = self.editor.target_image()
        if layer is None:
            raise ValueError("Open, drop or paste an image first.")
        mask = None
        if self.only_mask.isChecked() or task == "inpaint":
            mask = self.editor.current_values()
            if mask is None:
                raise ValueError(NO_MASK_MESSAGE)
        strength = 1.0 if task == "inpaint" else self.strength.value() / 100
        return RestoreSpec(image=layer.image, task=task, model_id=self._model_for(task), strength=strength,
                           mask=mask, device=self.device, sensitivity=self.sensitivity.value() / 100)

    def submit(self) -> None:
        try:
            spec = self.build_spec()
        except ValueError as exc:
            self.error.emit(f"Cannot {TASK_LABELS[self.task].lower()}", str(exc))
            return
        self.submit_requested.emit(spec)

    def detect_scratches(self) -> None:
        try:
            spec = replace(self.build_spec("scratches"), fill=False)  # only the mask: the user edits it first
        except ValueError as exc:
            self.error.emit("Cannot detect scratches", str(exc))
            return
        self.detect_requested.emit(spec)
