"""Conditional VAE with a learned, prompt-conditioned prior: GenAI Studio's own emoji-style generator.

Images are (B, 3, 64, 64) in [0, 1]. The prompt is a multi-hot bag of vocabulary words (B, V), embedded by one
linear layer. The prior p(z | prompt) is a diagonal Gaussian predicted from that embedding, so sampling from it
depends on the prompt even where the decoder leans on z; the embedding is also added to the decoder's input.
Generation: z = mu_p + temperature * sigma_p * eps; ``guidance`` > 1 pushes the prompt embedding away from the
empty prompt's (the classifier-free trick on embeddings).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

ARCHITECTURE = "GenAI Studio conditional VAE"


@dataclass(frozen=True)
class VAEConfig:
    vocab_size: int
    latent: int = 96
    width: int = 32  # channels of the first conv; doubled at each of the 4 downsamplings
    embed: int = 128
    px: int = 64

    def to_metadata(self) -> dict[str, str]:
        return {"vocab_size": str(self.vocab_size), "latent": str(self.latent), "width": str(self.width),
                "embed": str(self.embed), "px": str(self.px)}

    @staticmethod
    def from_metadata(meta: dict[str, str]) -> "VAEConfig":
        return VAEConfig(int(meta["vocab_size"]), int(meta["latent"]), int(meta["width"]), int(meta["embed"]),
                         int(meta["px"]))


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.GroupNorm(8, cout), nn.SiLU(),
                         nn.Conv2d(cout, cout, 3, 1, 1), nn.GroupNorm(8, cout), nn.SiLU())


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1),
                         nn.GroupNorm(8, cout), nn.SiLU(), nn.Conv2d(cout, cout, 3, 1, 1), nn.GroupNorm(8, cout),
                         nn.SiLU())


class ConditionalVAE(nn.Module):
    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w, side = cfg.width, cfg.px // 16
        self.side = side
        self.top = w * 8
        self.embed = nn.Sequential(nn.Linear(cfg.vocab_size, cfg.embed), nn.SiLU(), nn.Linear(cfg.embed, cfg.embed))
        self.encoder = nn.Sequential(_down(3, w), _down(w, w * 2), _down(w * 2, w * 4), _down(w * 4, w * 8))
        self.enc_head = nn.Linear(w * 8 * side * side + cfg.embed, 2 * cfg.latent)
        self.prior_head = nn.Sequential(nn.Linear(cfg.embed, cfg.embed), nn.SiLU(),
                                        nn.Linear(cfg.embed, 2 * cfg.latent))
        self.dec_z = nn.Linear(cfg.latent, w * 8 * side * side)
        self.dec_c = nn.Linear(cfg.embed, w * 8 * side * side)
        self.decoder = nn.Sequential(_up(w * 8, w * 4), _up(w * 4, w * 2), _up(w * 2, w), _up(w, w),
                                     nn.Conv2d(w, 3, 3, 1, 1))

    def condition(self, words: torch.Tensor) -> torch.Tensor:
        return self.embed(words)  # (B, V) → (B, E)

    def guided_condition(self, words: torch.Tensor, guidance: float | torch.Tensor) -> torch.Tensor:
        """Prompt embeddings pushed away from the empty prompt's by ``guidance`` (a number, or (B,) per sample)."""
        emb = self.condition(words)
        empty = self.condition(torch.zeros_like(words))
        scale = guidance[:, None] if isinstance(guidance, torch.Tensor) else guidance
        return empty + scale * (emb - empty)

    def encode(self, x: torch.Tensor, emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x * 2 - 1).flatten(1)  # (B, 8w * side²)
        mu, logvar = self.enc_head(torch.cat([h, emb], 1)).chunk(2, 1)
        return mu, logvar.clamp(-10, 6)

    def prior(self, emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.prior_head(emb).chunk(2, 1)
        return mu, logvar.clamp(-10, 6)

    def decode(self, z: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = (self.dec_z(z) + self.dec_c(emb)).view(-1, self.top, self.side, self.side)
        return torch.sigmoid(self.decoder(h))  # (B, 3, px, px) in [0, 1]

    def forward(self, x: torch.Tensor, words: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction and per-sample KL(q(z|x,c) || p(z|c)) in nats."""
        emb = self.condition(words)
        mu_q, lv_q = self.encode(x, emb)
        mu_p, lv_p = self.prior(emb)
        z = mu_q + torch.randn_like(mu_q) * (0.5 * lv_q).exp()
        kl = 0.5 * (lv_p - lv_q + (lv_q.exp() + (mu_q - mu_p) ** 2) / lv_p.exp() - 1).sum(1)
        return self.decode(z, emb), kl

    @torch.no_grad()
    def sample(self, words: torch.Tensor, generator: torch.Generator | None = None, temperature: float = 1.0,
               guidance: float = 1.0) -> torch.Tensor:
        """(B, V) multi-hot → (B, 3, px, px) images in [0, 1]."""
        emb = self.guided_condition(words, guidance) if guidance != 1.0 else self.condition(words)
        mu_p, lv_p = self.prior(emb)
        eps = torch.randn(mu_p.shape, generator=generator, device="cpu").to(mu_p.device, mu_p.dtype)
        return self.decode(mu_p + temperature * eps * (0.5 * lv_p).exp(), emb)
