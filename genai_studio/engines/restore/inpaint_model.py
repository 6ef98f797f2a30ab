"""Fill a hole with a learned inpainting model: the project's own (RGB + mask in) or any spandrel masked-image
model a user brings (e.g. LaMa); see ``detect.load_inpainting_model``.

Inpainting needs context, not tiles: the network sees the hole's bounding box plus a margin as wide as the hole
(at least MIN_MARGIN px) in one pass, so a small defect on a huge photo costs little. A window whose long side is
over MAX_SIDE is shrunk to fit for the pass (LaMa-type models are trained on 256–512 px crops and their memory
grows with the area) and the fill is scaled back up; only the hole's pixels are taken from the network's output,
so every known pixel stays exactly as it was. spandrel pads the window to the model's size multiple. CUDA
out-of-memory retries on the CPU.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import torch

from genai_studio.core.errors import ModelError, OutOfMemory
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.progress import ProgressToken
from genai_studio.engines import devices
from genai_studio.engines.model_cache import MODEL_CACHE
from genai_studio.engines.restore.classical import inpaint_membrane, window_around
from genai_studio.engines.restore.upscale import resolve_weights

log = logging.getLogger(__name__)

MAX_SIDE = 1024  # px: longest side of the window the network sees in one pass
MIN_MARGIN = 64  # px of surroundings around the hole's bounding box, at least


def hole_window(hole: np.ndarray) -> tuple[slice, slice]:
    """(rows, cols) of the hole's bounding box grown by max(MIN_MARGIN, the hole's longer side), clipped."""
    return window_around(hole, lambda span: max(MIN_MARGIN, span + 1))


def load_inpainter(manifest: ModelManifest, weights: Path, device: torch.device):
    """The (cached) inpainting model for ``weights`` on ``device``, called as ``model(image, mask)``."""

    def build():
        from genai_studio.engines.restore.detect import load_inpainting_model

        descriptor = load_inpainting_model(weights)
        descriptor.model.eval().to(device)
        return descriptor

    descriptor = MODEL_CACHE.get((str(weights), str(device)), build)
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise ModelError(f"{manifest.name} works on {descriptor.input_channels}-channel images, not RGB")
    return descriptor


def _fill_window(descriptor, window: np.ndarray, hole: np.ndarray, device: torch.device) -> np.ndarray:
    """(h, w, 3) float32 in [0, 1] and its (h, w) bool hole → the network's (h, w, 3) output."""
    image = torch.from_numpy(np.ascontiguousarray(window.transpose(2, 0, 1)))[None].to(device)  # (1, 3, h, w)
    mask = torch.from_numpy(hole.astype(np.float32))[None, None].to(device)  # (1, 1, h, w), 1 = fill
    with torch.inference_mode():
        out = descriptor(image, mask)
    return out[0].float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()


def run_inpaint_model(rgb: np.ndarray, hole: np.ndarray, manifest: ModelManifest, weights: Path, device: str,
                      token: ProgressToken, notes: list[str]) -> tuple[np.ndarray, str]:
    """(H, W, 3) float32 in [0, 1] with its (H, W) bool hole filled by ``manifest``'s model; (image, device text).

    Progress: 0–10 % preparing the weights, 10–100 % the pass.
    """
    if not hole.any():
        return rgb, "cpu"
    devices.configure_cpu_threads()
    dev = devices.resolve_device(device)
    weights = resolve_weights(manifest, weights, token.sub(0.0, 0.1))
    rows, cols = hole_window(hole)
    window, window_hole = rgb[rows, cols], hole[rows, cols]
    h, w = window_hole.shape
    shrink = min(1.0, MAX_SIDE / max(h, w))
    if shrink < 1.0:
        small = (max(1, round(w * shrink)), max(1, round(h * shrink)))
        net_in = cv2.resize(window, small, interpolation=cv2.INTER_AREA)
        # the hole must still cover every pixel it touched: max-pool it down instead of averaging it away
        net_hole = cv2.resize(window_hole.astype(np.uint8), small, interpolation=cv2.INTER_AREA) > 0
        net_hole |= cv2.resize(window_hole.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
        notes.append(f"the {w}×{h} px area around the hole was filled at {small[0]}×{small[1]} px and scaled back")
    else:
        net_in, net_hole = window, window_hole
    token.report(0.1, 1, message=f"filling the hole with {manifest.name} on {dev.type}")
    token.check()
    model = load_inpainter(manifest, weights, dev)
    if getattr(model, "prefill", False):  # the project's own models refine the membrane fill
        net_in = inpaint_membrane(net_in, net_hole)
    try:
        filled = _fill_window(model, net_in, net_hole, dev)
    except Exception as exc:  # noqa: BLE001 - only out-of-memory is retried
        if not devices.is_out_of_memory(exc):
            raise
        MODEL_CACHE.release(str(dev))
        devices.release_cached_memory(dev)
        if dev.type != "cuda":
            raise OutOfMemory(f"Not enough memory to fill a {w}×{h} px area with {manifest.name}; "
                              "try a smaller mask.") from exc
        notes.append("out of GPU memory; filled the hole on the CPU")
        log.warning("inpaint OOM on %s; retrying on the CPU", dev)
        dev = torch.device("cpu")
        filled = _fill_window(load_inpainter(manifest, weights, dev), net_in, net_hole, dev)
    if shrink < 1.0:
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    out = rgb.copy()
    out[rows, cols] = np.where(window_hole[..., None], filled, window)
    token.report(1, 1, message="filled")
    return out, devices.describe(dev)
