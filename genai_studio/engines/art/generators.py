"""One interface over the three generator families (VAE, GAN, diffusion) for generation, variations and walks.

``load_generator(weights, device)`` reads the safetensors metadata ("architecture", config, vocabulary) and returns
a :class:`LoadedGenerator`. Every family has a *latent*: a tensor from which ``decode`` makes one image
deterministically — the VAE's z, the GAN's z, the diffusion model's starting noise (DDIM, eta = 0). ``latent_of``
places any picture in that space (VAE: posterior mean; GAN: a short optimisation of z; diffusion: DDIM
inversion), ``near`` moves a latent by seeded noise, and :func:`slerp` walks between two latents.
Images are (1, 3, px, px) float in [0, 1]; conditions are (1, V) multi-hot word bags.
"""

from __future__ import annotations

import json
import warnings
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import torch

from genai_studio.core.art_generate_jobs import prompt_words
from genai_studio.core.errors import ModelError
from genai_studio.core.media import ImageBuffer
from genai_studio.engines.art import diffusion_model as dm
from genai_studio.engines.art import gan_model as gm
from genai_studio.engines.art import vae_model as vm
from genai_studio.engines.loading import load_state_dict

GAN_FIT_STEPS = 150  # Adam steps that fit a GAN latent to a picture (pixel MSE)
GAN_FIT_LR = 0.05
GAN_FIT_STARTS = 16  # random z tried before fitting; the closest one is refined


def read_metadata(weights: Path) -> dict[str, str]:
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="pt") as fh:
            return dict(fh.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types for a bad header
        raise ModelError(f"{Path(weights).name} is not a readable safetensors file: {exc}") from exc


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between two latents (any equal shapes); linear when (nearly) parallel."""
    na, nb = a.norm(), b.norm()
    cos = float((a * b).sum() / (na * nb).clamp_min(1e-8))
    omega = float(np.arccos(np.clip(cos, -1.0, 1.0)))
    if omega < 1e-4:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def image_tensor(image: ImageBuffer, px: int) -> torch.Tensor:
    """(1, 3, px, px) float in [0, 1]: the image's RGB on white (alpha flattened), centre-cropped to a square
    when it is not one, resized (Lanczos) to ``px``."""
    from PIL import Image

    rgba = image.to_float()
    rgb = rgba[..., :3] * rgba[..., 3:4] + (1 - rgba[..., 3:4]) if image.has_alpha else rgba[..., :3]
    h, w = rgb.shape[:2]
    side = min(h, w)
    rgb = rgb[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    small = Image.fromarray((rgb * 255).round().astype(np.uint8)).resize((px, px), Image.LANCZOS)
    return torch.from_numpy(np.asarray(small, np.float32) / 255.0).permute(2, 0, 1)[None]


class LoadedGenerator(ABC):
    """A loaded generator of any family; subclasses implement the latent operations."""

    family = ""

    def __init__(self, model: torch.nn.Module, vocabulary: list[str], px: int, meta: dict[str, str]) -> None:
        self.model = model
        self.vocabulary = vocabulary
        self.px = px
        self.metadata = meta
        self.index = {w: i for i, w in enumerate(vocabulary)}

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def words(self, prompt: str) -> tuple[list[str], list[str]]:
        """(known, unknown) words of the prompt; a plural is matched to its singular ("cats" → cat)."""
        known, unknown = [], []
        for w in prompt_words(prompt):
            hit = w if w in self.index else (w[:-1] if w.endswith("s") and w[:-1] in self.index else None)
            (known if hit else unknown).append(hit or w)
        return known, unknown

    def condition(self, words: list[str]) -> torch.Tensor:
        """(1, V) multi-hot of known words, on the model's device."""
        out = torch.zeros(1, len(self.vocabulary))
        for w in words:
            out[0, self.index[w]] = 1.0
        return out.to(self.device)

    @abstractmethod
    def sample(self, cond: torch.Tensor, generator: torch.Generator, temperature: float = 1.0,
               guidance: float = 1.0) -> torch.Tensor:
        """(1, 3, px, px) in [0, 1] from seeded noise for the condition (1, V)."""

    @abstractmethod
    def latent_of(self, image: ImageBuffer, cond: torch.Tensor) -> torch.Tensor:
        """The family's latent that decodes to (approximately) ``image``."""

    def near(self, centre: torch.Tensor, cond: torch.Tensor, generator: torch.Generator,
             spread: float) -> torch.Tensor:
        """An image whose latent is ``centre`` moved by ``spread`` (prior standard deviations) of seeded noise.

        GAN and diffusion latents are standard normal: mix as (c + s·eps)/sqrt(1 + s²) so the result is as
        typical a latent as the centre was."""
        eps = torch.randn(centre.shape, generator=generator).to(centre.device, centre.dtype)
        return self.decode((centre + spread * eps) / float(np.sqrt(1 + spread ** 2)), cond)

    @abstractmethod
    def decode(self, latent: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """(1, 3, px, px) in [0, 1]: the image of ``latent`` (deterministic)."""

    slerp = staticmethod(slerp)

    def _noise(self, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
        # drawn on the CPU so a seed gives the same image on every device
        return torch.randn(shape, generator=generator).to(self.device)


class VAEGenerator(LoadedGenerator):
    family = "vae"

    @torch.no_grad()
    def sample(self, cond, generator, temperature=1.0, guidance=1.0):
        return self.model.sample(cond.to(self.device), generator, temperature, guidance)

    @torch.no_grad()
    def latent_of(self, image, cond):
        emb = self.model.condition(cond.to(self.device))
        mu, _ = self.model.encode(image_tensor(image, self.px).to(self.device), emb)
        return mu  # (1, latent)

    @torch.no_grad()
    def near(self, centre, cond, generator, spread):
        emb = self.model.condition(cond.to(centre.device))
        _, lv_p = self.model.prior(emb)
        eps = torch.randn(centre.shape, generator=generator).to(centre.device, centre.dtype)
        return self.model.decode(centre + spread * eps * (0.5 * lv_p).exp(), emb)

    @torch.no_grad()
    def decode(self, latent, cond):
        return self.model.decode(latent, self.model.condition(cond.to(latent.device)))


class GANGenerator(LoadedGenerator):
    family = "gan"

    def _emb(self, cond: torch.Tensor, guidance: float = 1.0) -> torch.Tensor:
        emb = self.model.condition(cond.to(self.device))
        if guidance != 1.0 and emb.shape[1]:
            empty = self.model.condition(torch.zeros_like(cond).to(self.device))
            emb = empty + guidance * (emb - empty)
        return emb

    @torch.no_grad()
    def sample(self, cond, generator, temperature=1.0, guidance=1.0):
        z = self._noise((1, self.model.cfg.latent), generator) * temperature
        return (self.model(z, self._emb(cond, guidance)) + 1) / 2

    def latent_of(self, image, cond):
        """z whose image is closest to ``image`` in pixel MSE: the best of ``GAN_FIT_STARTS`` seeded random z,
        refined by ``GAN_FIT_STEPS`` Adam steps, with a small pull towards typical |z| so it stays walkable."""
        target = image_tensor(image, self.px).to(self.device) * 2 - 1
        with torch.no_grad():
            emb = self._emb(cond)
            starts = self._noise((GAN_FIT_STARTS, self.model.cfg.latent), torch.Generator().manual_seed(0))
            errors = ((self.model(starts, emb.expand(GAN_FIT_STARTS, -1)) - target) ** 2).flatten(1).mean(1)
        z = starts[int(errors.argmin())][None].clone().requires_grad_(True)
        optim = torch.optim.Adam([z], lr=GAN_FIT_LR)
        dim = z.shape[1]
        with torch.enable_grad():
            for _ in range(GAN_FIT_STEPS):
                loss = ((self.model(z, emb) - target) ** 2).mean() + 1e-3 * (z.pow(2).sum() / dim - 1) ** 2
                optim.zero_grad(set_to_none=True)
                loss.backward()
                optim.step()
        self.model.zero_grad(set_to_none=True)
        return z.detach()

    @torch.no_grad()
    def decode(self, latent, cond):
        return (self.model(latent, self._emb(cond)) + 1) / 2


class DiffusionGenerator(LoadedGenerator):
    family = "diffusion"

    @torch.no_grad()
    def sample(self, cond, generator, temperature=1.0, guidance=1.0):
        noise = self._noise((1, 3, self.px, self.px), generator) * temperature
        return self.decode(noise, cond, guidance)

    @torch.no_grad()
    def latent_of(self, image, cond):
        x = image_tensor(image, self.px).to(self.device) * 2 - 1
        return dm.ddim_invert(self.model, x, cond.to(self.device))  # (1, 3, px, px)

    @torch.no_grad()
    def decode(self, latent, cond, guidance: float = 1.0):
        return (dm.ddim_sample(self.model, latent, cond.to(latent.device), guidance).clamp(-1, 1) + 1) / 2


def build_model(architecture: str, meta: dict[str, str]) -> tuple[torch.nn.Module, int, type[LoadedGenerator]]:
    """An untrained network for the architecture named in the metadata: (model, px, generator class)."""
    if architecture == vm.ARCHITECTURE:
        cfg = vm.VAEConfig.from_metadata(meta)
        with warnings.catch_warnings():  # an unconditional VAE (vocab_size 0) has a zero-size first layer
            warnings.simplefilter("ignore")
            return vm.ConditionalVAE(cfg), cfg.px, VAEGenerator
    if architecture == gm.ARCHITECTURE:
        gcfg = gm.GANConfig.from_metadata(meta)
        return gm.Generator(gcfg), gcfg.px, GANGenerator
    if architecture == dm.ARCHITECTURE:
        dcfg = dm.DiffusionConfig.from_metadata(meta)
        return dm.UNet(dcfg), dcfg.px, DiffusionGenerator
    raise ModelError(f"unknown generator architecture {architecture!r}; known: "
                     f"{vm.ARCHITECTURE}, {gm.ARCHITECTURE}, {dm.ARCHITECTURE}")


def load_generator(weights: Path, device: torch.device) -> LoadedGenerator:
    weights = Path(weights)
    meta = read_metadata(weights)
    if "architecture" not in meta or "vocabulary" not in meta:
        raise ModelError(f"{weights.name} is not a GenAI Studio generator file (no architecture/vocabulary "
                         f"metadata)")
    try:
        model, px, kind = build_model(meta["architecture"], meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{weights.name} has an unreadable {meta['architecture']} config: {exc}") from exc
    state = {k: v.float() for k, v in load_state_dict(weights).items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{weights.name} does not match the {meta['architecture']} layout: {exc}") from exc
    model.requires_grad_(False)
    return kind(model.to(device).eval(), json.loads(meta["vocabulary"]), px, meta)
