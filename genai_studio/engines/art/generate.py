"""Text-prompted image generation with the project's conditional VAE (engine ``art.generate``).

``run_generate(spec, token, manifest=None, weights=None)``: the runtime passes the model store's manifest and
weight file; the CLI and tests may pass neither (the shipped ``art-emoji-vae`` is used). Prompt words outside
the model's vocabulary are returned in ``GenerateResult.unknown_words`` and a note, never silently dropped.
Same spec (seed included) → same images: the noise is drawn on the CPU from a generator seeded per image.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from genai_studio.core.art_generate_jobs import GenerateResult, GenerateSpec, prompt_words
from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.art.vae_model import ARCHITECTURE, ConditionalVAE, VAEConfig
from genai_studio.engines.devices import resolve_device
from genai_studio.engines.loading import load_state_dict
from genai_studio.engines.model_cache import MODEL_CACHE

SHIPPED_WEIGHTS = Path(__file__).resolve().parents[2] / "models" / "art-emoji-vae.safetensors"
BATCH = 16  # images decoded per step (one progress report each)


class LoadedGenerator:
    def __init__(self, model: ConditionalVAE, vocabulary: list[str]) -> None:
        self.model = model
        self.vocabulary = vocabulary
        self.index = {w: i for i, w in enumerate(vocabulary)}

    def words(self, prompt: str) -> tuple[list[str], list[str]]:
        """(known, unknown) words of the prompt; a plural is matched to its singular ("cats" → cat)."""
        known, unknown = [], []
        for w in prompt_words(prompt):
            hit = w if w in self.index else (w[:-1] if w.endswith("s") and w[:-1] in self.index else None)
            (known if hit else unknown).append(hit or w)
        return known, unknown

    def condition(self, words: list[str]) -> torch.Tensor:
        out = torch.zeros(1, len(self.vocabulary))
        for w in words:
            out[0, self.index[w]] = 1.0
        return out


def read_metadata(weights: Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(weights), framework="pt") as fh:
        return dict(fh.metadata() or {})


def load_generator(weights: Path, device: torch.device) -> LoadedGenerator:
    meta = read_metadata(weights)
    if meta.get("architecture") != ARCHITECTURE or "vocabulary" not in meta:
        raise ModelError(f"{weights.name} is not a {ARCHITECTURE} file (no architecture/vocabulary metadata)")
    cfg = VAEConfig.from_metadata(meta)
    model = ConditionalVAE(cfg)
    state = {k: v.float() for k, v in load_state_dict(weights).items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{weights.name} does not match the {ARCHITECTURE} layout: {exc}") from exc
    return LoadedGenerator(model.to(device).eval(), json.loads(meta["vocabulary"]))


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    if img.shape[0] == size:
        return img
    from PIL import Image

    return np.asarray(Image.fromarray(img).resize((size, size), Image.BICUBIC), np.uint8)


def run_generate(spec: GenerateSpec, token: ProgressToken, manifest: ModelManifest | None = None,
                 weights: Path | None = None) -> GenerateResult:
    started = time.perf_counter()
    if manifest is not None and (manifest.family != "art" or manifest.task != "generate"):
        raise ModelError(f"{manifest.name} is a {manifest.task} model, not an image generator")
    weights = Path(weights) if weights else SHIPPED_WEIGHTS
    if not weights.exists():
        raise ModelError(f"the generator weights {weights} are missing: run `genai-studio train art` to make them")
    device = resolve_device(spec.device)
    gen = MODEL_CACHE.get((str(weights), str(device)), lambda: load_generator(weights, device))
    token.report(0.1, 1.0, message="model loaded")
    known, unknown = gen.words(spec.prompt)
    cond = gen.condition(known).to(device)
    images: list[ImageBuffer] = []
    if spec.around is not None:
        from genai_studio.engines.art.explore import latent_of

        centre = latent_of(gen, spec.around, cond)  # (1, latent)
    for first in range(0, spec.count, BATCH):
        token.check()
        batch = []
        for i in range(first, min(spec.count, first + BATCH)):
            # one generator per image: image i of seed s is the same whatever the count
            g = torch.Generator().manual_seed(spec.seed * 1_000_003 + i)
            if spec.around is None:
                batch.append(gen.model.sample(cond, g, spec.temperature, spec.guidance))
            else:
                from genai_studio.engines.art.explore import decode_near

                batch.append(decode_near(gen, centre, cond, g, spec.spread))
        pixels = (torch.cat(batch).clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        for j, img in enumerate(pixels):
            images.append(ImageBuffer(_resize(img, spec.size), name=f"{spec.prompt.strip() or 'emoji'} "
                                      f"#{first + j + 1} (seed {spec.seed})",
                                      metadata={"prompt": spec.prompt, "seed": spec.seed, "index": first + j}))
        token.report(0.1 + 0.9 * len(images) / spec.count, 1.0, preview=images[-1].pixels)
    notes = []
    if unknown:
        notes.append(f"unknown prompt words (not in the model's {len(gen.vocabulary)}-word vocabulary, ignored): "
                     f"{', '.join(unknown)}")
    if not known:
        notes.append("no known prompt words: images are drawn from the unconditioned prior")
    return GenerateResult(tuple(images), spec, str(device), time.perf_counter() - started, tuple(known),
                          tuple(unknown), tuple(notes))


def vocabulary(weights: Path | None = None) -> list[str]:
    """The words a generator understands (from its safetensors metadata)."""
    return json.loads(read_metadata(Path(weights) if weights else SHIPPED_WEIGHTS)["vocabulary"])
