"""Blending an engine's output into the input through a user mask (numpy + OpenCV; no torch, no Qt)."""

from __future__ import annotations

import cv2
import numpy as np

FEATHER_PX = 3.0  # Gaussian sigma of the ramp across a mask's edge


def feather(mask: np.ndarray, sigma: float = FEATHER_PX) -> np.ndarray:
    """(H, W) bool → (H, W) float32 weight: 1 on the mask, a smooth ramp just outside it, 0 further away.

    The whole selected area keeps full effect; the ramp lies mostly outside what the user brushed.
    """
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return np.maximum(soft, mask.astype(np.float32)).clip(0.0, 1.0)
