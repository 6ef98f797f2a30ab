"""The synthetic damage the restoration models learn to undo, applied to clean photos: Gaussian noise, JPEG
compression, bicubic downscaling, holes (with the membrane prefill the inpainter refines) and grayscale.

Everything works on uint8 RGB (H, W, 3) arrays, like real files, and is deterministic for a given seed.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from genai_studio.core.errors import BadInput


def add_gaussian_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Additive white Gaussian noise; ``sigma`` on the 0–255 scale; clipped and rounded back to uint8."""
    if sigma < 0:
        raise BadInput(f"Noise sigma must be ≥ 0, got {sigma}.")
    noisy = img.astype(np.float32) + rng.normal(0.0, sigma, img.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def jpeg_compress(img: np.ndarray, quality: int) -> np.ndarray:
    """Encode + decode with Pillow's baseline JPEG (4:2:0 chroma) at ``quality`` 1–95."""
    if not 1 <= quality <= 95:
        raise BadInput(f"JPEG quality must be 1–95, got {quality}.")
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"), dtype=np.uint8)


def crop_to_multiple(img: np.ndarray, scale: int) -> np.ndarray:
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def bicubic_resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pillow bicubic (antialiased when shrinking), uint8 in and out."""
    return np.asarray(Image.fromarray(img).resize((width, height), Image.Resampling.BICUBIC), dtype=np.uint8)


def downscale(img: np.ndarray, scale: int) -> np.ndarray:
    """The low-resolution input of a faithful SR pair: bicubic shrink by ``scale`` (crop to a multiple first)."""
    img = crop_to_multiple(img, scale)
    return bicubic_resize(img, img.shape[1] // scale, img.shape[0] // scale)


MAX_HOLE_FRACTION = 0.4  # random holes never cover more of a training crop than this


def random_holes(side: int, rng: np.random.Generator) -> np.ndarray:
    """(side, side) bool hole mask of a random kind, for inpainting training:
    boxes (1–3, 6 px to half the side; what users brush out), strokes (1–4 thick polylines 2–15 px wide;
    scratches, tears, brush strokes) or dust (5–40 specks of radius 1–4 px), or a mix. Never empty, never
    more than MAX_HOLE_FRACTION of the crop."""
    import cv2

    while True:
        hole = np.zeros((side, side), np.uint8)
        kinds = [("boxes", "strokes", "dust")[int(rng.integers(3))]]
        if rng.random() < 0.25:
            kinds.append(("boxes", "strokes", "dust")[int(rng.integers(3))])
        for kind in kinds:
            if kind == "boxes":
                for _ in range(int(rng.integers(1, 4))):
                    h, w = rng.integers(6, max(7, side // 2) + 1, 2)
                    y, x = rng.integers(0, side - h + 1), rng.integers(0, side - w + 1)
                    hole[y:y + h, x:x + w] = 1
            elif kind == "strokes":
                for _ in range(int(rng.integers(1, 5))):
                    points = rng.integers(0, side, (int(rng.integers(2, 5)), 2)).astype(np.int32)
                    cv2.polylines(hole, [points], False, 1, int(rng.integers(2, 16)))
            else:
                for _ in range(int(rng.integers(5, 41))):
                    cx, cy = (int(v) for v in rng.integers(0, side, 2))
                    cv2.circle(hole, (cx, cy), int(rng.integers(1, 5)), 1, -1)
        if 0 < hole.mean() <= MAX_HOLE_FRACTION:
            return hole.astype(bool)


def with_hole(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The inpainting network's input: (H, W, 4) uint8 = the photo with the hole prefilled by the classical
    membrane fill (from the known pixels only; the network learns the correction) and the hole × 255."""
    from genai_studio.engines.restore.classical import inpaint_membrane

    prefilled = inpaint_membrane(img.astype(np.float32) / 255.0, hole)
    rgb = np.clip(np.rint(prefilled * 255.0), 0, 255).astype(np.uint8)
    return np.concatenate([rgb, hole[..., None].astype(np.uint8) * 255], axis=2)


LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # BT.601, as the restore engine's colorize step


def to_gray(img: np.ndarray) -> np.ndarray:
    """The colorization input: BT.601 luma, rounded, repeated to 3 channels; uint8 (H, W, 3)."""
    luma = img.astype(np.float32) @ np.asarray(LUMA_WEIGHTS, np.float32)
    return np.repeat(np.clip(np.rint(luma), 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def bicubic_round_trip_db(img: np.ndarray, scale: int) -> float:
    """PSNR (dB) of ``img``'s full-range BT.601 luma (0–255; not the 16–235 PSNR-Y of the SR metrics) against
    itself shrunk by ``scale`` and enlarged back, both bicubic: how little detail finer than ``scale`` pixels it
    holds (inf for a flat image)."""
    img = crop_to_multiple(img, scale)
    back = bicubic_resize(downscale(img, scale), img.shape[1], img.shape[0])
    luma = np.asarray(LUMA_WEIGHTS, np.float32)
    mse = float(np.mean((img.astype(np.float32) @ luma - back.astype(np.float32) @ luma) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def degrade(img: np.ndarray, task: str, level: float, rng: np.random.Generator) -> np.ndarray:
    """One degradation: task "denoise" (level = sigma), "jpeg" (level = quality), "sr4" or "colorize" (level
    ignored; colorize = the photo turned grayscale)."""
    if task == "denoise":
        return add_gaussian_noise(img, level, rng)
    if task == "jpeg":
        return jpeg_compress(img, int(level))
    if task == "sr4":
        return downscale(img, 4)
    if task == "colorize":
        return to_gray(img)
    raise BadInput(f"Unknown restoration task '{task}' (denoise, jpeg, sr4 or colorize).")
