"""Blending an engine's output into the input through a user mask (numpy + OpenCV; no torch, no Qt)."""

from __future__ import annotations

import cv2
import numpy as np

from genai_studio.core.media import MASK_PAINTED_MIN

FEATHER_PX = 3.0  # Gaussian sigma of the ramp across a mask's edge


def feather(mask: np.ndarray, sigma: float = FEATHER_PX) -> np.ndarray:
    """(H, W) bool → (H, W) float32 weight: 1 on the mask, a smooth ramp just outside it, 0 further away.

    The whole selected area keeps full effect; the ramp lies mostly outside what the user brushed.
    """
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return np.maximum(soft, mask.astype(np.float32)).clip(0.0, 1.0)


def mask_weight(mask: np.ndarray, ramp_px: float = FEATHER_PX) -> np.ndarray:
    """(H, W) uint8 user mask → (H, W) float32 blend weight that is 0 wherever nothing was painted.

    The mask's own values set the weight, so a soft brush edge or a half-opacity stroke blends softly; a hard
    edge is eased over ``ramp_px`` *inside* the painted area (distance to the nearest unpainted pixel), so the
    effect fades in instead of stopping at a seam while everything outside stays exactly as it was.
    """
    painted = (mask >= MASK_PAINTED_MIN).astype(np.uint8)
    inside_px = cv2.distanceTransform(painted, cv2.DIST_L2, 3)  # 0 outside; 1 on the edge's inner pixels
    return (painted * mask.astype(np.float32) / 255.0) * np.clip(inside_px / ramp_px, 0.0, 1.0)
