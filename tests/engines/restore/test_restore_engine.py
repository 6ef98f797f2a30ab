"""The restore engine: classical methods, model path, masks, strength and every image mode."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from genai_studio.core.errors import BadInput, Cancelled, ModelError
from genai_studio.core.manifest import read_manifest
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.core.restore_jobs import CLASSICAL, RestoreSpec
from genai_studio.engines.restore import classical
from genai_studio.engines.restore.restore_run import run_restore
from genai_studio.paths import BUILTIN_MODELS_DIR

from .conftest import photo


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def _noisy(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, clean.shape)
    return np.clip(clean + noise, 0, 255).round().astype(np.uint8)


def _run(image, **kw):
    return run_restore(RestoreSpec(image=image, **kw), CancelToken())


def test_noise_estimate_is_close_to_the_truth():
    clean = photo("astronaut", 128)
    for sigma in (15, 25, 50):
        est = classical.estimate_noise_sigma(_noisy(clean, sigma).astype(np.float32) / 255) * 255
        assert abs(est - sigma) < 0.25 * sigma, (sigma, est)


def test_classical_denoise_gains_psnr_and_strength_zero_is_identity():
    clean = photo("coffee")
    noisy = _noisy(clean, 25)
    out = _run(ImageBuffer(noisy), task="denoise", model_id=CLASSICAL).image.pixels
    assert _psnr(out, clean) > _psnr(noisy, clean) + 2.0  # measured +3.4 dB on this crop
    same = _run(ImageBuffer(noisy), task="denoise", model_id=CLASSICAL, strength=0.0).image.pixels
    assert np.array_equal(same, noisy)


def test_mask_limits_the_effect_with_an_inward_feathered_edge_and_soft_strokes():
    """"Only inside the mask" means it: every pixel outside what was painted is untouched; a hard edge fades
    in over a few pixels inside, and a half-opacity stroke gives about half the effect."""
    noisy = _noisy(photo("coffee"), 25)
    mask = np.zeros(noisy.shape[:2], np.uint8)
    mask[:, :48] = 255
    mask[:, 80:100] = 128  # a soft (half-opacity) stroke
    mask[:, 120:] = 5  # JPEG noise in a black mask: not a stroke
    out = _run(ImageBuffer(noisy), task="denoise", model_id=CLASSICAL, mask=mask).image.pixels.astype(int)
    diff = np.abs(out - noisy).mean(axis=(0, 2))  # per column
    assert np.all(diff[48:80] == 0) and np.all(diff[100:] == 0)  # outside the strokes: untouched
    assert diff[:40].mean() > 5  # inside: denoised
    assert 0 < diff[47] < diff[46] < diff[40]  # the hard edge fades in from the inside
    assert 0.3 < diff[86:94].mean() / diff[:40].mean() < 0.7  # a half-opacity stroke: about half the effect
    faint = np.full(noisy.shape[:2], 100, np.uint8)  # painted, but too faint to mark a hole
    with pytest.raises(BadInput, match="too faint to mark a hole"):
        _run(ImageBuffer(noisy), task="inpaint", mask=faint)


def test_grayscale_alpha_and_16_bit_are_kept():
    gray = np.repeat(_noisy(photo("camera")[..., :1], 20), 3, axis=2)
    out = _run(ImageBuffer(gray), task="denoise", model_id=CLASSICAL).image.pixels
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    rgba16 = np.concatenate([_noisy(photo(), 20).astype(np.uint16) * 257,
                             np.random.default_rng(1).integers(0, 65535, (96, 96, 1), dtype=np.uint16)], axis=2)
    res = _run(ImageBuffer(rgba16), task="denoise", model_id=CLASSICAL).image.pixels
    assert res.dtype == np.uint16 and res.shape == (96, 96, 4)
    assert np.array_equal(res[..., 3], rgba16[..., 3])
    assert not np.array_equal(res[..., :3], rgba16[..., :3])


@pytest.mark.parametrize("method", ["", "classical-telea", "classical-ns", CLASSICAL])
def test_inpaint_fills_only_the_hole_and_blends(method):
    clean = photo("chelsea")
    mask = np.zeros(clean.shape[:2], np.uint8)
    mask[40:56, 30:50] = 255
    damaged = clean.copy()
    damaged[mask > 0] = (255, 0, 255)
    out = _run(ImageBuffer(damaged), task="inpaint", model_id=method, mask=mask).image.pixels
    assert np.array_equal(out[mask == 0], damaged[mask == 0])
    assert _psnr(out[mask > 0], clean[mask > 0]) > 20  # measured 24–26 dB; the magenta fill is ~8 dB


def test_membrane_fill_obeys_the_maximum_principle_on_wide_holes():
    # a harmonic fill never leaves the range of the colours around the hole, however wide the hole
    clean = photo("coffee", 128)
    mask = np.zeros(clean.shape[:2], np.uint8)
    mask[30:70, 40:90] = 255
    ours = _run(ImageBuffer(clean), task="inpaint", model_id="", mask=mask).image.pixels.astype(int)
    ring = (cv2.dilate(mask, np.ones((5, 5), np.uint8)) > 0) & (mask == 0)
    for c in range(3):
        inside = ours[..., c][mask > 0]
        border = clean[..., c][ring].astype(int)
        assert border.min() - 2 <= inside.min() and inside.max() <= border.max() + 2
    assert np.abs(np.diff(ours[30:70, 40:90], axis=1)).max() < 40  # smooth: no blocks from the coarse levels


def test_bad_masks_and_missing_models_are_clear_errors():
    image = ImageBuffer(photo())
    with pytest.raises(BadInput, match="covers the whole image"):
        _run(image, task="inpaint", model_id="", mask=np.full((96, 96), 255, np.uint8))
    with pytest.raises(ValueError, match="mask is 10×96 but the image is 96×96"):
        RestoreSpec(image=image, task="denoise", mask=np.full((96, 10), 255, np.uint8))
    with pytest.raises(ValueError, match="empty"):
        RestoreSpec(image=image, task="inpaint", mask=np.zeros((96, 96), np.uint8))
    with pytest.raises(ModelError, match="no colorization model is installed yet"):
        _run(image, task="colorize", model_id=CLASSICAL)
    with pytest.raises(ModelError, match="not a classical denoise method"):
        _run(image, task="denoise", model_id="membrane")


def test_random_init_model_runs_tiled_like_untiled(model_dir):
    manifest = read_manifest(model_dir / "test-denoise.json")
    weights = model_dir / "test-denoise.safetensors"
    image = ImageBuffer(_noisy(photo("astronaut", 80), 15))
    whole = run_restore(RestoreSpec(image=image, task="denoise", model_id="test-denoise", tile=0),
                        CancelToken(), manifest, weights)
    tiled = run_restore(RestoreSpec(image=image, task="denoise", model_id="test-denoise", tile=32),
                        CancelToken(), manifest, weights)
    assert whole.image.pixels.shape == (80, 80, 3)
    assert np.abs(whole.image.pixels.astype(int) - tiled.image.pixels.astype(int)).max() <= 1
    assert whole.image.metadata["model"] == "test-denoise"
    with pytest.raises(ModelError, match="not a jpeg model"):
        run_restore(RestoreSpec(image=image, task="jpeg", model_id="x"), CancelToken(), manifest, weights)


def test_cancel_stops_a_tiled_run(model_dir):
    manifest = read_manifest(model_dir / "test-denoise.json")

    def cancel_on_tile_2(fraction, message, preview):
        if message.startswith("tile 2/"):
            token.cancel()

    token = CancelToken(cancel_on_tile_2)
    spec = RestoreSpec(image=ImageBuffer(photo()), task="denoise", model_id="m", tile=32)
    with pytest.raises(Cancelled):
        run_restore(spec, token, manifest, model_dir / "test-denoise.safetensors")


@pytest.mark.parametrize("task,sigma_or_q", [("denoise", 25), ("jpeg", 20)])
def test_trained_model_beats_the_classical_baseline(task, sigma_or_q):
    path = BUILTIN_MODELS_DIR / f"restore-{task}.json"
    if not path.is_file():
        pytest.skip(f"the trained {task} model is not installed yet")
    manifest = read_manifest(path)
    weights = path.parent / manifest.files[0].name
    if not weights.is_file():
        pytest.skip(f"{weights.name} is not present")
    clean = photo("rocket", 128)
    if task == "denoise":
        degraded = _noisy(clean, sigma_or_q)
    else:
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(clean).save(buf, "JPEG", quality=sigma_or_q)
        degraded = np.asarray(Image.open(buf).convert("RGB"))
    image = ImageBuffer(degraded)
    learned = run_restore(RestoreSpec(image=image, task=task, model_id=manifest.id), CancelToken(), manifest, weights)
    baseline = _run(image, task=task, model_id=CLASSICAL)
    assert _psnr(learned.image.pixels, clean) > _psnr(baseline.image.pixels, clean)
