"""RestoreSpec through the JobRunner (the GUI's path): default methods, classical ids, scratches detect-only."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.errors import ModelError
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.core.restore_jobs import RestoreSpec
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore


@pytest.fixture
def runner(studio_home, tmp_path):
    (tmp_path / "builtin").mkdir()  # no restoration models: the classical methods must serve
    return JobRunner(ModelStore(builtin_dir=tmp_path / "builtin", user_dir=tmp_path / "user"))


def _photo(seed=0, size=48):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    clean = np.stack([0.5 + 0.4 * np.sin(3 * x), 0.5 + 0.3 * np.cos(2 * y), 0.4 + 0.2 * x * y], axis=2)
    noisy = np.clip(clean + rng.normal(0, 25 / 255, clean.shape), 0, 1)
    return clean, ImageBuffer.from_float(noisy, name="noisy")


def _psnr(a, b):
    return 10 * np.log10(1 / np.mean((a - b) ** 2))


def test_denoise_without_a_model_uses_the_classical_method_and_says_so(runner):
    clean, noisy = _photo()
    result = runner(RestoreSpec(image=noisy, task="denoise"), CancelToken())
    assert _psnr(result.image.to_float(), clean) > _psnr(noisy.to_float(), clean) + 3
    assert any("classical" in n for n in result.notes)


def test_inpaint_default_fills_inside_the_mask_only(runner):
    clean, _ = _photo()
    image = ImageBuffer.from_float(clean)
    holed = clean.copy()
    holed[20:28, 20:28] = 0.0
    mask = np.zeros((48, 48), dtype=np.uint8)
    mask[20:28, 20:28] = 255
    result = runner(RestoreSpec(image=ImageBuffer.from_float(holed), task="inpaint", mask=mask), CancelToken())
    out = result.image.to_float()
    assert np.abs(out[20:28, 20:28] - clean[20:28, 20:28]).mean() < 0.05  # filled close to the truth
    assert np.array_equal(result.image.pixels[:10], ImageBuffer.from_float(holed).pixels[:10])  # rest untouched
    assert image.width == 48


def test_scratch_detection_only_returns_the_mask_for_editing(runner):
    clean, _ = _photo(size=96)
    damaged = clean.copy()
    damaged[10:86, 47:49] = 1.0  # a bright vertical scratch
    spec = RestoreSpec(image=ImageBuffer.from_float(damaged), task="scratches", fill=False, sensitivity=0.7)
    result = runner(spec, CancelToken())
    mask = result.image.metadata["defect_mask"]
    assert mask.shape == (96, 96) and mask[20:80, 47:49].mean() > 127


def test_colorize_without_a_model_is_a_clear_model_error(runner):
    _, image = _photo()
    with pytest.raises(ModelError, match="colorization"):
        runner(RestoreSpec(image=image, task="colorize"), CancelToken())
