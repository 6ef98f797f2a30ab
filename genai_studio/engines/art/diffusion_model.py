"""A small conditional diffusion model: UNet, cosine-schedule v-prediction training loss, DDIM sampling/inversion.

Time is continuous, t in [0, 1]; x_t = alpha_t x_0 + sigma_t eps with alpha_t² = cos²(π/2 (t + s)/(1 + s))
(the cosine schedule of Nichol & Dhariwal 2021, s = 0.008) and sigma_t² = 1 - alpha_t². The network predicts
v = alpha_t eps - sigma_t x_0 (Salimans & Ho 2022), which stays well scaled at both ends of the schedule.
Images are (B, 3, px, px) in [-1, 1]. Prompts are multi-hot (B, V) word bags embedded by a linear layer and added to
the time embedding; training drops the whole prompt 10% of the time, so the same network also predicts the
unconditional v and classifier-free guidance works: v = v_empty + guidance (v_prompt - v_empty).
DDIM with eta = 0 is deterministic, so an image is a function of its starting noise (the "latent"), and running
it backwards (DDIM inversion) finds a noise that decodes to (nearly) a given picture.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

ARCHITECTURE = "GenAI Studio conditional diffusion UNet"
SAMPLE_STEPS = 40  # DDIM steps for generation and inversion
_S = 0.008


@dataclass(frozen=True)
class DiffusionConfig:
    vocab_size: int
    px: int = 32
    width: int = 32  # channels at full resolution
    attention: bool = True  # self-attention at the lowest resolution

    def to_metadata(self) -> dict[str, str]:
        return {"config": json.dumps(asdict(self))}

    @staticmethod
    def from_metadata(meta: dict[str, str]) -> "DiffusionConfig":
        return DiffusionConfig(**json.loads(meta["config"]))

    @property
    def levels(self) -> list[int]:
        """Channels per resolution, full resolution first, lowest 8x8: 32 px → [w, 2w, 2w]."""
        n = int(round(math.log2(self.px))) - 3
        if 2 ** (n + 3) != self.px or n < 1:
            raise ValueError(f"image size must be a power of two of at least 16 px, got {self.px}")
        return [self.width * m for m in (1, 2, 2, 4, 4, 4)[:n + 1]]


def alpha_sigma(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Signal and noise scales at time t in [0, 1] (same shape as t)."""
    alpha = torch.cos((t + _S) / (1 + _S) * math.pi / 2).clamp(1e-4, 1.0)
    return alpha, (1 - alpha ** 2).clamp_min(0).sqrt()


def _groups(c: int) -> int:
    return 8 if c % 8 == 0 else 1


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(_groups(cin), cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.emb = nn.Linear(emb, 2 * cout)  # scale and shift of the second norm
        self.norm2, self.conv2 = nn.GroupNorm(_groups(cout), cout), nn.Conv2d(cout, cout, 3, 1, 1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(emb)[:, :, None, None].chunk(2, 1)
        h = self.conv2(F.silu(self.norm2(h) * (1 + scale) + shift))
        return self.skip(x) + h


class Attention(nn.Module):
    def __init__(self, c: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.norm, self.qkv, self.out = nn.GroupNorm(_groups(c), c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)
        nn.init.zeros_(self.out.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).view(b, 3, self.heads, c // self.heads, h * w).transpose(-1, -2).unbind(1)
        a = F.scaled_dot_product_attention(q, k, v)  # (B, heads, HW, C/heads)
        return x + self.out(a.transpose(-1, -2).reshape(b, c, h, w))


def time_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of t in [0, 1] scaled to 0..1000: (B,) → (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device, dtype=t.dtype) / half)
    args = (t * 1000)[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], 1)


class UNet(nn.Module):
    def __init__(self, cfg: DiffusionConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.levels
        e = 4 * cfg.width
        self.time = nn.Sequential(nn.Linear(cfg.width, e), nn.SiLU(), nn.Linear(e, e))
        self.label = nn.Linear(cfg.vocab_size, e, bias=False) if cfg.vocab_size else None
        self.conv_in = nn.Conv2d(3, ch[0], 3, 1, 1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        prev = ch[0]
        for i, c in enumerate(ch):
            self.down.append(nn.ModuleList([ResBlock(prev, c, e), ResBlock(c, c, e)]))
            prev = c
            if i < len(ch) - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, 2, 1))
        self.mid1, self.mid2 = ResBlock(prev, prev, e), ResBlock(prev, prev, e)
        self.attn = Attention(prev) if cfg.attention else nn.Identity()
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, c in reversed(list(enumerate(ch))):
            self.up.append(nn.ModuleList([ResBlock(prev + c, c, e), ResBlock(c + c, c, e)]))
            prev = c
            if i > 0:
                self.upsample.append(nn.Conv2d(c, ch[i - 1], 3, 1, 1))
                prev = ch[i - 1]
        self.norm_out, self.conv_out = nn.GroupNorm(_groups(ch[0]), ch[0]), nn.Conv2d(ch[0], 3, 3, 1, 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        """x_t (B, 3, px, px), t (B,) in [0, 1], words (B, V) → predicted v (B, 3, px, px)."""
        emb = self.time(time_features(t, self.cfg.width))
        if self.label is not None:
            emb = emb + self.label(words)
        h = self.conv_in(x)
        skips = []
        for i, (r1, r2) in enumerate(self.down):
            h = r1(h, emb)
            skips.append(h)
            h = r2(h, emb)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        h = self.mid2(self.attn(self.mid1(h, emb)), emb)
        for i, (r1, r2) in enumerate(self.up):
            h = r1(torch.cat([h, skips.pop()], 1), emb)
            h = r2(torch.cat([h, skips.pop()], 1), emb)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def training_loss(model: UNet, x0: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the v prediction at uniformly drawn times; x0 (B, 3, px, px) in [-1, 1]."""
    t = torch.rand(x0.shape[0], device=x0.device)
    eps = torch.randn_like(x0)
    a, s = (v[:, None, None, None] for v in alpha_sigma(t))
    v = a * eps - s * x0
    return F.mse_loss(model(a * x0 + s * eps, t, words), v)


def _predict(model: UNet, x: torch.Tensor, t: float, words: torch.Tensor, guidance: float
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """(x0, eps) predicted at time t, with classifier-free guidance."""
    b = x.shape[0]
    tt = torch.full((b,), t, device=x.device, dtype=x.dtype)
    if guidance == 1.0 or model.label is None:
        v = model(x, tt, words)
    elif guidance == 0.0:
        v = model(x, tt, torch.zeros_like(words))
    else:
        both = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([words, torch.zeros_like(words)]))
        v_c, v_u = both.chunk(2)
        v = v_u + guidance * (v_c - v_u)
    a, s = alpha_sigma(tt[:1])
    return a * x - s * v, s * x + a * v


def _times(steps: int) -> list[float]:
    return [1.0 - i / steps for i in range(steps + 1)]  # 1 → 0


@torch.no_grad()
def ddim_sample(model: UNet, noise: torch.Tensor, words: torch.Tensor, guidance: float = 1.0,
                steps: int = SAMPLE_STEPS) -> torch.Tensor:
    """Deterministic DDIM from x_1 = ``noise`` (B, 3, px, px) to an image in [-1, 1]."""
    x = noise
    ts = _times(steps)
    for t, s in zip(ts[:-1], ts[1:]):
        x0, eps = _predict(model, x, t, words, guidance)
        x0 = x0.clamp(-1, 1)
        a_s, s_s = alpha_sigma(torch.tensor(s))
        x = a_s.item() * x0 + s_s.item() * eps if s > 0 else x0
    return x


@torch.no_grad()
def ddim_invert(model: UNet, image: torch.Tensor, words: torch.Tensor, steps: int = SAMPLE_STEPS) -> torch.Tensor:
    """The noise x_1 that DDIM turns into (approximately) ``image`` (B, 3, px, px) in [-1, 1]."""
    x = image
    ts = _times(steps)[::-1]  # 0 → 1
    for s, t in zip(ts[:-1], ts[1:]):
        # eps is predicted at the less noisy time and reused one step up: the usual DDIM-inversion approximation
        x0, eps = _predict(model, x, max(s, 1e-3), words, 1.0)
        a_t, s_t = alpha_sigma(torch.tensor(t))
        x = a_t.item() * x0 + s_t.item() * eps
    return x
