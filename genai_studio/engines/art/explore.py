"""Exploring a generator's latent space: variations near an image, and walks between two images.

An image (a generated one, or any picture) is placed in latent space by the VAE encoder at the model's native
resolution; variations add scaled prior noise to that code, a walk decodes points on the great circle (slerp)
between two codes, which keeps every step as "typical" as its ends instead of fading through the origin.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from genai_studio.core.art_generate_jobs import GenerateResult, LatentWalkSpec
from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import ProgressToken


def _native(gen, image: ImageBuffer) -> torch.Tensor:
    """(1, 3, px, px) float in [0, 1]: the image's RGB on white (alpha flattened), resized to the native size."""
    from PIL import Image

    px = int(gen.model.cfg.px)
    rgba = image.to_float()
    rgb = rgba[..., :3] * rgba[..., 3:4] + (1 - rgba[..., 3:4]) if image.has_alpha else rgba[..., :3]
    small = Image.fromarray((rgb * 255).round().astype(np.uint8)).resize((px, px), Image.BICUBIC)
    return torch.from_numpy(np.asarray(small, np.float32) / 255.0).permute(2, 0, 1)[None]


@torch.no_grad()
def latent_of(gen, image: ImageBuffer, cond: torch.Tensor) -> torch.Tensor:
    """(1, latent) posterior mean of ``image`` under the prompt condition ``cond`` (1, V)."""
    device = next(gen.model.parameters()).device
    emb = gen.model.condition(cond.to(device))
    mu, _ = gen.model.encode(_native(gen, image).to(device), emb)
    return mu


@torch.no_grad()
def decode_near(gen, centre: torch.Tensor, cond: torch.Tensor, generator: torch.Generator,
                spread: float) -> torch.Tensor:
    """(1, 3, px, px): the code ``centre`` moved by ``spread`` prior standard deviations of seeded noise."""
    emb = gen.model.condition(cond.to(centre.device))
    _, lv_p = gen.model.prior(emb)
    eps = torch.randn(centre.shape, generator=generator).to(centre.device, centre.dtype)
    return gen.model.decode(centre + spread * eps * (0.5 * lv_p).exp(), emb)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between codes (1, latent); linear when they are (nearly) parallel."""
    na, nb = a.norm(), b.norm()
    cos = float((a * b).sum() / (na * nb).clamp_min(1e-8))
    omega = float(np.arccos(np.clip(cos, -1.0, 1.0)))
    if omega < 1e-4:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def run_walk(spec: LatentWalkSpec, token: ProgressToken, manifest: ModelManifest | None = None,
             weights: Path | None = None) -> GenerateResult:
    from genai_studio.engines.art.generate import SHIPPED_WEIGHTS, _resize, load_generator
    from genai_studio.engines.devices import resolve_device
    from genai_studio.engines.model_cache import MODEL_CACHE

    started = time.perf_counter()
    if manifest is not None and (manifest.family != "art" or manifest.task != "generate"):
        raise ModelError(f"{manifest.name} is a {manifest.task} model, not an image generator")
    weights = Path(weights) if weights else SHIPPED_WEIGHTS
    device = resolve_device(spec.device)
    gen = MODEL_CACHE.get((str(weights), str(device)), lambda: load_generator(weights, device))
    known, unknown = gen.words(spec.prompt)
    cond = gen.condition(known).to(device)
    za, zb = latent_of(gen, spec.a, cond), latent_of(gen, spec.b, cond)
    emb = gen.model.condition(cond)
    images = []
    for i in range(spec.steps):
        token.report(i, spec.steps)
        t = i / (spec.steps - 1)
        with torch.no_grad():
            frame = gen.model.decode(slerp(za, zb, t), emb)
        pixels = (frame.clamp(0, 1) * 255).round().byte()[0].permute(1, 2, 0).cpu().numpy()
        images.append(ImageBuffer(_resize(pixels, spec.size), name=f"walk {i + 1}/{spec.steps}",
                                  metadata={"walk_t": round(t, 4)}))
    notes = (f"unknown prompt words ignored: {', '.join(unknown)}",) if unknown else ()
    return GenerateResult(tuple(images), spec, str(device), time.perf_counter() - started, tuple(known),
                          tuple(unknown), notes)

