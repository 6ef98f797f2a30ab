"""The zoomable, pannable canvas widget, with a before/after compare divider.

Painted directly with QPainter (no QGraphicsScene): the canvas is a handful of stacked images, and
painting them ourselves keeps the compare divider and the zoom-about-cursor maths simple and exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QEvent, QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from genai_studio.ui.canvas import geometry as geo

DIVIDER_GRAB_PX = 8.0  # how close (widget px) a press must be to the divider to drag it
CHECKER_PX = 8  # size of one checkerboard square, in widget pixels


@dataclass(frozen=True)
class DisplayLayer:
    """A layer as the view draws it; ``opacity`` in [0, 1] (masks are drawn half transparent).

    Hidden layers are still passed in: they count for the canvas size, so hiding one never rescales.
    """

    image: QImage
    opacity: float = 1.0
    visible: bool = True


class CanvasTool(Protocol):
    """A tool that takes over the left mouse button and some keys (e.g. the mask brush).

    Each handler returns True when it used the event; the view then skips its own pan/divider handling.
    ``paint`` draws in widget coordinates on top of the layers (not in compare mode).
    """

    def mouse_press(self, event: QMouseEvent) -> bool: ...
    def mouse_move(self, event: QMouseEvent) -> bool: ...
    def mouse_release(self, event: QMouseEvent) -> bool: ...
    def key_press(self, event: QKeyEvent) -> bool: ...
    def paint(self, painter: QPainter) -> None: ...
    def leave(self) -> None: ...


class CanvasView(QWidget):
    """Shows the visible layers (or a before/after pair) with zoom and pan."""

    zoom_changed = Signal(float)  # new scale: widget pixels per canvas pixel
    divider_moved = Signal(float)  # compare divider, as a fraction of the image width

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(160, 120)
        self.hint_text = "Open, drop or paste an image"
        self._layers: list[DisplayLayer] = []
        self._canvas = QSizeF(0, 0)
        self._scale = 1.0
        self._offset = QPointF(0, 0)
        self._fit_mode = True  # follow the widget size until the user zooms or pans
        self._compare: tuple[QImage, QImage] | None = None
        self._divider = 0.5
        self._drag: str | None = None  # "pan" | "divider"
        self._drag_start = QPointF()
        self._offset_at_drag = QPointF()
        self._space_down = False
        self.tool: CanvasTool | None = None

    # ---------------------------------------------------------------------------------- public API

    def set_tool(self, tool: CanvasTool | None) -> None:
        self.tool = tool
        self._update_cursor(None)
        self.update()

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def offset(self) -> QPointF:
        return QPointF(self._offset)

    @property
    def canvas_size(self) -> QSizeF:
        return QSizeF(self._canvas)

    @property
    def is_fit(self) -> bool:
        return self._fit_mode

    @property
    def compare_enabled(self) -> bool:
        return self._compare is not None

    @property
    def divider(self) -> float:
        return self._divider

    def set_divider(self, fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        if fraction != self._divider:
            self._divider = fraction
            self.divider_moved.emit(fraction)
            self.update()

    def set_layers(self, layers: list[DisplayLayer]) -> None:
        """Replace what is drawn (bottom -> top). Keeps the on-screen size when the canvas is rescaled."""
        old = self._canvas
        self._layers = list(layers)
        new = QSizeF(*geo.canvas_size([(d.image.width(), d.image.height()) for d in layers]))
        if new != old:
            self._canvas = new
            keep_size = not (old.isEmpty() or new.isEmpty() or self._fit_mode)
            old_wh, new_wh = (int(old.width()), int(old.height())), (int(new.width()), int(new.height()))
            if keep_size and geo.same_aspect(old_wh, new_wh):
                # e.g. a 4x result arrives: same picture, 4x the pixels -> a quarter of the scale.
                self._set_scale(self._scale * old.width() / new.width())
            else:
                self.fit()
        self.update()

    def set_compare(self, before: QImage | None, after: QImage | None) -> None:
        """Show ``before`` left of the divider and ``after`` right of it; None for either turns it off."""
        self._compare = (before, after) if before is not None and after is not None else None
        self._update_cursor(None)
        self.update()

    def zoom_in(self) -> None:
        self.zoom_to(self._scale * geo.ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_to(self._scale / geo.ZOOM_STEP)

    def zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the canvas point under ``anchor`` (default: widget centre) in place."""
        if anchor is None:
            anchor = QPointF(self.width() / 2, self.height() / 2)
        new_scale = geo.clamp_scale(scale)
        self._offset = geo.zoom_about(self._offset, self._scale, new_scale, anchor)
        self._fit_mode = False
        self._set_scale(new_scale)
        self._clamp()
        self.update()

    def fit(self) -> None:
        """Show the whole canvas, centred; stays fitted while the widget is resized."""
        self._fit_mode = True
        viewport = QSizeF(self.width(), self.height())
        scale = geo.fit_scale(self._canvas, viewport) if not self._canvas.isEmpty() else 1.0
        self._offset = geo.centered_offset(self._canvas, viewport, scale)
        self._set_scale(scale)
        self.update()

    def actual_size(self) -> None:
        """One image pixel per physical screen pixel, centred on what is in the middle now."""
        self.zoom_to(1.0 / self.devicePixelRatioF())
        ratio = self.devicePixelRatioF()
        self._offset = QPointF(round(self._offset.x() * ratio) / ratio, round(self._offset.y() * ratio) / ratio)
        self.update()

    def map_to_canvas(self, point: QPointF) -> QPointF:
        return (point - self._offset) / self._scale

    def map_from_canvas(self, point: QPointF) -> QPointF:
        return self._offset + point * self._scale

    # ----------------------------------------------------------------------------------- painting

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window).darker(115))
        if not self._layers:
            self._paint_hint(painter)
            return
        image_rect = self._compare_rect() if self._compare else QRectF(QPointF(0, 0), self._canvas)
        view_rect = QRectF(self.map_from_canvas(image_rect.topLeft()), image_rect.size() * self._scale)
        painter.setBrushOrigin(view_rect.topLeft())
        painter.fillRect(view_rect, self._checker_brush())

        painter.save()
        painter.translate(self._offset)
        painter.scale(self._scale, self._scale)
        if self._compare:
            before, after = self._compare
            self._draw(painter, after, image_rect)
            split_x = image_rect.left() + self._divider * image_rect.width()
            left_part = QRectF(image_rect.left(), image_rect.top(), split_x - image_rect.left(), image_rect.height())
            painter.setClipRect(left_part)
            self._draw(painter, before, image_rect)  # stretched onto after's rect so both stay registered
        else:
            canvas = (int(self._canvas.width()), int(self._canvas.height()))
            for layer in self._layers:
                if not layer.visible:
                    continue
                painter.setOpacity(layer.opacity)
                self._draw(painter, layer.image, geo.layer_rect((layer.image.width(), layer.image.height()), canvas))
        painter.restore()
        if self._compare:
            self._paint_divider(painter, view_rect)
        elif self.tool is not None:
            self.tool.paint(painter)

    def _draw(self, painter: QPainter, image: QImage, target: QRectF) -> None:
        # Smooth when shrinking or mildly enlarging; crisp pixel squares when zoomed in far.
        magnification = self._scale * target.width() / max(image.width(), 1)
        smooth = magnification < geo.SMOOTH_BELOW_SCALE
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(target, image)

    def _compare_rect(self) -> QRectF:
        assert self._compare is not None
        after = self._compare[1]
        canvas = (int(self._canvas.width()), int(self._canvas.height()))
        return geo.layer_rect((after.width(), after.height()), canvas)

    def _divider_x(self) -> float:
        rect = self._compare_rect()
        return self.map_from_canvas(QPointF(rect.left() + self._divider * rect.width(), 0)).x()

    def _paint_hint(self, painter: QPainter) -> None:
        palette = self.palette()
        box = QRectF(self.rect()).adjusted(24, 24, -24, -24)
        pen = QPen(palette.color(QPalette.ColorRole.PlaceholderText), 1.5, Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.drawRoundedRect(box, 12, 12)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.hint_text)

    def _checker_brush(self) -> QBrush:
        base = self.palette().color(QPalette.ColorRole.Base)
        tile = QPixmap(2 * CHECKER_PX, 2 * CHECKER_PX)
        tile.fill(base.lighter(150))
        tile_painter = QPainter(tile)
        dark = base.lighter(210) if base.lightness() < 128 else base.darker(115)
        tile_painter.fillRect(0, 0, CHECKER_PX, CHECKER_PX, dark)
        tile_painter.fillRect(CHECKER_PX, CHECKER_PX, CHECKER_PX, CHECKER_PX, dark)
        tile_painter.end()
        return QBrush(tile)

    def _paint_divider(self, painter: QPainter, image_rect: QRectF) -> None:
        palette = self.palette()
        top, bottom = max(image_rect.top(), 0.0), min(image_rect.bottom(), float(self.height()))
        x = self._divider_x()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # A dark halo under a bright line keeps the divider visible over any picture.
        painter.setPen(QPen(QColor(0, 0, 0, 150), 3))
        painter.drawLine(QPointF(x, top), QPointF(x, bottom))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.HighlightedText), 1))
        painter.drawLine(QPointF(x, top), QPointF(x, bottom))
        handle = QPointF(x, (top + bottom) / 2)
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.drawEllipse(handle, 9, 9)
        for sign in (-1, 1):  # small arrows: the handle moves sideways
            tip = handle + QPointF(sign * 6, 0)
            painter.drawLine(tip, tip + QPointF(-sign * 3, -3))
            painter.drawLine(tip, tip + QPointF(-sign * 3, 3))
        left_edge, right_edge = max(image_rect.left(), 0.0), min(image_rect.right(), float(self.width()))
        self._paint_label(painter, "Before", QPointF(left_edge + 8, top + 8), left=True, limit=x)
        self._paint_label(painter, "After", QPointF(right_edge - 8, top + 8), left=False, limit=x)

    def _paint_label(self, painter: QPainter, text: str, corner: QPointF, left: bool, limit: float) -> None:
        metrics = painter.fontMetrics()
        box = QRectF(0, 0, metrics.horizontalAdvance(text) + 12, metrics.height() + 4)
        box.moveTop(corner.y())
        if left:
            box.moveLeft(corner.x())
        else:
            box.moveRight(corner.x())
        if (left and box.right() > limit - 4) or (not left and box.left() < limit + 4):
            return  # no room beside the divider
        palette = self.palette()
        background = QColor(palette.color(QPalette.ColorRole.Window))
        background.setAlpha(200)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # -------------------------------------------------------------------------------- interaction

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0  # one notch of a mouse wheel = 120
        if steps and self._layers:
            self.zoom_to(self._scale * geo.ZOOM_STEP**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.tool is not None and not self._space_down and self.tool.mouse_press(event):
            event.accept()
            return
        button = event.button()
        if button == Qt.MouseButton.LeftButton and self._near_divider(event.position()) and not self._space_down:
            self._drag = "divider"
            self._move_divider_to(event.position().x())
        elif button in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton) and self._layers:
            self._drag = "pan"
            self._drag_start = event.position()
            self._offset_at_drag = QPointF(self._offset)
        self._update_cursor(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag is None and self.tool is not None and self.tool.mouse_move(event):
            return
        if self._drag == "divider":
            self._move_divider_to(event.position().x())
        elif self._drag == "pan":
            self._offset = self._offset_at_drag + (event.position() - self._drag_start)
            self._fit_mode = False
            self._clamp()
            self.update()
        self._update_cursor(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag is None and self.tool is not None and self.tool.mouse_release(event):
            return
        self._drag = None
        self._update_cursor(event.position())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and not self._near_divider(event.position()):
            self.fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self.tool is not None and self.tool.key_press(event):
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self._update_cursor(None)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self._update_cursor(None)
        super().keyReleaseEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if self.tool is not None:
            self.tool.leave()
        super().leaveEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        if self._fit_mode:
            self.fit()
        else:
            self._clamp()
        super().resizeEvent(event)

    # --------------------------------------------------------------------------------- internals

    def _set_scale(self, scale: float) -> None:
        if scale != self._scale:
            self._scale = scale
            self.zoom_changed.emit(scale)

    def _clamp(self) -> None:
        self._offset = geo.clamp_offset(self._offset, self._canvas, QSizeF(self.width(), self.height()), self._scale)

    def _near_divider(self, pos: QPointF) -> bool:
        return self._compare is not None and abs(pos.x() - self._divider_x()) <= DIVIDER_GRAB_PX

    def _move_divider_to(self, x: float) -> None:
        rect = self._compare_rect()
        canvas_x = self.map_to_canvas(QPointF(x, 0)).x()
        self.set_divider((canvas_x - rect.left()) / max(rect.width(), 1e-9))

    def _update_cursor(self, pos: QPointF | None) -> None:
        if self._drag == "divider" or (pos is not None and self._drag is None and self._near_divider(pos)):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._layers and self._space_down:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif self.tool is not None:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.unsetCursor()
