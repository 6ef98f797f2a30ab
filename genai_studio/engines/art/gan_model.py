"""A small conditional GAN for 32 or 64 px images, made to train on a few hundred pictures.

Generator: z ~ N(0, I) (B, latent), concatenated with the prompt embedding, → 4x4 feature map → nearest-upsample +
conv blocks (GroupNorm, so a sample does not depend on its batch) → tanh RGB in [-1, 1].
Discriminator: spectral-normalised strided convs, summed features, a linear real/fake score plus a projection
term <embed(words), features> (Miyato & Koyama 2018), so it judges "is this a real *cat*", not only "is this real".
Losses are the hinge losses. Both real and fake images go through the same random, differentiable augmentation
(translation, colour, cutout; the DiffAugment idea of Zhao et al. 2020) before the discriminator, which keeps it
from memorising a small training set; the generator never sees augmented images, so samples are not augmented.
Prompts are multi-hot (B, V) word bags; V = 0 is an unconditional model.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

ARCHITECTURE = "GenAI Studio conditional GAN"


@dataclass(frozen=True)
class GANConfig:
    vocab_size: int
    px: int = 32
    width: int = 32  # channels at full resolution; doubled per halving, capped at 8x
    latent: int = 128
    embed: int = 64

    def to_metadata(self) -> dict[str, str]:
        return {"config": json.dumps(asdict(self))}

    @staticmethod
    def from_metadata(meta: dict[str, str]) -> "GANConfig":
        return GANConfig(**json.loads(meta["config"]))


def channels(px: int, width: int) -> list[int]:
    """Channels per resolution from 4x4 up to ``px``: e.g. 32 px, width 32 → [256, 128, 64, 32]."""
    levels = int(round(math.log2(px))) - 2
    if 2 ** (levels + 2) != px or levels < 1:
        raise ValueError(f"image size must be a power of two of at least 8 px, got {px}")
    return [min(width * 2 ** (levels - i), width * 8) for i in range(levels + 1)]


class Generator(nn.Module):
    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = channels(cfg.px, cfg.width)
        self.top = ch[0]
        self.embed = nn.Sequential(nn.Linear(cfg.vocab_size, cfg.embed), nn.SiLU()) if cfg.vocab_size else None
        cond = cfg.embed if cfg.vocab_size else 0
        self.fc = nn.Linear(cfg.latent + cond, ch[0] * 16)
        blocks = []
        for cin, cout in zip(ch[:-1], ch[1:]):
            blocks += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1),
                       nn.GroupNorm(8, cout), nn.LeakyReLU(0.2), nn.Conv2d(cout, cout, 3, 1, 1),
                       nn.GroupNorm(8, cout), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(nn.GroupNorm(8, ch[0]), nn.LeakyReLU(0.2), *blocks, nn.Conv2d(ch[-1], 3, 3, 1, 1))

    def condition(self, words: torch.Tensor) -> torch.Tensor:
        """(B, V) multi-hot → (B, E) embedding; (B, 0) for an unconditional model."""
        if self.embed is None:
            return words.new_zeros(words.shape[0], 0)
        return self.embed(words)

    def forward(self, z: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.fc(torch.cat([z, emb], 1)).view(-1, self.top, 4, 4)
        return torch.tanh(self.body(h))  # (B, 3, px, px) in [-1, 1]


class Discriminator(nn.Module):
    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        ch = channels(cfg.px, cfg.width)[::-1]  # full resolution first
        layers: list[nn.Module] = [spectral_norm(nn.Conv2d(3, ch[0], 3, 1, 1)), nn.LeakyReLU(0.2)]
        for cin, cout in zip(ch[:-1], ch[1:]):
            layers += [spectral_norm(nn.Conv2d(cin, cin, 3, 1, 1)), nn.LeakyReLU(0.2),
                       spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2)]
        layers += [spectral_norm(nn.Conv2d(ch[-1], ch[-1], 3, 1, 1)), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.score = spectral_norm(nn.Linear(ch[-1], 1))
        self.project = spectral_norm(nn.Linear(cfg.vocab_size, ch[-1], bias=False)) if cfg.vocab_size else None

    def forward(self, x: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        """(B, 3, px, px) in [-1, 1], (B, V) → (B,) realness scores."""
        h = self.body(x).sum((2, 3))  # (B, C)
        out = self.score(h)[:, 0]
        if self.project is not None:
            out = out + (self.project(words) * h).sum(1)
        return out


def d_hinge_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def g_hinge_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def augment(x: torch.Tensor, cutout: float = 0.5, shift: float = 0.125) -> torch.Tensor:
    """Random, differentiable brightness/saturation/contrast, translation (≤ ``shift`` of the size, zero-padded)
    and one cutout square (``cutout`` of the size) per image; (B, 3, H, W) in [-1, 1] → same shape."""
    b, _, h, w = x.shape
    dev, dt = x.device, x.dtype
    x = x + (torch.rand(b, 1, 1, 1, device=dev, dtype=dt) - 0.5)
    mean = x.mean(1, keepdim=True)
    x = (x - mean) * (torch.rand(b, 1, 1, 1, device=dev, dtype=dt) * 2) + mean
    mean = x.mean((1, 2, 3), keepdim=True)
    x = (x - mean) * (torch.rand(b, 1, 1, 1, device=dev, dtype=dt) + 0.5) + mean
    # integer translation via an affine grid (nearest), outside the image = 0
    offs = torch.randint(-int(h * shift), int(h * shift) + 1, (b, 2), device=dev).to(dt)
    theta = torch.zeros(b, 2, 3, device=dev, dtype=dt)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2], theta[:, 1, 2] = offs[:, 0] * 2 / w, offs[:, 1] * 2 / h
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    # cutout: a square of zeros at a random place
    size = int(h * cutout)
    cy = torch.randint(0, h + 1 - size // 2, (b, 1, 1), device=dev)
    cx = torch.randint(0, w + 1 - size // 2, (b, 1, 1), device=dev)
    yy = torch.arange(h, device=dev).view(1, h, 1)
    xx = torch.arange(w, device=dev).view(1, 1, w)
    keep = ~(((yy - cy).abs() < size // 2) & ((xx - cx).abs() < size // 2))
    return x * keep[:, None].to(dt)
