"""Mask layers and their edits (brush strokes, clear, invert, grow/shrink, import), each one undo step.

A mask layer is an RGBA ImageBuffer: pure red whose alpha is the mask value (255 = apply here), so the
canvas shows it as a red overlay and a project saves it as an ordinary PNG layer. Its ``source_id`` is the
image layer it was made for. Jobs take the mask as (H, W) uint8 via :func:`mask_values`.

The pixel maths are plain numpy functions, so the mask tool can preview a stroke with exactly the pixels
that :meth:`MaskEditor.stroke` will commit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio.masks import luminance, mask_from_image
from genai_studio.state.canvas_state import CanvasState, Layer

MASK_COLOR = (255, 0, 0)
MAX_BRUSH_PX = 2000.0
Point = tuple[float, float]  # (x, y) in mask pixels; pixel (row i, column j) has its centre at (j + .5, i + .5)


# ------------------------------------------------------------------------------------ pixel maths

def mask_values(image: ImageBuffer) -> np.ndarray:
    """(H, W) uint8 of a mask layer's image: its alpha (RGBA) or its luminance (RGB)."""
    pixels = image.to_uint8()
    if image.has_alpha:
        return np.ascontiguousarray(pixels[..., 3])
    return luminance(pixels)


def mask_image(values: np.ndarray, name: str = "Mask") -> ImageBuffer:
    """(H, W) uint8 → the RGBA red-overlay image a mask layer holds."""
    h, w = values.shape
    pixels = np.empty((h, w, 4), np.uint8)
    pixels[..., :3] = MASK_COLOR
    pixels[..., 3] = values
    return ImageBuffer(pixels, name=name)


def stroke_bounds(points: Sequence[Point], size: float, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) pixel box a stroke can touch, clipped to ``shape`` (H, W); None if outside."""
    radius = size / 2.0
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    top = max(int(np.floor(min(ys) - radius)), 0)
    bottom = min(int(np.ceil(max(ys) + radius)) + 1, shape[0])
    left = max(int(np.floor(min(xs) - radius)), 0)
    right = min(int(np.ceil(max(xs) + radius)) + 1, shape[1])
    if top >= bottom or left >= right:
        return None
    return top, bottom, left, right


def stroke_coverage(points: Sequence[Point], size: float, hardness: float,
                    box: tuple[int, int, int, int]) -> np.ndarray:
    """(bottom-top, right-left) float32 in [0, 1]: how strongly a stroke covers each pixel of ``box``.

    Coverage depends only on a pixel's distance d to the polyline: 1 up to the hard core, then falling
    linearly to 0 at the brush radius. The core is ``radius * hardness`` but the fall is at least one pixel
    wide, so a fully hard brush still has an anti-aliased rim.
    """
    if not points:
        raise ValueError("a stroke needs at least one point")
    radius = max(size, 1.0) / 2.0
    feather = max(radius * (1.0 - hardness), 1.0)
    top, bottom, left, right = box
    dist = np.full((bottom - top, right - left), np.inf, np.float32)
    pts = list(points)
    for (ax, ay), (bx, by) in list(zip(pts, pts[1:])) or [(pts[0], pts[0])]:
        # Only the pixels within one radius of this segment can be nearer to it than to the others.
        seg = stroke_bounds([(ax, ay), (bx, by)], size, (bottom, right))
        if seg is None:
            continue
        s_top, s_bottom, s_left, s_right = max(seg[0], top), seg[1], max(seg[2], left), seg[3]
        if s_top >= s_bottom or s_left >= s_right:
            continue
        py, px = np.mgrid[s_top:s_bottom, s_left:s_right].astype(np.float32) + 0.5
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
        view = dist[s_top - top:s_bottom - top, s_left - left:s_right - left]
        np.minimum(view, np.hypot(px - (ax + t * dx), py - (ay + t * dy)), out=view)
    return np.clip((radius - dist) / feather, 0.0, 1.0)


def apply_coverage(old: np.ndarray, coverage: np.ndarray, erase: bool) -> np.ndarray:
    """Paint (towards 255) or erase (towards 0) ``old`` uint8 by ``coverage`` in [0, 1]; same shapes."""
    old_f = old.astype(np.float32)
    new = old_f * (1.0 - coverage) if erase else old_f + (255.0 - old_f) * coverage
    return np.clip(np.rint(new), 0, 255).astype(np.uint8)


def paint_stroke(mask: np.ndarray, points: Sequence[Point], size: float, hardness: float,
                 erase: bool = False) -> np.ndarray:
    """A new (H, W) uint8 mask with one stroke painted (or erased) into a copy of ``mask``."""
    out = mask.copy()
    box = stroke_bounds(points, size, mask.shape)
    if box is None:
        return out
    top, bottom, left, right = box
    coverage = stroke_coverage(points, size, hardness, box)
    out[top:bottom, left:right] = apply_coverage(mask[top:bottom, left:right], coverage, erase)
    return out


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Dilate by a disc of radius ``pixels`` (grey-level, so soft edges stay soft); negative shrinks."""
    if pixels < 0:
        return 255 - grow(255 - mask, -pixels)
    if pixels == 0:
        return mask.copy()
    # A disc is a stack of rows of half-width w(dy) = floor(sqrt(r² - dy²)). Widening a running
    # horizontal max one pixel at a time visits each w once: O(r · H · W) instead of O(r² · H · W).
    half_widths: dict[int, list[int]] = {}
    for dy in range(-pixels, pixels + 1):
        half_widths.setdefault(int(np.floor(np.sqrt(pixels * pixels - dy * dy))), []).append(dy)
    out = mask.copy()
    row_max = mask.copy()
    for width in range(pixels + 1):
        if width > 0:
            wider = row_max.copy()
            np.maximum(wider[:, 1:], row_max[:, :-1], out=wider[:, 1:])
            np.maximum(wider[:, :-1], row_max[:, 1:], out=wider[:, :-1])
            row_max = wider
        for dy in half_widths.get(width, ()):
            if dy > 0:
                np.maximum(out[dy:], row_max[:-dy], out=out[dy:])
            elif dy < 0:
                np.maximum(out[:dy], row_max[-dy:], out=out[:dy])
            else:
                np.maximum(out, row_max, out=out)
    return out


# ------------------------------------------------------------------------------- undoable edits

class MaskEditor:
    """Finds the mask that belongs to the image being worked on and edits it through the canvas undo stack."""

    def __init__(self, state: CanvasState) -> None:
        self.state = state

    # ----- which image, which mask ----------------------------------------------------------------
    def target_image(self) -> Layer | None:
        """The picture jobs and masks apply to: the active layer, or the one an active mask was made for."""
        active = self.state.active_layer()
        if active is None or active.kind != "mask":
            return active
        if self.state.has_layer(active.source_id):
            return self.state.layer(active.source_id)  # type: ignore[arg-type]
        below = self.state.layers[: self.state.index_of(active.id)]
        pictures = [layer for layer in below if layer.kind != "mask"]
        return pictures[-1] if pictures else None

    def current_mask(self) -> Layer | None:
        """The active mask; else the top mask made for the target image; else the top mask of its size."""
        active = self.state.active_layer()
        if active is not None and active.kind == "mask":
            return active
        image = self.target_image()
        if image is None:
            return None
        masks = [layer for layer in reversed(self.state.layers) if layer.kind == "mask"]
        own = [m for m in masks if m.source_id == image.id and m.size == image.size]
        same_size = [m for m in masks if m.size == image.size]
        return (own or same_size or [None])[0]

    def current_values(self) -> np.ndarray | None:
        mask = self.current_mask()
        return None if mask is None else mask_values(mask.image)

    # ----- edits ----------------------------------------------------------------------------------
    def new_mask(self, values: np.ndarray | None = None, name: str = "Mask", for_layer: int | None = None) -> int:
        """Add a mask layer for ``for_layer`` (default: the target image), empty or holding ``values``."""
        image = self.state.layer(for_layer) if for_layer is not None else self.target_image()
        if image is None:
            raise BadInput("Open an image before making a mask.")
        if values is None:
            values = np.zeros((image.image.height, image.image.width), np.uint8)
        elif values.shape != (image.image.height, image.image.width) or values.dtype != np.uint8:
            raise ValueError(f"mask values must be ({image.image.height}, {image.image.width}) uint8, "
                             f"got {values.shape} {values.dtype}")
        return self.state.add_layer(mask_image(values, name), name, kind="mask", source_id=image.id)

    def stroke(self, points: Sequence[Point], size: float, hardness: float, erase: bool = False) -> int:
        """Paint one brush (or eraser) stroke along ``points`` (mask pixels); one undo step. Returns the mask id.

        With no mask yet, the stroke makes one (the new layer and the stroke undo together).
        """
        size = float(min(max(size, 1.0), MAX_BRUSH_PX))
        hardness = float(min(max(hardness, 0.0), 1.0))
        mask = self.current_mask()
        if mask is None:
            image = self.target_image()
            if image is None:
                raise BadInput("Open an image before painting a mask.")
            stack = self.state.undo_stack
            stack.beginMacro("Eraser stroke" if erase else "Brush stroke")
            try:
                mask_id = self.new_mask()
                self._set(mask_id, paint_stroke(self.current_values(), points, size, hardness, erase), None)
            finally:
                stack.endMacro()
            return mask_id
        values = paint_stroke(mask_values(mask.image), points, size, hardness, erase)
        self._set(mask.id, values, "Eraser stroke" if erase else "Brush stroke")
        return mask.id

    def clear(self) -> None:
        self._edit("Clear mask", np.zeros_like)

    def invert(self) -> None:
        self._edit("Invert mask", lambda m: 255 - m)

    def grow(self, pixels: int) -> None:
        """Grow (positive) or shrink (negative) the mask by ``pixels``."""
        if pixels == 0:
            return
        verb = "Grow" if pixels > 0 else "Shrink"
        self._edit(f"{verb} mask by {abs(pixels)} px", lambda m: grow(m, pixels))

    def import_image(self, image: ImageBuffer, source: str = "auto") -> int:
        """Replace the current mask (or make one) with a picture's alpha or luminance; one undo step."""
        target = self.target_image()
        if target is None:
            raise BadInput("Open an image before importing a mask.")
        values = mask_from_image(image, target.size, source)
        mask = self.current_mask()
        if mask is None:
            return self.new_mask(values, name=f"Mask ({image.name})")
        self._set(mask.id, values, f"Import mask {image.name}")
        return mask.id

    def set_visible(self, visible: bool) -> None:
        mask = self.current_mask()
        if mask is not None:
            self.state.set_visible(mask.id, visible)

    # ----- internals ------------------------------------------------------------------------------
    def _edit(self, text: str, change) -> None:
        mask = self.current_mask()
        if mask is None:
            raise BadInput("There is no mask yet: turn on the mask tool (M) and brush over the image.")
        self._set(mask.id, change(mask_values(mask.image)).astype(np.uint8), text)

    def _set(self, mask_id: int, values: np.ndarray, text: str | None) -> None:
        layer = self.state.layer(mask_id)
        self.state.set_layer_image(mask_id, mask_image(values, layer.image.name), text or f"Edit {layer.name}")
