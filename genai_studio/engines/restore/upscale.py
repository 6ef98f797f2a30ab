"""The upscale engine: any spandrel super-resolution model, tiled, with OOM fallbacks.

Flow: resolve the weights (converting built-in ncnn models on first use) → load through the safe
loader and spandrel (cached) → run RGB through the network in feather-blended tiles → resize per
tile when the requested scale differs from the network's → alpha upscaled bicubically → quantize to
the source bit depth. CUDA out-of-memory halves the tile size down to 64 px, then falls back to CPU.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from genai_studio.core.errors import BadInput, Cancelled, ModelError, OutOfMemory, a_or_an
from genai_studio.core.jobs import ImageResult, UpscaleSpec
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.engines import devices
from genai_studio.engines.model_cache import MODEL_CACHE
from genai_studio.engines.tiling import run_tiled

log = logging.getLogger(__name__)

MIN_TILE = 64
DEFAULT_CPU_TILE = 256
T = TypeVar("T")
MAX_OUTPUT_PIXELS = 16384 * 16384  # beyond this the output itself would not fit in memory
PREVIEW_SIDE = 256  # longest side of the thumbnails sent while tiles complete


def resolve_weights(manifest: ModelManifest, weights: Path, token: ProgressToken) -> Path:
    if manifest.source.kind == "converted":
        from genai_studio.engines.restore.realesrgan import ensure_converted

        token.report(0, 1, message=f"preparing {manifest.name} (first use converts it once)")
        return ensure_converted(manifest, weights.parent)
    if not weights.is_file():
        raise ModelError(f"the weights file of {manifest.name} is missing: {weights}")
    return weights


def load_network(manifest: ModelManifest, weights: Path, device: torch.device) -> torch.nn.Module:
    """Load (cached) the spandrel model for ``weights`` onto ``device``, checking it is really this upscaler."""

    def build():
        from genai_studio.engines.restore.detect import load_spandrel_model

        descriptor = load_spandrel_model(weights)
        model = descriptor.model.eval().to(device)
        if device.type == "cuda":
            half_ok = getattr(descriptor, "supports_half", True)
            model.to(memory_format=torch.channels_last, dtype=devices.preferred_dtype(device, half_ok))
        return descriptor

    descriptor = MODEL_CACHE.get((str(weights), str(device)), build)
    # checked on every use, not only when loading: the same file may be named by another manifest
    if descriptor.scale != manifest.scale:
        raise ModelError(
            f"{weights.name} is a x{descriptor.scale} {descriptor.architecture.name} model, "
            f"but its manifest says x{manifest.scale}"
        )
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise ModelError(f"{manifest.name} works on {descriptor.input_channels}-channel images, not RGB")
    return descriptor.model


def _network_with_resize(net: torch.nn.Module, factor: float, dtype: torch.dtype):
    """Wrap ``net`` so each tile also gets the bicubic resize to the requested scale (e.g. x4 net → x2)."""

    def forward(tile: torch.Tensor) -> torch.Tensor:  # (1, 3, h, w) float32 in [0, 1]
        out = net(tile.to(dtype))
        if factor != 1.0:
            out = F.interpolate(out.float(), scale_factor=factor, mode="bicubic", align_corners=False)
        return out.clamp_(0, 1)

    return forward


def _preview(accum: torch.Tensor, weight: torch.Tensor) -> np.ndarray:
    """(H', W', 3) uint8 thumbnail of the output so far; unfinished areas are black."""
    step = max(1, max(accum.shape[-2:]) // PREVIEW_SIDE)
    acc, w = accum[0, :, ::step, ::step], weight[0, :, ::step, ::step]
    rgb = (acc / w.clamp_min(1e-8)).clamp(0, 1).permute(1, 2, 0).numpy()
    return (rgb * 255 + 0.5).astype(np.uint8)


def _upscale_rgb(rgb: np.ndarray, spec: UpscaleSpec, manifest: ModelManifest, weights: Path,
                 device: torch.device, tile: int, token: ProgressToken) -> np.ndarray:
    """(H, W, 3) float32 → (H*s, W*s, 3) float32 on ``device`` with ``tile``-px tiles."""
    net = load_network(manifest, weights, device)
    dtype = next(net.parameters()).dtype
    model = _network_with_resize(net, spec.scale / manifest.scale, dtype)
    image = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None].to(device)  # (1, 3, H, W)
    if device.type == "cuda":
        image = image.contiguous(memory_format=torch.channels_last)
    out = run_tiled(image, model, spec.scale, tile, spec.tile_overlap, token.sub(0.1, 0.97), _preview)
    return out[0].permute(1, 2, 0).numpy()


def _upscale_alpha(alpha: np.ndarray, scale: int) -> np.ndarray:
    """(H, W) float32 → (H*s, W*s) bicubic; alpha has no texture worth a network pass."""
    t = torch.from_numpy(np.ascontiguousarray(alpha))[None, None]
    return F.interpolate(t, scale_factor=scale, mode="bicubic", align_corners=False)[0, 0].clamp(0, 1).numpy()


def with_oom_fallback(attempt: Callable[[torch.device, int], T], device: torch.device, tile: int, image_side: int,
                      notes: list[str], what: str) -> tuple[T, torch.device]:
    """Run ``attempt(device, tile)``; on CUDA OOM halve the tile down to MIN_TILE, then finish on the CPU.

    Returns (result, device it ran on); appends a note per fallback; CPU OOM raises OutOfMemory.
    """
    while True:
        try:
            return attempt(device, tile), device
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - only OOM is retried; everything else re-raised
            if not devices.is_out_of_memory(exc):
                raise
            MODEL_CACHE.release(str(device))
            devices.release_cached_memory(device)
            effective = tile or image_side
            if device.type == "cuda" and effective > MIN_TILE:
                tile = max(MIN_TILE, effective // 2)
                notes.append(f"out of GPU memory; retried with {tile}-px tiles")
            elif device.type == "cuda":
                device, tile = torch.device("cpu"), DEFAULT_CPU_TILE
                notes.append("out of GPU memory even with small tiles; finished on the CPU")
            else:
                raise OutOfMemory(
                    f"Not enough memory to upscale {what} with {effective}-px tiles; "
                    "try a smaller tile size or a smaller image."
                ) from exc
            log.warning("upscale OOM: %s", notes[-1])


def run_upscale(spec: UpscaleSpec, token: ProgressToken, manifest: ModelManifest, weights: Path) -> ImageResult:
    """Upscale ``spec.image`` by ``spec.scale`` with ``manifest``'s model (weights at ``weights``)."""
    started = time.perf_counter()
    image = spec.image
    if image.width * image.height * spec.scale**2 > MAX_OUTPUT_PIXELS:
        raise BadInput(
            f"{image.name} is {image.width}×{image.height}; x{spec.scale} would be "
            f"{image.width * spec.scale}×{image.height * spec.scale}, beyond the 16384×16384 output limit"
        )
    if manifest.task != "upscale" or manifest.scale < 2:
        raise ModelError(f"{manifest.name} is {a_or_an(manifest.task)} model, not an upscaler")
    devices.configure_cpu_threads()
    device = devices.resolve_device(spec.device)
    weights = resolve_weights(manifest, weights, token.sub(0.0, 0.05))
    token.report(0.05, 1, message=f"loading {manifest.name} on {device.type}")
    pixels = image.to_float()  # (H, W, 3|4)
    notes: list[str] = []

    def attempt(dev: torch.device, tile: int) -> np.ndarray:
        return _upscale_rgb(pixels[..., :3], spec, manifest, weights, dev, tile, token)

    rgb, device = with_oom_fallback(attempt, device, spec.tile, max(image.width, image.height), notes,
                                    f"{image.width}×{image.height} x{spec.scale}")
    if image.is_grayscale:  # networks tint gray a little (colour models): black-and-white in, black-and-white out
        rgb = np.repeat(rgb.mean(axis=2, keepdims=True), 3, axis=2)
    if image.has_alpha:
        alpha = _upscale_alpha(pixels[..., 3], spec.scale)
        rgb = np.concatenate([rgb, alpha[..., None]], axis=2)
    token.report(0.99, 1, message="finishing")
    out = ImageBuffer.from_float(
        rgb, bit_depth=image.bit_depth, name=f"{image.name} x{spec.scale}",
        metadata={"model": manifest.id, "scale": spec.scale},
    )
    token.report(1, 1, message="done")
    return ImageResult(out, spec, devices.describe(device), time.perf_counter() - started, tuple(notes))
