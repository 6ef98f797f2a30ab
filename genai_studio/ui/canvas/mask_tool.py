"""The mask brush on the canvas view: paint or erase a mask with the mouse, one undo step per stroke.

While a stroke is drawn, the mask layer being edited is hidden from the normal layer drawing and the tool
paints its working copy instead, so the user sees every dab at once; on release the stroke's polyline is
committed through :class:`MaskEditor`, which computes exactly the same pixels.
Keys (canvas focused): [ and ] size, Shift+[ and Shift+] hardness, X brush/eraser.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen

from genai_studio.core.errors import StudioError
from genai_studio.state.mask_edit import (
    MAX_BRUSH_PX, MaskEditor, Point, apply_coverage, mask_values, stroke_bounds, stroke_coverage,
)
from genai_studio.ui.canvas import geometry as geo
from genai_studio.ui.canvas.view import CanvasView

MASK_OPACITY = 0.5  # same as the pane draws mask layers, so the preview matches the committed stroke
SIZE_STEP = 1.25  # [ and ] scale the brush by this factor
HARDNESS_STEP = 0.1
MIN_POINT_GAP_PX = 0.5  # mouse moves closer than this (mask pixels) to the last point are skipped
_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)  # Ctrl+X is cut, not the eraser


class MaskTool(QObject):
    """Brush settings plus the mouse/key handling the view delegates to while the tool is on."""

    settings_changed = Signal()  # size, hardness or brush/eraser changed
    active_changed = Signal(bool)
    status = Signal(str)
    error = Signal(str, str)

    def __init__(self, view: CanvasView, editor: MaskEditor, on_display_change: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.editor = editor
        self._display_changed = on_display_change
        self.size = 40.0  # brush diameter in mask (image) pixels
        self.hardness = 0.7  # 0 = soft cone … 1 = hard edge
        self.erase = False
        self._hover: QPointF | None = None  # widget position of the pointer, for the size circle
        self._stroke: _Stroke | None = None

    # ----- settings -------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.view.tool is self

    @property
    def editing_layer_id(self) -> int | None:
        """The mask layer a stroke in progress is replacing on screen (the pane skips drawing it)."""
        return self._stroke.mask_id if self._stroke is not None else None

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        self._cancel_stroke()
        self.view.set_tool(self if on else None)
        self.active_changed.emit(on)

    def set_size(self, size: float) -> None:
        size = float(min(max(round(size, 1), 1.0), MAX_BRUSH_PX))
        if size != self.size:
            self.size = size
            self.settings_changed.emit()
            self.view.update()

    def set_hardness(self, hardness: float) -> None:
        hardness = float(min(max(round(hardness, 2), 0.0), 1.0))
        if hardness != self.hardness:
            self.hardness = hardness
            self.settings_changed.emit()
            self.view.update()

    def set_erase(self, erase: bool) -> None:
        if erase != self.erase:
            self.erase = erase
            self.settings_changed.emit()
            self.status.emit("Mask eraser" if erase else "Mask brush")
            self.view.update()

    # ----- coordinates ----------------------------------------------------------------------------
    def _layer_rect(self, width: int, height: int) -> QRectF:
        """Where a (width, height) mask sits on the canvas (stretched over it like its image)."""
        canvas = self.view.canvas_size
        return geo.layer_rect((width, height), (int(canvas.width()), int(canvas.height())))

    def _to_mask(self, pos: QPointF, width: int, height: int) -> Point:
        rect = self._layer_rect(width, height)
        point = self.view.map_to_canvas(pos)
        return ((point.x() - rect.left()) * width / rect.width(), (point.y() - rect.top()) * height / rect.height())

    def _widget_px_per_mask_px(self) -> float:
        image = self.editor.target_image()
        if image is None:
            return self.view.scale
        return self.view.scale * self._layer_rect(*image.size).width() / image.size[0]

    # ----- view events ----------------------------------------------------------------------------
    def mouse_press(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or self.view.compare_enabled:
            return False
        image = self.editor.target_image()
        if image is None:
            self.status.emit("Open an image to paint a mask on")
            return False
        mask = self.editor.current_mask()
        if mask is not None and not mask.visible:
            self.editor.set_visible(True)  # painting on a hidden mask would show nothing
        width, height = image.size
        base = mask_values(mask.image) if mask is not None else np.zeros((height, width), np.uint8)
        self._stroke = _Stroke(None if mask is None else mask.id, base, self.erase)
        self._add_point(self._to_mask(event.position(), width, height))
        self._display_changed()
        return True

    def mouse_move(self, event: QMouseEvent) -> bool:
        self._hover = event.position()
        stroke = self._stroke
        if stroke is None:
            self.view.update()  # the size circle follows the pointer
            return False
        height, width = stroke.base.shape
        point = self._to_mask(event.position(), width, height)
        last = stroke.points[-1]
        if abs(point[0] - last[0]) + abs(point[1] - last[1]) >= MIN_POINT_GAP_PX:
            self._add_point(point)
        return True

    def mouse_release(self, event: QMouseEvent) -> bool:
        stroke = self._stroke
        if stroke is None or event.button() != Qt.MouseButton.LeftButton:
            return stroke is not None
        self._stroke = None
        try:
            self.editor.stroke(stroke.points, self.size, self.hardness, stroke.erase)
        except StudioError as exc:
            self.error.emit("Cannot paint the mask", exc.message)
        self._display_changed()
        self.view.update()
        return True

    def key_press(self, event: QKeyEvent) -> bool:
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        Key = Qt.Key
        if key == Key.Key_BraceLeft or (key == Key.Key_BracketLeft and shift):
            self.set_hardness(self.hardness - HARDNESS_STEP)
        elif key == Key.Key_BraceRight or (key == Key.Key_BracketRight and shift):
            self.set_hardness(self.hardness + HARDNESS_STEP)
        elif key == Key.Key_BracketLeft:
            self.set_size(self.size / SIZE_STEP)
        elif key == Key.Key_BracketRight:
            self.set_size(self.size * SIZE_STEP)
        elif key == Key.Key_X and not event.modifiers() & _COMMAND_MODIFIERS:
            self.set_erase(not self.erase)
        else:
            return False
        self.status.emit(f"{'Eraser' if self.erase else 'Brush'} {self.size:g} px, hardness {self.hardness:.0%}")
        return True

    def leave(self) -> None:
        self._hover = None
        self.view.update()

    # ----- painting -------------------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        stroke = self._stroke
        if stroke is not None:
            height, width = stroke.base.shape
            rect = self._layer_rect(width, height)
            target = QRectF(self.view.map_from_canvas(rect.topLeft()), rect.size() * self.view.scale)
            painter.save()
            painter.setOpacity(MASK_OPACITY)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.view.scale < geo.SMOOTH_BELOW_SCALE)
            painter.drawImage(target, stroke.preview)
            painter.restore()
        if self._hover is not None:
            self._paint_cursor(painter, self._hover)

    def _paint_cursor(self, painter: QPainter, centre: QPointF) -> None:
        radius = self.size / 2 * self._widget_px_per_mask_px()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        # Dark under light keeps the circle visible on any picture.
        for color, width in ((QColor(0, 0, 0, 160), 3.0), (QColor(255, 255, 255, 230), 1.0)):
            painter.setPen(QPen(color, width))
            painter.drawEllipse(centre, radius, radius)
        core = radius * self.hardness
        if 2.0 < core < radius - 2.0:  # the hard core, dashed, when it is distinguishable from the rim
            painter.setPen(QPen(QColor(255, 255, 255, 180), 1.0, Qt.PenStyle.DashLine))
            painter.drawEllipse(centre, core, core)
        if self.erase:  # a minus sign tells the eraser from the brush
            painter.setPen(QPen(QColor(255, 255, 255, 230), 1.5))
            painter.drawLine(centre + QPointF(-4, 0), centre + QPointF(4, 0))
        painter.restore()

    # ----- internals ------------------------------------------------------------------------------
    def _add_point(self, point: Point) -> None:
        stroke = self._stroke
        assert stroke is not None
        segment = [stroke.points[-1], point] if stroke.points else [point]
        stroke.points.append(point)
        box = stroke_bounds(segment, self.size, stroke.base.shape)
        if box is None:
            return
        top, bottom, left, right = box
        coverage = stroke.coverage[top:bottom, left:right]
        np.maximum(coverage, stroke_coverage(segment, self.size, self.hardness, box), out=coverage)
        values = apply_coverage(stroke.base[top:bottom, left:right], coverage, stroke.erase)
        stroke.pixels[top:bottom, left:right, 2] = values  # premultiplied red: R = A = mask value
        stroke.pixels[top:bottom, left:right, 3] = values
        self.view.update()

    def _cancel_stroke(self) -> None:
        if self._stroke is not None:
            self._stroke = None
            self._display_changed()


class _Stroke:
    """A stroke in progress: its points, the mask before it and the preview image of the mask after it."""

    def __init__(self, mask_id: int | None, base: np.ndarray, erase: bool) -> None:
        height, width = base.shape
        self.mask_id = mask_id
        self.base = base  # (H, W) uint8, the mask before the stroke
        self.erase = erase
        self.points: list[Point] = []
        self.coverage = np.zeros((height, width), np.float32)  # max over the segments so far, like the commit
        self.preview = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        # Little-endian ARGB32 is B, G, R, A in memory; rows may be padded.
        row = self.preview.bytesPerLine()
        buffer = np.frombuffer(self.preview.bits(), np.uint8).reshape(height, row // 4, 4)
        self.pixels = buffer[:, :width]
        self.pixels[...] = 0
        self.pixels[..., 2] = base
        self.pixels[..., 3] = base
