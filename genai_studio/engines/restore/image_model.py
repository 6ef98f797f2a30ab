"""Run any scale-1 spandrel image-to-image model (denoise, JPEG, colorize …) over an RGB image, tiled.

The loading, model cache, tiling and out-of-memory fallbacks are the upscaler's (engines/restore/upscale.py
and engines/tiling.py); this module only adds what a same-size model needs: the scale check, padding each
tile to the network's size multiple, and a progress preview.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.progress import ProgressToken
from genai_studio.engines import devices
from genai_studio.engines.restore.upscale import load_network, resolve_weights, with_oom_fallback
from genai_studio.engines.tiling import run_tiled

TILE_OVERLAP = 16  # input px of context per tile side (see engines/tiling.py for why 16 is enough)
PREVIEW_SIDE = 256


def _padded(net: torch.nn.Module, multiple: int, dtype: torch.dtype):
    """``net`` on a tile reflect-padded up to ``multiple`` (some architectures downsample inside), cropped back."""

    def forward(tile: torch.Tensor) -> torch.Tensor:  # (1, 3, h, w) float32 in [0, 1]
        h, w = tile.shape[-2:]
        ph, pw = (-h) % multiple, (-w) % multiple
        x = tile.to(dtype)
        if ph or pw:
            mode = "reflect" if ph < h and pw < w else "replicate"
            x = F.pad(x, (0, pw, 0, ph), mode=mode)
        return net(x)[..., :h, :w].float().clamp_(0, 1)

    return forward


def _preview(accum: torch.Tensor, weight: torch.Tensor) -> np.ndarray:
    """(h, w, 3) uint8 thumbnail of the result so far; tiles not yet run are black."""
    step = max(1, max(accum.shape[-2:]) // PREVIEW_SIDE)
    acc, w = accum[0, :, ::step, ::step], weight[0, :, ::step, ::step]
    return ((acc / w.clamp_min(1e-8)).clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def run_image_model(rgb: np.ndarray, manifest: ModelManifest, weights: Path, device: str, tile: int,
                    token: ProgressToken, notes: list[str]) -> tuple[np.ndarray, str]:
    """(H, W, 3) float32 in [0, 1] → same shape through ``manifest``'s network; returns (output, device text).

    Progress: 0–5 % preparing the weights, 5–100 % tiles. ``notes`` receives the OOM fallbacks taken.
    """
    if manifest.scale != 1:
        raise ModelError(f"{manifest.name} is a x{manifest.scale} model; restoration needs a same-size (x1) model")
    devices.configure_cpu_threads()
    start_device = devices.resolve_device(device)
    weights = resolve_weights(manifest, weights, token.sub(0.0, 0.05))
    token.report(0.05, 1, message=f"loading {manifest.name} on {start_device.type}")
    multiple = max(1, int(manifest.defaults.get("size_multiple_of", 1)))

    def attempt(dev: torch.device, tile_px: int) -> np.ndarray:
        net = load_network(manifest, weights, dev)
        model = _padded(net, multiple, next(net.parameters()).dtype)
        image = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None].to(dev)  # (1, 3, H, W)
        if dev.type == "cuda":
            image = image.contiguous(memory_format=torch.channels_last)
        out = run_tiled(image, model, 1, tile_px, TILE_OVERLAP, token.sub(0.05, 1.0), _preview)
        return out[0].permute(1, 2, 0).numpy()

    out, used = with_oom_fallback(attempt, start_device, tile, max(rgb.shape[:2]), notes,
                                  f"{rgb.shape[1]}×{rgb.shape[0]} with {manifest.name}")
    return out, devices.describe(used)
