"""The Upscale panel: look (faithful/sharp), model, scale, device and tile size → an UpscaleSpec.

"Faithful" models are those whose manifest tags include "fidelity" (trained to stay close to the source,
inventing no texture); "Sharp" are the rest (the GAN-trained Real-ESRGAN family: crisper, may invent detail).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QRadioButton, QSpinBox, QVBoxLayout,
    QWidget,
)

from genai_studio.core.jobs import UpscaleSpec
from genai_studio.core.media import ImageBuffer
from genai_studio.ui.device_choices import fill_device_combo

FIDELITY_TAG = "fidelity"
# (label, value, tooltip) of the look filter; value "" lists every model
QUALITY_CHOICES = (
    ("All", "", "Every installed upscaler"),
    ("Faithful", "fidelity", "Stays close to the source and invents no texture: best for restoring photos "
                             "and documents (models tagged \"fidelity\")"),
    ("Sharp", "perceptual", "Crisp, GAN-trained (Real-ESRGAN): looks sharper but may invent texture"),
)


@dataclass(frozen=True)
class UpscaleModelChoice:
    id: str
    name: str
    native_scale: int  # the scale the model produces without resizing (x2/x3/x4)
    default_tile: int
    description: str = ""
    tags: tuple[str, ...] = ()

    @property
    def quality(self) -> str:
        """ "fidelity" (Faithful) or "perceptual" (Sharp), as recipes name it."""
        return "fidelity" if FIDELITY_TAG in self.tags else "perceptual"


class UpscalePanel(QWidget):
    """Emits ``submit_requested(spec)``; the window supplies the image via ``image_provider``."""

    submit_requested = Signal(object)  # UpscaleSpec
    error = Signal(str, str)

    def __init__(self, models: list[UpscaleModelChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all_models = list(models)
        self._models: list[UpscaleModelChoice] = []  # the ones the look filter lets through, in combo order
        self.image_provider = lambda: None  # () -> ImageBuffer | None, set by the main window

        self.quality_group = QButtonGroup(self)
        quality_row = QHBoxLayout()
        self.quality_buttons: dict[str, QRadioButton] = {}
        for label, value, tip in QUALITY_CHOICES:
            button = QRadioButton(label)
            button.setToolTip(tip)
            self.quality_group.addButton(button)
            quality_row.addWidget(button)
            self.quality_buttons[value] = button
        self.quality_buttons[""].setChecked(True)
        self.quality_group.buttonToggled.connect(lambda _button, checked: checked and self._fill_models())

        self.model_combo = QComboBox()
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)

        self.scale_group = QButtonGroup(self)
        scale_row = QHBoxLayout()
        for s in (2, 3, 4):
            button = QRadioButton(f"x{s}")
            button.setToolTip(f"Output is {s}× the width and height")
            self.scale_group.addButton(button, s)
            scale_row.addWidget(button)
        self.scale_group.button(4).setChecked(True)

        self.device_combo = QComboBox()
        fill_device_combo(self.device_combo)

        self.tile_spin = QSpinBox()
        self.tile_spin.setRange(0, 2048)
        self.tile_spin.setSingleStep(32)
        self.tile_spin.setSpecialValueText("Off (whole image)")
        self.tile_spin.setSuffix(" px")
        self.tile_spin.setToolTip("Images are processed in overlapping tiles of this size, so memory stays "
                                  "bounded; smaller tiles use less memory.")

        self.info = QLabel()
        self.info.setProperty("role", "dim")
        self.info.setWordWrap(True)
        self.run_button = QPushButton("Upscale")
        self.run_button.setToolTip("Upscale the active layer (Ctrl+U, from anywhere: Image ▸ Upscale Active Layer)")
        self.run_button.clicked.connect(self.submit)

        form = QFormLayout()
        form.addRow("Look", quality_row)
        form.addRow("Model", self.model_combo)
        form.addRow("Scale", scale_row)
        form.addRow("Device", self.device_combo)
        form.addRow("Tile size", self.tile_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.info)
        layout.addWidget(self.run_button)
        layout.addStretch(1)
        self._fill_models()

    def set_device(self, device: str) -> None:
        """Preselect the default compute device from Preferences ("auto", "cpu" or "cuda")."""
        index = self.device_combo.findData(device)
        if index >= 0 and self.device_combo.model().item(index).isEnabled():  # not CUDA greyed out for no GPU
            self.device_combo.setCurrentIndex(index)

    def selected_model(self) -> UpscaleModelChoice | None:
        index = self.model_combo.currentIndex()
        return self._models[index] if 0 <= index < len(self._models) else None

    def select_model(self, model_id: str) -> None:
        """Select a model by id, widening the look filter to "All" when it hides that model."""
        if self.model_combo.findData(model_id) < 0 and any(m.id == model_id for m in self._all_models):
            self.set_quality("")
        index = self.model_combo.findData(model_id)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)

    @property
    def quality(self) -> str:
        """The look filter: "" (all), "fidelity" (Faithful) or "perceptual" (Sharp)."""
        return next(value for value, button in self.quality_buttons.items() if button.isChecked())

    def set_quality(self, quality: str) -> None:
        self.quality_buttons[quality].setChecked(True)

    def _fill_models(self) -> None:
        """List the models the look filter lets through, keeping the current one when it still fits."""
        current = self.model_combo.currentData()
        quality = self.quality
        self._models = [m for m in self._all_models if not quality or m.quality == quality]
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for m in self._models:
            self.model_combo.addItem(m.name, m.id)
            self.model_combo.setItemData(self.model_combo.count() - 1, m.description, 0x03)  # tooltip role
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(index if index >= 0 else (0 if self._models else -1))
        self.model_combo.blockSignals(False)
        if current is None or self.model_combo.currentData() != current:
            self._on_model_changed()  # a kept model keeps the tile size the user chose

    def _on_model_changed(self) -> None:
        model = self.selected_model()
        if model is None:
            look = {"fidelity": "faithful ", "perceptual": "sharp "}.get(self.quality, "")
            hint = (" Import one whose manifest is tagged \"fidelity\" (Models ▸ Model Manager), or choose "
                    "another look." if self.quality == "fidelity" else "")
            self.info.setText(f"No {look}upscaling model is installed.{hint}")
            self.run_button.setEnabled(False)
            return
        self.tile_spin.setValue(model.default_tile)
        self.scale_group.button(model.native_scale).setChecked(True)
        self.info.setText(model.description)
        self.run_button.setEnabled(True)

    def build_spec(self, image: ImageBuffer) -> UpscaleSpec:
        model = self.selected_model()
        assert model is not None
        return UpscaleSpec(
            image=image, model_id=model.id, scale=self.scale_group.checkedId(), tile=self.tile_spin.value(),
            device=self.device_combo.currentData(),
        )

    def submit(self) -> None:
        image = self.image_provider()
        if image is None:
            self.error.emit("Nothing to upscale", "Open, drop or paste an image first.")
            return
        try:
            spec = self.build_spec(image)
        except ValueError as exc:
            self.error.emit("Cannot upscale", str(exc))
            return
        self.submit_requested.emit(spec)
