"""Sharpen a trained conditional VAE: adversarial fine-tuning of its decoder (``genai-studio train art-sharpen``).

A VAE trained on squared error decodes the average of what a latent could mean, so its samples are blurry. This
stage keeps the VAE's encoder, prompt embedding and prior frozen (so a picture's latent, variations and walks keep
their meaning) and trains only the decoder (``dec_z``, ``dec_c``, ``decoder``) as the generator of a conditional
GAN, against the GAN family's projection discriminator (spectral norm, hinge loss, DiffAugment; see
``engines/art/gan_model``), VAE-GAN style. Per step, with real images x (B, 3, 64, 64) in [0, 1] and their
word-dropped prompts c:

  recon = decode(mu_q(x, c), c)        L1 to x, weight ``recon_weight``: each latent still decodes to its image
  fake  = decode(z ~ p(z | c_g), c_g)  c_g = the prompt embedding at guidance g, g drawn from {1, the model's
                                       default guidance}: the decoder learns the conditions it is sampled with
  D: hinge, real x against fake and recon together (all augmented); G: ``adv_weight`` * hinge(D([fake, recon]))
     ramped in over ``ramp`` steps while the new discriminator learns what real images look like.

The exported decoder is an exponential moving average of the trained one. The file is the same
"GenAI Studio conditional VAE" as before, so everything that loads the VAE loads the sharpened one.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from genai_studio.core.errors import BadInput, ModelError
from genai_studio.engines.art import gan_model as gm
from genai_studio.engines.art import vae_model as vm
from genai_studio.engines.art.generators import read_metadata
from genai_studio.engines.loading import load_state_dict
from genai_studio.training import art_data as ad
from genai_studio.training import art_vae
from genai_studio.training.art_families import ema_update

DECODER_PARTS = ("dec_z", "dec_c", "decoder")  # the ConditionalVAE submodules this stage trains


@dataclass
class SharpenOptions:
    weights: Path  # the trained VAE (.safetensors) to start from
    steps: int = 3000
    minutes: float = 30.0  # wall-clock budget for training steps
    seed: int = 0
    batch_size: int = 16
    lr_g: float = 1e-4
    lr_d: float = 2e-4
    recon_weight: float = 10.0  # on the mean absolute error, RGB in [0, 1]
    adv_weight: float = 0.1
    ramp: int = 300  # steps over which the adversarial weight rises from 0 to adv_weight
    disc_width: int = 16  # the discriminator's channels at full resolution (it costs most of a step)
    guidance: float | None = None  # the second guidance samples are trained at (default: the model's own)
    word_keep: float = 0.7
    device: str = "cpu"
    threads: int | None = 2
    data_dir: Path | None = None
    dataset: str = "emoji"
    model_id: str = ""  # default: the id the built-in set's VAE ships under
    evaluate: bool = True
    command: str = ""


@dataclass(frozen=True)
class SharpenResult:
    weights: Path
    manifest: Path
    steps_done: int
    quality: dict
    history: list = field(default_factory=list)


def load_vae(weights: Path) -> tuple[vm.ConditionalVAE, vm.VAEConfig, tuple[str, ...]]:
    """The conditional VAE in ``weights`` (float32, CPU) with its config and vocabulary."""
    meta = read_metadata(Path(weights))
    if meta.get("architecture") != vm.ARCHITECTURE:
        raise ModelError(f"{Path(weights).name} is not a {vm.ARCHITECTURE} file (architecture "
                         f"{meta.get('architecture')!r}); only VAEs can be sharpened")
    cfg = vm.VAEConfig.from_metadata(meta)
    model = vm.ConditionalVAE(cfg)
    model.load_state_dict({k: v.float() for k, v in load_state_dict(weights).items()})
    return model, cfg, tuple(json.loads(meta["vocabulary"]))


def sharpen_vae(out_dir: Path, opts: SharpenOptions, log: Callable[[str], None] = print,
                data: ad.ArtData | None = None) -> SharpenResult:
    """Fine-tune the decoder of ``opts.weights`` adversarially and write weights + manifest to ``out_dir``."""
    if opts.steps < 1 or opts.batch_size < 2 or opts.minutes <= 0:
        raise BadInput("sharpening needs at least 1 step, a batch of at least 2 and a positive time budget")
    if opts.threads:
        torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    device = art_vae.pick_device(opts.device)
    model, cfg, vocabulary = load_vae(opts.weights)  # a wrong file fails before the data is built
    data = data or ad.load_builtin(opts.dataset, opts.data_dir, log=log)
    if tuple(data.vocabulary) != vocabulary or data.images.shape[1] != cfg.px:
        raise BadInput(f"{Path(opts.weights).name} was trained on another vocabulary or size than this data "
                       f"({len(vocabulary)} vs {len(data.vocabulary)} words, {cfg.px} vs "
                       f"{data.images.shape[1]} px)")
    dataset = art_vae.dataset_of(data, art_vae.ArtTrainOptions(dataset=opts.dataset))
    guidance = opts.guidance if opts.guidance is not None else art_vae.SET_TEXTS[dataset].guidance
    model = model.to(device)
    for p in model.parameters():
        p.requires_grad_(False)
    trained = [p for part in DECODER_PARTS for p in getattr(model, part).parameters()]
    for p in trained:
        p.requires_grad_(True)
    ema = copy.deepcopy(model).eval()
    disc = gm.Discriminator(gm.GANConfig(len(vocabulary), px=cfg.px, width=opts.disc_width)).to(device)
    opt_g = torch.optim.Adam(trained, lr=opts.lr_g, betas=(0.5, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=opts.lr_d, betas=(0.5, 0.99))
    train_idx = np.flatnonzero(~data.heldout)
    images = torch.from_numpy(data.images).permute(0, 3, 1, 2).contiguous()  # (N, 3, px, px) uint8
    conds = data.conditions()
    choices = torch.tensor([1.0, guidance])
    log(f"sharpening the decoder of {Path(opts.weights).name} ({sum(p.numel() for p in trained):,} trained "
        f"parameters; discriminator {sum(p.numel() for p in disc.parameters()):,}) on {len(train_idx)} images, "
        f"guidance 1 and {guidance:g}, device {device}")
    start, step, history, recent = time.monotonic(), 0, [], []
    budget = opts.minutes * 60
    model.eval()  # GroupNorm only: eval/train behave alike; frozen parts stay frozen
    while step < opts.steps and time.monotonic() - start < budget:
        idx = rng.choice(train_idx, opts.batch_size)
        x = images[idx].to(device).float() / 255
        words = torch.from_numpy(art_vae.word_dropout(conds[idx], opts.word_keep, rng)).to(device)
        with torch.no_grad():
            emb = model.condition(words)
            mu_q, _ = model.encode(x, emb)
            g = choices[torch.from_numpy(rng.integers(0, 2, opts.batch_size))].to(device)
            emb_g = model.guided_condition(words, g)
            mu_p, lv_p = model.prior(emb_g)
            z = mu_p + torch.randn_like(mu_p) * (0.5 * lv_p).exp()
        recon = model.decode(mu_q, emb)
        fake = model.decode(z, emb_g)
        made = torch.cat([fake, recon]) * 2 - 1  # (2B, 3, px, px) in [-1, 1]: both are judged as fakes
        words2 = torch.cat([words, words])
        loss_d = gm.d_hinge_loss(disc(gm.augment(x * 2 - 1), words), disc(gm.augment(made.detach()), words2))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        l1 = F.l1_loss(recon, x)
        adv = gm.g_hinge_loss(disc(gm.augment(made), words2))
        ramp = min(1.0, step / max(1, opts.ramp))
        loss_g = opts.recon_weight * l1 + opts.adv_weight * ramp * adv
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        torch.nn.utils.clip_grad_norm_(trained, 5.0)
        opt_g.step()
        ema_update(ema, model, step)
        recent.append((float(l1.detach()), float(adv.detach()), float(loss_d.detach())))
        step += 1
        if step % 100 == 0 or step == opts.steps:
            l1_m, adv_m, d_m = np.mean(recent, axis=0)
            history.append({"step": step, "l1": round(float(l1_m), 4), "g_adv": round(float(adv_m), 3),
                            "d": round(float(d_m), 3), "minutes": round((time.monotonic() - start) / 60, 2)})
            log(f"step {step}: recon L1 {l1_m:.4f}, G adversarial {adv_m:.3f}, D {d_m:.3f}, "
                f"{(time.monotonic() - start) / 60:.1f} min")
            recent = []
    minutes = (time.monotonic() - start) / 60
    ema = ema.eval()
    quality = art_vae.evaluate(ema, data, device, text=art_vae.SET_TEXTS[dataset]) if opts.evaluate else {}
    quality.update({"sharpen_steps": step, "sharpen_minutes": round(minutes, 2), "device": str(device),
                    "parameters": sum(p.numel() for p in ema.parameters()),
                    "sharpened_from": _previous_quality(previous_manifest(opts.weights))})
    write_opts = art_vae.ArtTrainOptions(model_id=opts.model_id or art_vae.MODEL_IDS.get(dataset, "art-vae"),
                                         command=opts.command, dataset=dataset)
    result = art_vae.write_model(out_dir, ema, cfg, data, write_opts, quality, history, sharpened=True)
    return SharpenResult(result.weights, result.manifest, step, quality, history)


def previous_manifest(weights: Path) -> dict:
    """The manifest beside ``weights`` as JSON ({} when there is none or it is unreadable)."""
    try:
        return json.loads(Path(weights).with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}


def first_stage_command(previous: dict) -> str:
    """The command that trained the VAE a manifest describes, without any earlier sharpening stage."""
    return str(previous.get("source", {}).get("command", "")).split(" && genai-studio train art-sharpen")[0]


def _previous_quality(previous: dict) -> dict:
    """The first stage's figures and command from the VAE's manifest (the original VAE's, if it was sharpened)."""
    quality = previous.get("quality", {})
    if quality.get("sharpened_from"):
        return quality["sharpened_from"]
    keep = ("heldout_recon_psnr_db", "heldout_kl_nats", "steps", "train_minutes", "device")
    return {**{k: quality[k] for k in keep if k in quality}, "command": first_stage_command(previous)}
