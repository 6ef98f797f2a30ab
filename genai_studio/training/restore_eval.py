"""Held-out evaluation of the restoration models (``train restore`` scores what it ships with these; the tests too).

Each task against its classical baseline on the held-out photos (never trained on): denoise vs OpenCV NLM with a
tuned h, JPEG vs the decoded JPEG, faithful x4 vs bicubic (PSNR-Y), inpaint vs OpenCV Telea inside square holes,
colorize vs the grayscale input. Images are uint8 (H, W, 3); models run on the CPU, whole image at once.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

from genai_studio.training import restore_degrade as dg
from genai_studio.training.restore_train import keep_luma

EVAL_SIGMAS = (15, 25, 50)
EVAL_QUALITIES = (10, 20, 40)
NLM_H_FACTORS = (0.5, 0.65, 0.8, 0.95, 1.1)  # OpenCV NLM filter strength h = factor * sigma, best one kept


def run_model(model: nn.Module, img: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) in → uint8 (H*s, W*s, 3) out, on the CPU, whole image at once."""
    x = torch.from_numpy(np.array(img)).permute(2, 0, 1)[None].float().div(255.0)  # (1, 3, H, W)
    with torch.inference_mode():
        y = model(x.to(next(model.parameters()).device)).clamp(0, 1)
    return (y[0].permute(1, 2, 0).cpu().numpy() * 255.0).round().astype(np.uint8)


def inpaint_image(model: nn.Module, img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """As the engine fills with a 4-channel model: membrane-prefilled photo + mask in, the RGB output taken
    inside the hole only; uint8 (H, W, 3)."""
    x = torch.from_numpy(dg.with_hole(img, hole)).permute(2, 0, 1)[None].float().div(255.0)  # (1, 4, H, W)
    with torch.inference_mode():
        y = model(x.to(next(model.parameters()).device))[:, :3].clamp(0, 1)
    out = (y[0].permute(1, 2, 0).cpu().numpy() * 255.0).round().astype(np.uint8)
    return np.where(hole[..., None], out, img)


EVAL_HOLE_SIDES = (8, 24, 48)  # px: square holes, three per photo, as `bench restore` uses


def eval_holes(side: int, size: int, seed: int) -> np.ndarray:
    """(size, size) bool: three seeded ``side``-px squares."""
    rng = np.random.default_rng(seed)
    hole = np.zeros((size, size), bool)
    for _ in range(3):
        y, x = rng.integers(4, size - side - 4, 2)
        hole[y:y + side, x:x + side] = True
    return hole


def psnr_in(ref: np.ndarray, out: np.ndarray, region: np.ndarray) -> float:
    mse = float(np.mean((ref[region].astype(np.float64) - out[region].astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def colorize_image(model: nn.Module, img: np.ndarray) -> np.ndarray:
    """As the engine colorizes: float luma ×3 in, the model's colour with that luma put back, uint8 out."""
    luma = img.astype(np.float32) @ np.asarray(dg.LUMA_WEIGHTS, np.float32) / 255.0
    x = torch.from_numpy(np.repeat(luma[..., None], 3, axis=2)).permute(2, 0, 1)[None]
    with torch.inference_mode():
        y = keep_luma(model(x.to(next(model.parameters()).device)).float().cpu(), x).clamp(0, 1)
    return (y[0].permute(1, 2, 0).numpy() * 255.0).round().astype(np.uint8)


CHROMA_GAINS = tuple(round(0.3 + 0.05 * i, 2) for i in range(15))  # 0.3 … 1.0


def calibrate_chroma_gain(model: nn.Module, photos: dict[str, np.ndarray],
                          log: Callable[[str], None] = print) -> float:
    """Scale the colorizer's chroma by the gain in CHROMA_GAINS with the best mean PSNR on ``photos``; returns it.

    NAFNet's output is ``ending(features) + input``; the engine keeps the input's luma, so multiplying the last
    conv's weight and bias by g multiplies the colour the model adds by exactly g (the slider's strength)."""
    if not photos:
        log("no calibration photos: chroma gain 1")
        return 1.0
    was = {k: colorize_image(model, img).astype(np.float64) for k, img in photos.items()}
    scores = []
    for g in CHROMA_GAINS:
        ps = []
        for k, img in photos.items():
            gray = dg.to_gray(img).astype(np.float64)
            out = np.clip(np.rint(gray + g * (was[k] - gray)), 0, 255).astype(np.uint8)
            ps.append(psnr_ssim(img, out)[0])
        scores.append(float(np.mean(ps)))
    gain = CHROMA_GAINS[int(np.argmax(scores))]
    with torch.no_grad():
        model.ending.weight.mul_(gain)
        model.ending.bias.mul_(gain)
    log(f"chroma gain {gain} (calibration PSNR {max(scores):.3f} dB; gain 1: {scores[-1]:.3f} dB) on "
        f"{', '.join(photos)}")
    return float(gain)


def colorfulness(img: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness of uint8 RGB (0 for a gray image)."""
    f = img.astype(np.float64)
    rg, yb = f[..., 0] - f[..., 1], 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma on the 16–235 scale (as the SR literature's MATLAB rgb2ycbcr); float64 (H, W)."""
    f = img.astype(np.float64)
    return 16.0 + (65.481 * f[..., 0] + 128.553 * f[..., 1] + 24.966 * f[..., 2]) / 255.0


def psnr_ssim(ref: np.ndarray, out: np.ndarray) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    return (float(peak_signal_noise_ratio(ref, out, data_range=255)),
            float(structural_similarity(ref, out, channel_axis=2, data_range=255)))


def psnr_ssim_y(ref: np.ndarray, out: np.ndarray, border: int) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    a = rgb_to_y(ref)[border:-border, border:-border]
    b = rgb_to_y(out)[border:-border, border:-border]
    return (float(peak_signal_noise_ratio(a, b, data_range=255)),
            float(structural_similarity(a, b, data_range=255)))


def nlm_denoise(noisy: np.ndarray, h: float) -> np.ndarray:
    import cv2

    return cv2.fastNlMeansDenoisingColored(noisy, None, h, h, 7, 21)


def _seed_for(key: str, level: float) -> int:
    return int.from_bytes(key.encode(), "little") % 2**31 + int(level * 1000)


def evaluate(model: nn.Module, task: str, heldout: dict[str, np.ndarray],
             log: Callable[[str], None] = print) -> dict:
    """Mean PSNR/SSIM over the held-out photos, the model vs the classical baseline, per level.

    denoise: vs OpenCV fastNlMeansDenoisingColored with h tuned per sigma on these same photos (generous to
    the baseline); jpeg: vs the decoded JPEG itself; sr4: PSNR-Y/SSIM-Y (4 px border cut) vs bicubic upscaling;
    colorize: vs the grayscale input, plus colourfulness of output, input (0) and truth; inpaint: PSNR inside
    square holes of EVAL_HOLE_SIDES px vs OpenCV Telea.
    """
    model.eval()
    quality: dict = {"heldout": sorted(heldout)}
    if task == "denoise":
        quality["metric"] = "RGB PSNR (dB) / SSIM on held-out photos vs OpenCV NLM with tuned h"
        for sigma in EVAL_SIGMAS:
            noisy = {k: dg.add_gaussian_noise(img, sigma, np.random.default_rng(_seed_for(k, sigma)))
                     for k, img in heldout.items()}
            ours = [psnr_ssim(img, run_model(model, noisy[k])) for k, img in heldout.items()]
            best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
            for factor in NLM_H_FACTORS:
                scores = [psnr_ssim(img, nlm_denoise(noisy[k], factor * sigma)) for k, img in heldout.items()]
                mean = (float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores])))
                if mean[0] > best[0]:
                    best = (mean[0], mean[1], factor * sigma)
            inp = [psnr_ssim(img, noisy[k]) for k, img in heldout.items()]
            quality[f"sigma{sigma}"] = _level_entry(ours, best[0], best[1], inp, {"nlm_h": round(best[2], 2)})
            log(f"sigma {sigma}: {quality[f'sigma{sigma}']}")
    elif task == "jpeg":
        quality["metric"] = "RGB PSNR (dB) / SSIM on held-out photos vs the decoded JPEG (Pillow, 4:2:0)"
        for q in EVAL_QUALITIES:
            comp = {k: dg.jpeg_compress(img, q) for k, img in heldout.items()}
            ours = [psnr_ssim(img, run_model(model, comp[k])) for k, img in heldout.items()]
            inp = [psnr_ssim(img, comp[k]) for k, img in heldout.items()]
            quality[f"q{q}"] = _level_entry(ours, float(np.mean([s[0] for s in inp])),
                                            float(np.mean([s[1] for s in inp])), inp, {})
            log(f"quality {q}: {quality[f'q{q}']}")
    elif task == "inpaint":
        import cv2

        quality["metric"] = ("RGB PSNR (dB) inside the hole on held-out photos (three square holes each) vs "
                             "OpenCV Telea inpainting (radius 5); SSIM of the whole image")
        for side in EVAL_HOLE_SIDES:
            ours, base = [], []
            for k, img in heldout.items():
                hole = eval_holes(side, min(img.shape[:2]), _seed_for(k, side))[:img.shape[0], :img.shape[1]]
                out = inpaint_image(model, img, hole)
                telea = cv2.inpaint(img, hole.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
                ours.append((psnr_in(img, out, hole), psnr_ssim(img, out)[1]))
                base.append((psnr_in(img, telea, hole), psnr_ssim(img, telea)[1]))
            quality[f"holes{side}"] = _level_entry(ours, float(np.mean([s[0] for s in base])),
                                                   float(np.mean([s[1] for s in base])), None, {})
            log(f"holes {side}px: {quality[f'holes{side}']}")
    elif task == "colorize":
        quality["metric"] = ("RGB PSNR (dB) / SSIM on held-out photos of the output with the input's luma kept "
                             "(as the engine does) vs the grayscale input (BT.601 luma x3); Hasler-Susstrunk "
                             "colourfulness (0-255 scale) of output, gray input (0) and ground truth")
        ours, inp, per_photo = [], [], {}
        for k, img in heldout.items():
            gray = dg.to_gray(img)
            out = colorize_image(model, img)
            ours.append(psnr_ssim(img, out))
            inp.append(psnr_ssim(img, gray))
            per_photo[k] = {"psnr": round(ours[-1][0], 3), "input_psnr": round(inp[-1][0], 3),
                            "colorfulness": round(colorfulness(out), 2),
                            "truth_colorfulness": round(colorfulness(img), 2)}
        entry = _level_entry(ours, float(np.mean([s[0] for s in inp])), float(np.mean([s[1] for s in inp])),
                             None, {})
        entry["colorfulness"] = round(float(np.mean([p["colorfulness"] for p in per_photo.values()])), 2)
        entry["input_colorfulness"] = 0.0
        entry["truth_colorfulness"] = round(float(np.mean([p["truth_colorfulness"]
                                                           for p in per_photo.values()])), 2)
        quality["gray"] = entry
        quality["per_photo"] = per_photo
        log(f"colorize: {entry}")
    else:
        quality["metric"] = "PSNR-Y (dB) / SSIM-Y (BT.601, 4 px border cut) on held-out photos vs bicubic x4"
        ours, base = [], []
        for img in heldout.values():
            hr = dg.crop_to_multiple(img, 4)
            lr = dg.downscale(hr, 4)
            ours.append(psnr_ssim_y(hr, run_model(model, lr), 4))
            base.append(psnr_ssim_y(hr, dg.bicubic_resize(lr, hr.shape[1], hr.shape[0]), 4))
        quality["x4"] = _level_entry(ours, float(np.mean([s[0] for s in base])),
                                     float(np.mean([s[1] for s in base])), None, {})
        log(f"x4: {quality['x4']}")
    return quality


def _level_entry(ours: list[tuple[float, float]], base_psnr: float, base_ssim: float,
                 inp: list[tuple[float, float]] | None, extra: dict) -> dict:
    psnr = float(np.mean([s[0] for s in ours]))
    entry = {"psnr": round(psnr, 3), "ssim": round(float(np.mean([s[1] for s in ours])), 4),
             "baseline_psnr": round(base_psnr, 3), "baseline_ssim": round(base_ssim, 4),
             "gain_db": round(psnr - base_psnr, 3)}
    if inp is not None:
        entry["input_psnr"] = round(float(np.mean([s[0] for s in inp])), 3)
    entry.update(extra)
    return entry


