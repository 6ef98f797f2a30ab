"""Showing a generator's small native images (32–64 px) at the requested size through the project's upscaler.

Generators draw at their native resolution; a 256 px result is that image enlarged. Bicubic enlargement of a
64 px emoji gives a soft, ringing picture, so when the requested size is at least twice the native one the
images go through a x4 upscaler first (the store's ``realesr-animevideov3-x4``, SRVGGNetCompact, made for
flat illustration: about 10 ms per 64 px image on a CPU), then to the exact size with an area or bicubic
resize. Without an upscaler (or for small sizes) it is plain bicubic. Images are (N, px, px, 3) uint8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genai_studio.core.manifest import ModelManifest
from genai_studio.core.progress import ProgressToken


def bicubic(images: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    if images.shape[1] == size:
        return images
    method = Image.BICUBIC if size > images.shape[1] else Image.LANCZOS
    return np.stack([np.asarray(Image.fromarray(im).resize((size, size), method), np.uint8) for im in images])


class DisplayUpscaler:
    """Enlarges batches of native-size images; ``name`` says how (for the result's notes)."""

    def __init__(self, upscaler: tuple[ModelManifest, Path] | None, device: torch.device,
                 token: ProgressToken) -> None:
        self._net = None
        self.name = "bicubic"
        if upscaler is None:
            return
        from genai_studio.engines.restore.upscale import load_network, resolve_weights

        manifest, weights = upscaler
        weights = resolve_weights(manifest, Path(weights), token.sub(0.0, 0.05))
        self._net = load_network(manifest, weights, device)
        self._scale = manifest.scale
        self._device = device
        self.name = manifest.name

    @torch.no_grad()
    def to_size(self, images: np.ndarray, size: int) -> np.ndarray:
        """(N, px, px, 3) uint8 → (N, size, size, 3) uint8."""
        px = images.shape[1]
        if self._net is None or size < 2 * px:
            return bicubic(images, size)
        dtype = next(self._net.parameters()).dtype
        x = torch.from_numpy(images).permute(0, 3, 1, 2).to(self._device, dtype).div(255)  # (N, 3, px, px)
        y = self._net(x).float().clamp(0, 1).mul(255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        return bicubic(np.ascontiguousarray(y), size)  # x4 → exact size (area-like when shrinking)
