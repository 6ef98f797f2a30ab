"""Text-prompted image generation with any GenAI Studio generator: VAE, GAN or diffusion (engine ``art.generate``).

``run_generate(spec, token, manifest=None, weights=None)``: the runtime passes the model store's manifest and
weight file; the CLI and tests may pass neither (the shipped ``art-emoji-vae`` is used). Prompt words outside
the model's vocabulary are returned in ``GenerateResult.unknown_words`` and a note, never silently dropped.
Same spec (seed included) → same images: the noise is drawn on the CPU from a generator seeded per image.
The family-specific work lives behind ``generators.LoadedGenerator`` (``load_generator`` is re-exported here).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from genai_studio.core.art_generate_jobs import GenerateResult, GenerateSpec
from genai_studio.core.errors import ModelError, a_or_an
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.art.display import DisplayUpscaler, bicubic
from genai_studio.engines.art.generators import LoadedGenerator, load_generator, read_metadata
from genai_studio.engines.devices import resolve_device
from genai_studio.engines.model_cache import MODEL_CACHE

__all__ = ["LoadedGenerator", "load_generator", "read_metadata", "run_generate", "vocabulary", "SHIPPED_WEIGHTS"]

SHIPPED_WEIGHTS = Path(__file__).resolve().parents[2] / "models" / "art-emoji-vae.safetensors"
BATCH = 16  # images decoded per step (one progress report each)


def run_generate(spec: GenerateSpec, token: ProgressToken, manifest: ModelManifest | None = None,
                 weights: Path | None = None, upscaler: tuple[ModelManifest, Path] | None = None) -> GenerateResult:
    """``upscaler``: (manifest, weights) of the x4 model that enlarges results to ``spec.size`` (None: bicubic)."""
    started = time.perf_counter()
    if manifest is not None and (manifest.family != "art" or manifest.task != "generate"):
        raise ModelError(f"{manifest.name} is {a_or_an(manifest.task)} model, not an image generator")
    weights = Path(weights) if weights else SHIPPED_WEIGHTS
    if not weights.exists():
        raise ModelError(f"the generator weights {weights} are missing: run `genai-studio train art` to make them")
    device = resolve_device(spec.device)
    gen = MODEL_CACHE.get((str(weights), str(device)), lambda: load_generator(weights, device))
    display = DisplayUpscaler(upscaler, device, token) if upscaler and spec.size >= 2 * gen.px else None
    token.report(0.1, 1.0, message="model loaded")
    known, unknown = gen.words(spec.prompt)
    cond = gen.condition(known).to(device)
    images: list[ImageBuffer] = []
    if spec.around is not None:
        centre = gen.latent_of(spec.around, cond)  # the family's latent (VAE/GAN: (1, latent); diffusion: noise)
    for first in range(0, spec.count, BATCH):
        token.check()
        batch = []
        for i in range(first, min(spec.count, first + BATCH)):
            # one generator per image: image i of seed s is the same whatever the count
            # wrapped into torch's seed range: big seeds (valid up to 2**63) overflowed it; small ones are unchanged
            g = torch.Generator().manual_seed((spec.seed * 1_000_003 + i) % 2**63)
            if spec.around is None:
                batch.append(gen.sample(cond, g, spec.temperature, spec.guidance))
            else:
                batch.append(gen.near(centre, cond, g, spec.spread))
            token.check()  # a diffusion image takes dozens of network passes: stop between images
        pixels = (torch.cat(batch).clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        pixels = display.to_size(pixels, spec.size) if display else bicubic(pixels, spec.size)
        for j, img in enumerate(pixels):
            images.append(ImageBuffer(img, name=f"{spec.prompt.strip() or 'emoji'} "
                                      f"#{first + j + 1} (seed {spec.seed})",
                                      metadata={"prompt": spec.prompt, "seed": spec.seed, "index": first + j}))
        token.report(0.1 + 0.9 * len(images) / spec.count, 1.0, preview=images[-1].pixels)
    notes = [f"shown at {spec.size} px from {gen.px} px through {display.name}"] if display else []
    if unknown:
        notes.append(f"unknown prompt words (not in the model's {len(gen.vocabulary)}-word vocabulary, ignored): "
                     f"{', '.join(unknown)}")
    if not known:
        notes.append("no known prompt words: images are drawn from the unconditioned prior" if gen.vocabulary else
                     "this generator takes no prompt (it was trained without labels)")
    return GenerateResult(tuple(images), spec, str(device), time.perf_counter() - started, tuple(known),
                          tuple(unknown), tuple(notes))


def vocabulary(weights: Path | None = None) -> list[str]:
    """The words a generator understands (from its safetensors metadata)."""
    return json.loads(read_metadata(Path(weights) if weights else SHIPPED_WEIGHTS)["vocabulary"])
