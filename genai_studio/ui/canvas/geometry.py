"""Pure geometry of the canvas view: where layers sit on the canvas and how the canvas maps to the screen.

Coordinates: *canvas* space is in image pixels of the largest layer; *view* space is widget pixels.
view = offset + canvas * scale.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSizeF

MIN_SCALE = 0.01
MAX_SCALE = 64.0
ZOOM_STEP = 1.25
SMOOTH_BELOW_SCALE = 2.0  # from 200 % up pixels are drawn as crisp squares (nearest neighbour)
KEEP_VISIBLE_PX = 48.0  # panning never pushes the whole image out of the widget


def canvas_size(layer_sizes: list[tuple[int, int]]) -> tuple[int, int]:
    """The canvas is as large as the largest layer (by area), so an upscaled result shows at full size."""
    if not layer_sizes:
        return (0, 0)
    return max(layer_sizes, key=lambda wh: wh[0] * wh[1])


def same_aspect(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when two sizes differ only by scaling (allowing the rounding of odd sizes, e.g. 4x of 101)."""
    (aw, ah), (bw, bh) = a, b
    if min(aw, ah, bw, bh) <= 0:
        return False
    # Cross-multiplied difference below one pixel of the larger image on either axis.
    return abs(aw * bh - ah * bw) <= max(aw, bw) + max(ah, bh)


def layer_rect(layer: tuple[int, int], canvas: tuple[int, int]) -> QRectF:
    """Where a layer is drawn on the canvas.

    Layers of the canvas's aspect ratio (the source and its upscaled/restored results) are stretched to
    cover it, so they stay registered; anything else is drawn at its own size, centred.
    """
    cw, ch = canvas
    lw, lh = layer
    if same_aspect(layer, canvas):
        return QRectF(0, 0, cw, ch)
    return QRectF((cw - lw) / 2, (ch - lh) / 2, lw, lh)


def fit_scale(content: QSizeF, viewport: QSizeF, margin: float = 16.0) -> float:
    """Largest scale that shows all of ``content`` inside ``viewport`` minus a margin on each side."""
    if content.isEmpty():
        return 1.0
    width = max(viewport.width() - 2 * margin, 1.0)
    height = max(viewport.height() - 2 * margin, 1.0)
    return clamp_scale(min(width / content.width(), height / content.height()))


def clamp_scale(scale: float) -> float:
    return max(MIN_SCALE, min(MAX_SCALE, scale))


def centered_offset(content: QSizeF, viewport: QSizeF, scale: float) -> QPointF:
    return QPointF((viewport.width() - content.width() * scale) / 2, (viewport.height() - content.height() * scale) / 2)


def zoom_about(offset: QPointF, old_scale: float, new_scale: float, anchor: QPointF) -> QPointF:
    """New offset that keeps the canvas point under ``anchor`` (view coords) fixed while zooming."""
    canvas_point = (anchor - offset) / old_scale
    return anchor - canvas_point * new_scale


def clamp_offset(offset: QPointF, content: QSizeF, viewport: QSizeF, scale: float) -> QPointF:
    """Keep at least KEEP_VISIBLE_PX of the image (or all of it, if smaller) inside the widget."""
    width, height = content.width() * scale, content.height() * scale
    keep_x, keep_y = min(KEEP_VISIBLE_PX, width), min(KEEP_VISIBLE_PX, height)
    x = max(keep_x - width, min(offset.x(), viewport.width() - keep_x))
    y = max(keep_y - height, min(offset.y(), viewport.height() - keep_y))
    return QPointF(x, y)
