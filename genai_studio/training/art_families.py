"""One training step, sample grid and export per generator family, behind one small interface for the trainer.

Each family object owns its networks (``nets``, checkpointed by name) and optimizers (``optims``). ``step`` takes a
batch of images (B, 3, px, px) in [-1, 1] and prompts (B, V), and returns its losses. ``samples`` draws images in
[0, 1] from fixed noise (the EMA weights for GAN and diffusion), ``export`` gives the fp16 weights and safetensors
metadata that ``engines.art.generators.load_generator`` reads.

Hyper-parameters (chosen for 50–5000 images and short runs):
- GAN: hinge loss, Adam(2e-4, betas 0/0.99) for both nets, one D step per G step, DiffAugment on everything D
  sees, EMA of G (decay ramps up to 0.999).
- VAE: summed squared error + KL to the prompt prior, weight 0.02 at 64 px scaled by pixel count; AdamW 2e-3 with
  warm-up and cosine decay (as the shipped emoji VAE).
- Diffusion: v-prediction MSE, AdamW(1e-3 tiny, 4e-4 larger) with warm-up, gradient clip 1, EMA up to 0.999.
"""

from __future__ import annotations

import copy
import math
import warnings
from abc import ABC, abstractmethod

import torch

from genai_studio.core.art_train_jobs import SizePreset
from genai_studio.engines.art import diffusion_model as dm
from genai_studio.engines.art import gan_model as gm
from genai_studio.engines.art import vae_model as vm

PREVIEW_DDIM_STEPS = 20  # diffusion sample grids during training
FINAL_DDIM_STEPS = 25  # the final grid (samples.png, memorisation hint)


def ema_update(ema: torch.nn.Module, net: torch.nn.Module, step: int, top: float = 0.999) -> None:
    decay = min(top, (1 + step) / (10 + step))  # short runs: average over recent steps, not from init
    with torch.no_grad():
        for e, p in zip(ema.parameters(), net.parameters()):
            e.lerp_(p, 1 - decay)
        for e, b in zip(ema.buffers(), net.buffers()):
            e.copy_(b)


def _warmup_cosine(step: int, total: int, peak: float, warm: int = 100, floor: float = 0.1) -> float:
    w = min(1.0, (step + 1) / warm)
    return peak * w * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(step / max(total, 1), 1.0))))


class Family(ABC):
    name = ""
    architecture = ""
    loss_names: tuple[str, ...] = ()

    def __init__(self, preset: SizePreset, vocab_size: int, total_steps: int, device: torch.device) -> None:
        self.preset, self.vocab_size, self.total, self.device = preset, vocab_size, total_steps, device
        self.nets: dict[str, torch.nn.Module] = {}
        self.optims: dict[str, torch.optim.Optimizer] = {}

    @abstractmethod
    def step(self, x: torch.Tensor, y: torch.Tensor, step: int) -> dict[str, float]:
        """One optimizer step on images x (B, 3, px, px) in [-1, 1] and labels y (B, V); returns its losses."""

    @abstractmethod
    def samples(self, noise: torch.Tensor, cond: torch.Tensor, final: bool = False) -> torch.Tensor:
        """(N, 3, px, px) in [0, 1] from fixed noise and labels (the sample grid)."""

    @abstractmethod
    def noise_shape(self) -> tuple[int, ...]:
        """Shape of one sample's latent noise, without the batch dimension."""

    @abstractmethod
    def export(self) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
        """(fp16 state dict of the network that generates, safetensors metadata of its config)."""

    def parameters(self) -> int:
        return sum(p.numel() for p in self.exported_net().parameters())

    @abstractmethod
    def exported_net(self) -> torch.nn.Module:
        """The network that generates (the EMA copy where there is one)."""

    def _half(self, net: torch.nn.Module) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().half() for k, v in net.state_dict().items()}


class GANFamily(Family):
    name, architecture, loss_names = "gan", gm.ARCHITECTURE, ("d", "g")

    def __init__(self, preset, vocab_size, total_steps, device) -> None:
        super().__init__(preset, vocab_size, total_steps, device)
        self.cfg = gm.GANConfig(vocab_size, preset.px, preset.width)
        self.g, self.d = gm.Generator(self.cfg).to(device), gm.Discriminator(self.cfg).to(device)
        self.g_ema = copy.deepcopy(self.g).eval().requires_grad_(False)
        self.nets = {"g": self.g, "d": self.d, "g_ema": self.g_ema}
        self.optims = {"g": torch.optim.Adam(self.g.parameters(), 2e-4, betas=(0.0, 0.99)),
                       "d": torch.optim.Adam(self.d.parameters(), 2e-4, betas=(0.0, 0.99))}

    def step(self, x, y, step):
        b = x.shape[0]
        z = torch.randn(b, self.cfg.latent, device=self.device)
        fake = self.g(z, self.g.condition(y))
        loss_d = gm.d_hinge_loss(self.d(gm.augment(x), y), self.d(gm.augment(fake.detach()), y))
        self.optims["d"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optims["d"].step()
        self.d.requires_grad_(False)  # the G step needs gradients through D, not into it
        loss_g = gm.g_hinge_loss(self.d(gm.augment(fake), y))
        self.optims["g"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optims["g"].step()
        self.d.requires_grad_(True)
        ema_update(self.g_ema, self.g, step)
        return {"d": float(loss_d.detach()), "g": float(loss_g.detach())}

    def noise_shape(self):
        return (self.cfg.latent,)

    @torch.no_grad()
    def samples(self, noise, cond, final=False):
        return (self.g_ema(noise, self.g_ema.condition(cond)) + 1) / 2

    def exported_net(self):
        return self.g_ema

    def export(self):
        return self._half(self.g_ema), self.cfg.to_metadata()


class VAEFamily(Family):
    name, architecture, loss_names = "vae", vm.ARCHITECTURE, ("recon", "kl")

    def __init__(self, preset, vocab_size, total_steps, device) -> None:
        super().__init__(preset, vocab_size, total_steps, device)
        self.cfg = vm.VAEConfig(vocab_size, latent=64 if preset.px <= 32 else 96, width=preset.width, px=preset.px)
        with warnings.catch_warnings():  # vocab_size 0 (no labels): a zero-size, unused first layer
            warnings.simplefilter("ignore")
            self.model = vm.ConditionalVAE(self.cfg).to(device)
        self.kl_weight = 0.02 * (preset.px / 64) ** 2
        self.peak_lr = 2e-3
        self.nets = {"vae": self.model}
        self.optims = {"vae": torch.optim.AdamW(self.model.parameters(), self.peak_lr, weight_decay=1e-4)}

    def step(self, x, y, step):
        for group in self.optims["vae"].param_groups:
            group["lr"] = _warmup_cosine(step, self.total, self.peak_lr, warm=200, floor=0.05)
        x01 = (x + 1) / 2
        recon, kl = self.model(x01, y)
        sse = ((recon - x01) ** 2).flatten(1).sum(1)
        loss = (sse + self.kl_weight * kl).mean()
        self.optims["vae"].zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
        self.optims["vae"].step()
        return {"recon": float(sse.detach().mean()) / x[0].numel(), "kl": float(kl.detach().mean())}

    def noise_shape(self):
        return (self.cfg.latent,)

    @torch.no_grad()
    def samples(self, noise, cond, final=False):
        self.model.eval()
        emb = self.model.condition(cond)
        mu_p, lv_p = self.model.prior(emb)
        out = self.model.decode(mu_p + noise * (0.5 * lv_p).exp(), emb)
        self.model.train()
        return out

    def exported_net(self):
        return self.model

    def export(self):
        return self._half(self.model), self.cfg.to_metadata()


class DiffusionFamily(Family):
    name, architecture, loss_names = "diffusion", dm.ARCHITECTURE, ("loss",)
    uncond_p = 0.1  # fraction of steps trained without a prompt (classifier-free guidance)

    def __init__(self, preset, vocab_size, total_steps, device) -> None:
        super().__init__(preset, vocab_size, total_steps, device)
        self.cfg = dm.DiffusionConfig(vocab_size, preset.px, preset.width)
        self.model = dm.UNet(self.cfg).to(device)
        self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.peak_lr = 1e-3 if preset.px <= 32 else 4e-4
        self.nets = {"unet": self.model, "ema": self.ema}
        self.optims = {"unet": torch.optim.AdamW(self.model.parameters(), self.peak_lr, weight_decay=0.0)}

    def step(self, x, y, step):
        for group in self.optims["unet"].param_groups:
            group["lr"] = self.peak_lr * min(1.0, (step + 1) / 100)
        if self.vocab_size:
            y = y * (torch.rand(y.shape[0], 1, device=y.device) >= self.uncond_p)
        loss = dm.training_loss(self.model, x, y)
        self.optims["unet"].zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optims["unet"].step()
        ema_update(self.ema, self.model, step)
        return {"loss": float(loss.detach())}

    def noise_shape(self):
        return (3, self.preset.px, self.preset.px)

    @torch.no_grad()
    def samples(self, noise, cond, final=False):
        steps = FINAL_DDIM_STEPS if final else PREVIEW_DDIM_STEPS
        return (dm.ddim_sample(self.ema, noise, cond, 1.0, steps).clamp(-1, 1) + 1) / 2

    def exported_net(self):
        return self.ema

    def export(self):
        return self._half(self.ema), self.cfg.to_metadata()


FAMILY_CLASSES: dict[str, type[Family]] = {"gan": GANFamily, "vae": VAEFamily, "diffusion": DiffusionFamily}


def make_family(family: str, preset: SizePreset, vocab_size: int, total_steps: int, device: torch.device) -> Family:
    return FAMILY_CLASSES[family](preset, vocab_size, total_steps, device)

