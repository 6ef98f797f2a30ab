"""Synthetic old-photo damage with its ground truth, for measuring the scratch and dust detector.

Scratches are long lines 1–3 px wide across the picture, bright (emulsion scraped off) or dark (dirt, hair), drawn
at 80–100 % opacity; dust is small round specks 3–5 px across. The truth mask marks every pixel drawn on.
"""

from __future__ import annotations

import cv2
import numpy as np


SCRATCHES, SPECKS = 4, 20  # per photo, by default
DESCRIPTION = f"synthetic, per photo: {SCRATCHES} scratches 1-3 px wide + {SPECKS} dust specks 3-5 px across"


def add_defects(img: np.ndarray, rng: np.random.Generator, scratches: int = SCRATCHES,
                specks: int = SPECKS) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (H, W, 3) photo → (damaged copy, (H, W) bool truth mask)."""
    h, w = img.shape[:2]
    paint = np.zeros((h, w), np.uint8)  # 255 where a defect is drawn
    value = np.zeros((h, w), np.uint8)  # the defect's own grey level there
    opacity = np.zeros((h, w), np.float32)
    for _ in range(scratches):
        # endpoints in opposite quarters, so every scratch runs at least half the picture
        x1, x2 = int(rng.integers(0, w // 4)), int(rng.integers(3 * w // 4, w))
        y1, y2 = int(rng.integers(0, h)), int(rng.integers(0, h))
        if rng.random() < 0.5:  # as many mostly vertical ones (film scratches run along the strip)
            x1, x2 = int(rng.integers(0, w)), int(rng.integers(0, w))
            y1, y2 = int(rng.integers(0, h // 4)), int(rng.integers(3 * h // 4, h))
        one = np.zeros((h, w), np.uint8)
        cv2.line(one, (x1, y1), (x2, y2), 255, int(rng.integers(1, 3)))
        _stamp(one, paint, value, opacity, 240 if rng.random() < 0.5 else 20, float(rng.uniform(0.8, 1.0)))
    for _ in range(specks):
        one = np.zeros((h, w), np.uint8)
        cv2.circle(one, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(1, 3)), 255, -1)
        _stamp(one, paint, value, opacity, 245 if rng.random() < 0.7 else 15, float(rng.uniform(0.8, 1.0)))
    alpha = opacity[..., None]
    damaged = img.astype(np.float32) * (1.0 - alpha) + value[..., None].astype(np.float32) * alpha
    return np.clip(np.rint(damaged), 0, 255).astype(np.uint8), paint > 0


def _stamp(one: np.ndarray, paint: np.ndarray, value: np.ndarray, opacity: np.ndarray, level: int,
           alpha: float) -> None:
    on = one > 0
    paint[on], value[on], opacity[on] = 255, level, alpha


def detection_scores(found: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pixel recall (truth covered), precision (found pixels within 2 px of a defect: the detector grows its
    mask by a pixel so the fill covers soft edges) and F1, for (H, W) bool masks."""
    near = cv2.dilate(truth.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    recall = float((found & truth).sum() / max(1, truth.sum()))
    precision = float((found & near).sum() / max(1, found.sum())) if found.any() else 0.0
    f1 = 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)
    return {"recall": recall, "precision": precision, "f1": f1}
