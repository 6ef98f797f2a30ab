"""The Style panel: a named painting style or "From an image…", strength, preserve colours, only inside the
mask, Run → a StyleSpec.

The image is the canvas's target image and the mask its current mask (both through providers the window
sets), so the panel needs no canvas of its own and can be tested alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from genai_studio.core.art_jobs import DEFAULT_STYLE, STYLE_NAMES, StyleSpec
from genai_studio.core.errors import StudioError
from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio.images import IMAGE_FILE_FILTER, load_image
from genai_studio.ui.canvas.qimage import thumbnail
from genai_studio.ui.panels.restore_panel import NO_MASK_MESSAGE, percent_slider, slider_row

FROM_IMAGE = "<image>"  # combo item data of "From an image…"
FROM_IMAGE_LABEL = "From an image…"
THUMB_PX = 64


def style_label(name: str) -> str:
    """"starry-swirls" → "Starry swirls"."""
    return name.replace("-", " ").capitalize()


class StylePanel(QWidget):
    """Emits ``submit_requested(StyleSpec)`` for Run and ``error(title, message)`` for anything refused."""

    submit_requested = Signal(object)  # StyleSpec
    error = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device = "auto"
        self.image_provider: Callable[[], ImageBuffer | None] = lambda: None
        self.mask_provider: Callable[[], np.ndarray | None] = lambda: None
        self.style_image: ImageBuffer | None = None
        self._last_dir = ""
        layout = QVBoxLayout(self)
        layout.addWidget(self._style_box())
        layout.addStretch(1)
        self.set_style(DEFAULT_STYLE)
        self._previous_index = self.style_combo.currentIndex()
        self._show_mode()

    def _style_box(self) -> QGroupBox:
        box = QGroupBox("Style transfer")
        self.style_combo = QComboBox()
        for name in STYLE_NAMES:
            self.style_combo.addItem(style_label(name), name)
        self.style_combo.insertSeparator(self.style_combo.count())
        self.style_combo.addItem(FROM_IMAGE_LABEL, FROM_IMAGE)
        self.style_combo.setItemData(self.style_combo.count() - 1, "Use any picture (a painting, a texture) as "
                                     "the style", Qt.ItemDataRole.ToolTipRole)
        self.style_combo.activated.connect(self._on_style_activated)
        self.style_combo.currentIndexChanged.connect(self._show_mode)
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB_PX, THUMB_PX)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setToolTip("The style image")
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setToolTip("Pick the picture whose style is used")
        self.choose_button.clicked.connect(self.choose_style_image)
        self.style_image_name = QLabel()
        self.style_image_name.setProperty("role", "dim")
        image_row = QHBoxLayout()
        image_row.addWidget(self.thumb)
        image_row.addWidget(self.style_image_name, 1)
        image_row.addWidget(self.choose_button)
        self.image_row = QWidget()
        self.image_row.setLayout(image_row)
        self.strength, self.strength_label = percent_slider(100, "0 % leaves the image unchanged, 100 % is fully "
                                                                 "stylized")
        self.preserve_colors = QCheckBox("Preserve colours")
        self.preserve_colors.setToolTip("Keep the photo's own colours; take only the brightness pattern of the style")
        self.only_mask = QCheckBox("Only inside the mask")
        self.only_mask.setToolTip("Stylize only where the mask is painted (paint it in the Restore tab)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Stylize the active layer; the result becomes a new layer (compare with \\)")
        self.run_button.clicked.connect(self.submit)
        form = QFormLayout(box)
        form.addRow("Style", self.style_combo)
        form.addRow(self.image_row)
        form.addRow("Strength", slider_row(self.strength, self.strength_label))
        form.addRow(self.preserve_colors)
        form.addRow(self.only_mask)
        form.addRow(self.run_button)
        return box

    # ----- style choice ----------------------------------------------------------------------------
    @property
    def from_image(self) -> bool:
        return self.style_combo.currentData() == FROM_IMAGE

    def set_style(self, name: str) -> None:
        self.style_combo.setCurrentIndex(self.style_combo.findData(name))

    def _on_style_activated(self, index: int) -> None:
        if self.style_combo.itemData(index) != FROM_IMAGE:
            self._previous_index = index
        elif self.style_image is None:
            self.choose_style_image()

    def _show_mode(self) -> None:
        self.image_row.setVisible(self.from_image)

    def choose_style_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a Style Image", self._last_dir, IMAGE_FILE_FILTER)
        if path:
            self.load_style_image(path)
        elif self.style_image is None:
            self.style_combo.setCurrentIndex(self._previous_index)  # nothing picked: back to the named style

    def load_style_image(self, path: str) -> bool:
        self._last_dir = str(Path(path).parent)
        try:
            image = load_image(path)
        except StudioError as exc:
            self.error.emit("Could not use the style image", exc.message)
            if self.style_image is None:
                self.style_combo.setCurrentIndex(self._previous_index)
            return False
        self.set_style_image(image)
        return True

    def set_style_image(self, image: ImageBuffer) -> None:
        """Use ``image`` as the style (and switch the combo to "From an image…")."""
        self.style_image = image
        self.thumb.setPixmap(QPixmap.fromImage(thumbnail(image, THUMB_PX)))
        self.style_image_name.setText(f"{image.name}\n{image.width}×{image.height}")
        self.style_combo.setCurrentIndex(self.style_combo.findData(FROM_IMAGE))

    # ----- the job ---------------------------------------------------------------------------------
    def build_spec(self) -> StyleSpec:
        """The spec for the current settings; ValueError with a message the user can act on."""
        image = self.image_provider()
        if image is None:
            raise ValueError("Open, drop or paste an image first.")
        mask = None
        if self.only_mask.isChecked():
            mask = self.mask_provider()
            if mask is None:
                raise ValueError(NO_MASK_MESSAGE)
        if self.from_image:
            if self.style_image is None:
                raise ValueError("Choose a style image first.")
            style, style_image = "", self.style_image
        else:
            style, style_image = self.style_combo.currentData(), None
        return StyleSpec(image=image, style=style, style_image=style_image, strength=self.strength.value() / 100,
                         preserve_colors=self.preserve_colors.isChecked(), mask=mask, device=self.device)

    def submit(self) -> None:
        try:
            spec = self.build_spec()
        except ValueError as exc:
            self.error.emit("Cannot apply the style", str(exc))
            return
        self.submit_requested.emit(spec)
