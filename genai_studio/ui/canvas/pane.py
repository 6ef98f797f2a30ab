"""The image canvas pane: view + layer list, opening/pasting/dropping/exporting images, compare mode.

Every failure with a file is reported through the ``error`` signal (never raised), so a bad image can
never take the app down.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QSplitter, QVBoxLayout, QWidget

from genai_studio.core.errors import StudioError
from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio.images import IMAGE_FILE_FILTER, load_image, save_image
from genai_studio.state.canvas_state import CanvasState
from genai_studio.state.mask_edit import MaskEditor
from genai_studio.ui.canvas import mime
from genai_studio.ui.canvas.actions import build_actions
from genai_studio.ui.canvas.layers_panel import LayersPanel
from genai_studio.ui.canvas.mask_tool import MaskTool
from genai_studio.ui.canvas.qimage import DisplayCache
from genai_studio.ui.canvas.view import CanvasView, DisplayLayer

log = logging.getLogger(__name__)

MASK_OPACITY = 0.5


def describe(image: ImageBuffer) -> str:
    """e.g. "1920×1080, 16-bit" (+ ", alpha")."""
    alpha = ", alpha" if image.has_alpha else ""
    return f"{image.width}×{image.height}, {image.bit_depth}-bit{alpha}"


def export_stem(layer_name: str) -> str:
    """A file stem for exporting a layer: its whole name with image extensions dropped wherever they sit
    ("photo.png x4" → "photo x4"), so a result is never offered its source file's name to overwrite."""
    stem = re.sub(r"\.(png|jpe?g|webp|tiff?|bmp)\b", "", layer_name, flags=re.IGNORECASE)
    stem = re.sub(r'[\\/:*?"<>|]+', "-", stem).strip(" .")
    return stem or "image"


class CanvasPane(QWidget):
    """Canvas view and layer list over a CanvasState; ``actions`` holds the menu/toolbar actions."""

    error = Signal(str, str)  # (title, message) for a dialog or the log panel
    status = Signal(str)  # short message for the status bar

    def __init__(self, state: CanvasState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._cache = DisplayCache()
        self._last_dir = ""
        self.view = CanvasView(self)
        self.layers_panel = LayersPanel(state, self)
        self.layers_panel.delete_requested.connect(self._delete_layer)
        self.mask_editor = MaskEditor(state)
        self.mask_tool = MaskTool(self.view, self.mask_editor, self._refresh, self)
        self.mask_tool.status.connect(self.status)
        self.mask_tool.error.connect(self.error)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.view)
        splitter.addWidget(self.layers_panel)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setCollapsible(0, False)
        splitter.setSizes([800, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.actions: dict[str, QAction] = build_actions(self)
        self.mask_tool.active_changed.connect(self._show_mask_tool_state)
        self.setAcceptDrops(True)
        state.layers_changed.connect(self._refresh)
        state.active_changed.connect(lambda _id: self._refresh())
        self._refresh()

    # ------------------------------------------------------------------------------- opening files

    def open_files(self, paths: Iterable[str | os.PathLike[str]]) -> int:
        """Open images: the first that loads replaces the document, the rest become layers on top.

        Returns how many were opened; failures are reported together in one ``error`` emission.
        """
        return self._import_files(paths, replace=True)

    def add_files(self, paths: Iterable[str | os.PathLike[str]]) -> int:
        """Add images as new layers on top of the current document (the first becomes it if empty)."""
        return self._import_files(paths, replace=False)

    def _import_files(self, paths: Iterable[str | os.PathLike[str]], replace: bool) -> int:
        loaded: list[ImageBuffer] = []
        problems: list[str] = []
        for raw_path in paths:
            path = Path(raw_path)
            try:
                loaded.append(load_image(path))
            except StudioError as exc:
                problems.append(exc.message)
            except Exception as exc:  # noqa: BLE001 - a decoder bug must not crash the app
                log.exception("unexpected error opening %s", path)
                problems.append(f"{path.name} could not be opened (unexpected error: {exc}).")
            self._last_dir = str(path.parent)
        if loaded:
            self._place(loaded, replace, verb="Opened")
        if problems:
            title = "Could not open image" if len(problems) == 1 else f"Could not open {len(problems)} images"
            self.error.emit(title, "\n".join(problems))
        return len(loaded)

    def _place(self, images: list[ImageBuffer], replace: bool, verb: str, label: str | None = None) -> None:
        """Put images on the canvas as one undo step per image; status names the first (or ``label``)."""
        first, *rest = images
        if replace or self.state.is_empty:
            self.state.load_document(first)
        else:
            self.state.add_layer(first)
        for image in rest:
            self.state.add_layer(image)
        more = f" (+{len(rest)} more as layers)" if rest else ""
        self.status.emit(f"{verb} {label or first.name} — {describe(first)}{more}")
        self.view.setFocus()  # so the canvas's local shortcuts (zoom, compare, undo) work right away

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open Images", self._last_dir, IMAGE_FILE_FILTER)
        if paths:
            self.open_files(paths)

    # --------------------------------------------------------------------------- paste and drop

    def paste_from_clipboard(self) -> bool:
        """Paste image files or image data from the clipboard: a new layer, or the document if empty."""
        data = QApplication.clipboard().mimeData()
        return self._import_mime(data, "Pasted image", verb="Pasted")

    def _import_mime(self, data: QMimeData | None, name: str, verb: str) -> bool:
        """Files or image data from a paste/drop; ``verb`` is "Pasted" or "Dropped"."""
        action = "paste" if verb == "Pasted" else "drop"
        files = mime.local_files(data)
        if files:
            return self._import_files(files, replace=False) > 0
        try:
            image = mime.image_from_mime(data, name)
        except StudioError as exc:
            self.error.emit(f"Could not {action} image", exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - clipboard data from other apps can be anything
            log.exception("unexpected error reading image data")
            self.error.emit("Could not read image", f"The image data could not be read (unexpected error: {exc}).")
            return False
        if image is None:
            source = "the clipboard holds" if action == "paste" else "the drop carried"
            self.status.emit(f"Nothing to {action}: {source} no image files or image data")
            return False
        self._place([image], replace=False, verb=verb, label="image")
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if mime.has_image_content(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        if mime.has_image_content(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """Dropped files open as a document on an empty canvas, otherwise as new layers."""
        data = event.mimeData()
        if not mime.has_image_content(data):
            event.ignore()
            return
        event.acceptProposedAction()
        self._import_mime(data, "Dropped image", verb="Dropped")

    # ---------------------------------------------------------------------------------- exporting

    def export_active(self, path: str | os.PathLike[str]) -> bool:
        """Save the active layer to ``path`` (format from the extension). Errors go to ``error``."""
        layer = self.state.active_layer()
        if layer is None:
            self.error.emit("Nothing to export", "Open or select a layer first.")
            return False
        path = Path(path)
        try:
            save_image(layer.image, path, provenance=layer.spec)
        except StudioError as exc:
            self.error.emit("Could not export image", exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - never lose the app over a save
            log.exception("unexpected error exporting %s", path)
            self.error.emit("Could not export image", f"{path.name} could not be saved (unexpected error: {exc}).")
            return False
        self._last_dir = str(path.parent)
        depth = 16 if layer.image.bit_depth == 16 and path.suffix.lower() in (".png", ".tif", ".tiff") else 8
        self.status.emit(f"Exported {path.name} — {layer.image.width}×{layer.image.height}, {depth}-bit")
        return True

    def export_dialog(self) -> None:
        layer = self.state.active_layer()
        if layer is None:
            self.error.emit("Nothing to export", "Open or select a layer first.")
            return
        suggested = str(Path(self._last_dir or ".") / f"{export_stem(layer.name)}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Export Layer", suggested, IMAGE_FILE_FILTER)
        if not path:
            return
        if not Path(path).suffix:
            path += ".png"  # a name typed without an extension gets the lossless default
        self.export_active(path)

    # --------------------------------------------------------------------------------------- view

    def zoom_in(self) -> None:
        self.view.zoom_in()

    def zoom_out(self) -> None:
        self.view.zoom_out()

    def fit(self) -> None:
        self.view.fit()

    def actual_size(self) -> None:
        self.view.actual_size()

    def set_compare(self, on: bool) -> None:
        """Before/after split view of ``state.compare_pair()``; refused (stays off) without a pair."""
        if on and self.state.compare_pair() is None:
            on = False
            self.status.emit("Compare needs two layers: run a job on the image or add another image")
        action = self.actions["compare"]
        if action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        self._refresh()

    @property
    def compare_enabled(self) -> bool:
        return self.view.compare_enabled

    def set_mask_tool(self, on: bool) -> None:
        """Turn the mask brush on the canvas on or off."""
        self.mask_tool.set_active(on)
        if on:
            self.view.setFocus()  # so [ ] and X reach the tool
            self.status.emit("Mask tool: paint with the left button, X toggles the eraser, [ ] brush size")

    # ---------------------------------------------------------------------------------- internals

    def _show_mask_tool_state(self, on: bool) -> None:
        action = self.actions["mask_tool"]  # the tool may be switched from a panel, not only by this action
        if action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)

    def _delete_layer(self, layer_id: int) -> None:
        name = self.state.layer(layer_id).name
        self.state.remove_layer(layer_id)
        undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(QKeySequence.SequenceFormat.NativeText)
        self.status.emit(f"Deleted layer {name} (undo with {undo})")  # Edit ▸ Undo's key, wherever focus is

    def _refresh(self) -> None:
        layers = self.state.layers
        self._cache.keep_only({layer.id for layer in layers})
        editing = self.mask_tool.editing_layer_id  # the mask tool draws that one itself mid-stroke
        # Masks are overlays: drawn above every picture layer, so a new result never hides the mask.
        ordered = sorted(layers, key=lambda layer: layer.kind == "mask")  # stable: keeps the order otherwise
        self.view.set_layers([
            DisplayLayer(
                self._cache.get(layer.id, layer.image),
                MASK_OPACITY if layer.kind == "mask" else 1.0,
                layer.visible and layer.id != editing,
            )
            for layer in ordered
        ])
        pair = self.state.compare_pair()
        compare = self.actions["compare"]
        compare.setEnabled(pair is not None or compare.isChecked())
        if compare.isChecked() and pair is None:
            compare.blockSignals(True)
            compare.setChecked(False)
            compare.blockSignals(False)
        if compare.isChecked() and pair is not None:
            before, after = pair
            self.view.set_compare(self._cache.get(before.id, before.image), self._cache.get(after.id, after.image))
        else:
            self.view.set_compare(None, None)
        self.actions["export"].setEnabled(self.state.active_layer() is not None)
        mask_tool = self.actions["mask_tool"]
        if self.state.is_empty and mask_tool.isChecked():
            mask_tool.setChecked(False)  # nothing left to paint on
        mask_tool.setEnabled(not self.state.is_empty)
