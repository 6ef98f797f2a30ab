"""Exports carry provenance: the job spec that made a result rides along in PNG (8/16-bit) and WebP files."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio.images import load_image, read_provenance, save_image

SPEC = {"type": "UpscaleSpec", "model_id": "realesrgan-x4plus", "scale": 4, "tile": 192, "note": "café ☕ \"quoted\" <x>"}


@pytest.mark.parametrize("ext,dtype", [(".png", np.uint8), (".png", np.uint16), (".webp", np.uint8)])
def test_spec_round_trips_through_the_file(tmp_path, ext, dtype):
    peak = 65535 if dtype == np.uint16 else 255
    pixels = (np.random.default_rng(0).random((9, 7, 4)) * peak).astype(dtype)
    path = tmp_path / f"out{ext}"
    save_image(ImageBuffer(pixels, "x"), path, quality=100, provenance=SPEC)
    meta = read_provenance(path)
    assert meta["job"] == SPEC and meta["software"].startswith("GenAI Studio")
    reloaded = load_image(path).pixels
    if ext == ".png":
        assert np.array_equal(reloaded, pixels)  # metadata never disturbs the pixels


def test_no_provenance_when_none_given(tmp_path):
    path = tmp_path / "plain.png"
    save_image(ImageBuffer(np.zeros((4, 4, 3), np.uint8)), path)
    assert read_provenance(path) is None
