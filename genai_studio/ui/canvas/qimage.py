"""Conversions between ImageBuffer (numpy) and QImage, plus a per-layer cache of display images."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from genai_studio.core.media import ImageBuffer

_DEEP_FORMATS = (
    QImage.Format.Format_RGBX64,
    QImage.Format.Format_RGBA64,
    QImage.Format.Format_RGBA64_Premultiplied,
)


def to_qimage(image: ImageBuffer) -> QImage:
    """An 8-bit, non-premultiplied QImage that owns a copy of the pixels.

    16-bit buffers are rounded to 8 bits: screens show 8 bits, the layer keeps its full depth.
    """
    pixels = np.ascontiguousarray(image.to_uint8())  # (H, W, 3|4) uint8
    height, width, channels = pixels.shape
    fmt = QImage.Format.Format_RGBA8888 if channels == 4 else QImage.Format.Format_RGB888
    # The wrapping QImage borrows numpy's memory; .copy() detaches it before the array can go away.
    return QImage(pixels.data, width, height, width * channels, fmt).copy()


def to_display_qimage(image: ImageBuffer) -> QImage:
    """A QImage in the format the raster paint engine draws fastest (premultiplied ARGB32 / RGB32)."""
    target = QImage.Format.Format_ARGB32_Premultiplied if image.has_alpha else QImage.Format.Format_RGB32
    return to_qimage(image).convertToFormat(target)


def from_qimage(qimage: QImage, name: str = "pasted image") -> ImageBuffer:
    """Any QImage -> ImageBuffer: RGBA when it has an alpha channel, uint16 when it is a 16-bit format."""
    if qimage.isNull():
        raise ValueError("cannot convert a null QImage")
    deep = qimage.format() in _DEEP_FORMATS
    alpha = qimage.hasAlphaChannel()
    if deep:
        converted, dtype, bytes_per_sample = qimage.convertToFormat(QImage.Format.Format_RGBA64), np.uint16, 2
    else:
        converted, dtype, bytes_per_sample = qimage.convertToFormat(QImage.Format.Format_RGBA8888), np.uint8, 1
    width, height = converted.width(), converted.height()
    row_bytes = converted.bytesPerLine()  # rows may be padded beyond width * 4 samples
    raw = np.frombuffer(converted.constBits(), dtype=np.uint8, count=row_bytes * height)
    rows = raw.reshape(height, row_bytes)[:, : width * 4 * bytes_per_sample]
    pixels = rows.view(dtype).reshape(height, width, 4)  # native-endian samples
    if not alpha:
        pixels = pixels[..., :3]
    # Copy: until now every array is a view on `converted`, whose memory Qt frees when it goes away.
    return ImageBuffer(np.array(pixels, copy=True, order="C"), name=name)


def thumbnail(image: ImageBuffer, size: int) -> QImage:
    """A QImage at most ``size`` px on its longer side, made from a strided subsample (fast on huge images)."""
    step = max(1, max(image.width, image.height) // (size * 2))
    small = ImageBuffer(np.ascontiguousarray(image.pixels[::step, ::step]), name=image.name)
    return to_qimage(small).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class DisplayCache:
    """Display QImages per layer id, rebuilt only when a layer's pixel buffer object changes."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[ImageBuffer, QImage]] = {}

    def get(self, layer_id: int, image: ImageBuffer) -> QImage:
        entry = self._entries.get(layer_id)
        if entry is None or entry[0] is not image:
            entry = (image, to_display_qimage(image))
            self._entries[layer_id] = entry
        return entry[1]

    def keep_only(self, layer_ids: set[int]) -> None:
        """Forget layers that are gone (keeps memory bounded to the layers on the canvas)."""
        for stale in set(self._entries) - layer_ids:
            del self._entries[stale]
