"""Exploring a generator's latent space: variations near an image, and walks between two images.

Works for every family through ``generators.LoadedGenerator``: an image (a generated one, or any picture) is
placed in latent space at the model's native resolution (VAE: encoder; GAN: fitted z; diffusion: DDIM inversion);
variations move that latent by seeded noise, a walk decodes points on the great circle (slerp) between two
latents, which keeps every step as "typical" as its ends instead of fading through the origin.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from genai_studio.core.art_generate_jobs import GenerateResult, LatentWalkSpec
from genai_studio.core.errors import ModelError, a_or_an
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.art.generators import LoadedGenerator, slerp

__all__ = ["decode_near", "latent_of", "run_walk", "slerp"]


def latent_of(gen: LoadedGenerator, image: ImageBuffer, cond: torch.Tensor) -> torch.Tensor:
    """The latent of ``image`` under the prompt condition ``cond`` (1, V)."""
    return gen.latent_of(image, cond)


def decode_near(gen: LoadedGenerator, centre: torch.Tensor, cond: torch.Tensor, generator: torch.Generator,
                spread: float) -> torch.Tensor:
    """(1, 3, px, px): the latent ``centre`` moved by ``spread`` prior standard deviations of seeded noise."""
    return gen.near(centre, cond, generator, spread)


def run_walk(spec: LatentWalkSpec, token: ProgressToken, manifest: ModelManifest | None = None,
             weights: Path | None = None, upscaler: tuple[ModelManifest, Path] | None = None) -> GenerateResult:
    """Frames on the slerp between the latents of ``spec.a`` and ``spec.b``, enlarged like generated images."""
    from genai_studio.engines.art.display import DisplayUpscaler, bicubic
    from genai_studio.engines.art.generate import SHIPPED_WEIGHTS, load_generator
    from genai_studio.engines.devices import resolve_device
    from genai_studio.engines.model_cache import MODEL_CACHE

    started = time.perf_counter()
    if manifest is not None and (manifest.family != "art" or manifest.task != "generate"):
        raise ModelError(f"{manifest.name} is {a_or_an(manifest.task)} model, not an image generator")
    weights = Path(weights) if weights else SHIPPED_WEIGHTS
    device = resolve_device(spec.device)
    gen = MODEL_CACHE.get((str(weights), str(device)), lambda: load_generator(weights, device))
    display = DisplayUpscaler(upscaler, device, token) if upscaler and spec.size >= 2 * gen.px else None
    known, unknown = gen.words(spec.prompt)
    cond = gen.condition(known).to(device)
    za = gen.latent_of(spec.a, cond)
    token.check()
    zb = gen.latent_of(spec.b, cond)
    images = []
    for i in range(spec.steps):
        token.report(i, spec.steps)
        t = i / (spec.steps - 1)
        with torch.no_grad():
            frame = gen.decode(slerp(za, zb, t), cond)
        pixels = (frame.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()  # (1, px, px, 3)
        pixels = display.to_size(pixels, spec.size) if display else bicubic(pixels, spec.size)
        images.append(ImageBuffer(pixels[0], name=f"walk {i + 1}/{spec.steps}",
                                  metadata={"walk_t": round(t, 4)}))
    notes = (f"unknown prompt words ignored: {', '.join(unknown)}",) if unknown else ()
    return GenerateResult(tuple(images), spec, str(device), time.perf_counter() - started, tuple(known),
                          tuple(unknown), notes)
