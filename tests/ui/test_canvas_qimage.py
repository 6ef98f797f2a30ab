"""ImageBuffer <-> QImage conversions and the canvas geometry helpers."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QSizeF
from PySide6.QtGui import QColor, QImage

from genai_studio.core.media import ImageBuffer
from genai_studio.ui.canvas import geometry
from genai_studio.ui.canvas.qimage import DisplayCache, from_qimage, thumbnail, to_qimage


@pytest.mark.parametrize("channels", [3, 4])
def test_round_trip_with_padded_rows(qapp, channels):
    # Width 5 RGB888 rows are 15 bytes, padded by Qt to 16: the conversion must skip the padding.
    px = np.random.default_rng(0).integers(0, 256, (3, 5, channels), dtype=np.uint8)
    back = from_qimage(to_qimage(ImageBuffer(px)))
    gc.collect()
    _ = [QImage(64, 64, QImage.Format.Format_RGB32) for _ in range(20)]  # reuse freed memory if any leaked
    np.testing.assert_array_equal(back.pixels, px)
    assert back.pixels.flags.owndata or back.pixels.base is not None


def test_16bit_buffer_is_shown_as_8bit(qapp):
    px = np.full((2, 2, 3), 65535, np.uint16)
    px[0, 0] = (257 * 10, 257 * 20, 257 * 30)
    q = to_qimage(ImageBuffer(px))
    assert q.format() == QImage.Format.Format_RGB888
    assert QColor(q.pixel(0, 0)).getRgb()[:3] == (10, 20, 30)


def test_16bit_qimage_becomes_uint16(qapp):
    q = QImage(3, 2, QImage.Format.Format_RGBA64)
    q.fill(QColor.fromRgba64(1000, 2000, 3000, 65535))
    buf = from_qimage(q)
    assert buf.pixels.dtype == np.uint16 and buf.pixels.shape == (2, 3, 4)
    assert tuple(buf.pixels[1, 2]) == (1000, 2000, 3000, 65535)


def test_thumbnail_and_cache(qapp):
    image = ImageBuffer(np.zeros((300, 600, 3), np.uint8))
    thumb = thumbnail(image, 40)
    assert (thumb.width(), thumb.height()) == (40, 20)
    cache = DisplayCache()
    first = cache.get(1, image)
    assert cache.get(1, image) is first
    assert cache.get(1, ImageBuffer(np.zeros((2, 2, 3), np.uint8))) is not first
    cache.keep_only(set())
    assert cache.get(1, image) is not first


def test_layer_rect_registers_scaled_results_and_centres_others():
    assert geometry.same_aspect((101, 51), (404, 204))
    assert not geometry.same_aspect((100, 100), (400, 200))
    rect = geometry.layer_rect((101, 51), (404, 204))
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (0, 0, 404, 204)
    rect = geometry.layer_rect((100, 100), (400, 200))
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (150, 50, 100, 100)
    assert geometry.canvas_size([(10, 10), (40, 30), (35, 35)]) == (35, 35)


def test_zoom_about_and_clamp():
    offset = geometry.zoom_about(QPointF(10, 20), 1.0, 2.0, QPointF(110, 120))
    assert (offset.x(), offset.y()) == (-90, -80)  # canvas point (100, 100) stays under the anchor
    clamped = geometry.clamp_offset(QPointF(5000, -5000), QSizeF(100, 100), QSizeF(800, 600), 1.0)
    assert (clamped.x(), clamped.y()) == (800 - geometry.KEEP_VISIBLE_PX, geometry.KEEP_VISIBLE_PX - 100)
