"""Train an art conditional VAE (``genai-studio train art --data emoji|icons --family vae``); write weights + manifest.

Loss per image: sum of squared pixel errors (RGB in [0, 1]) + ``kl_weight`` * KL(q(z|x,c) || p(z|c)) in nats.
Prompts in training are random subsets of each image's name words (``word_keep`` per word), so one- or
two-word prompts at generation time look like what the model saw. Held-out images (10% of groups) are scored at
the end: reconstruction MSE/PSNR through the posterior mean, and the KL (nats) to the prompt prior.
The built-in sets (``art_data.BUILTIN_SETS``) differ only in data and in the words of their manifest
(``SET_TEXTS``): ``emoji`` -> ``art-emoji-vae``, ``icons`` -> ``art-icons-vae``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from genai_studio.core.errors import BadInput
from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, write_manifest
from genai_studio.engines.art.vae_model import ARCHITECTURE, ConditionalVAE, VAEConfig
from genai_studio.engines.loading import save_safetensors, sha256_file
from genai_studio.training import art_data as ad
from genai_studio.training import art_icons

MODEL_ID = "art-emoji-vae"
MODEL_IDS = {"emoji": MODEL_ID, "icons": "art-icons-vae"}  # the shipped model of each built-in set


@dataclass(frozen=True)
class SetText:
    """What a model trained on one built-in set says about itself in its manifest."""

    name: str
    description: str
    tag: str
    license: str
    eval_words: tuple[str, ...]  # prompts compared with one seed in the evaluation
    heldout_what: str
    # Default prompt strength, chosen with `bench art` (emoji: guidance 3 lifts classifier adherence from 8% to
    # 31% for an FD of 19.1 instead of 17.2; the icons model gains nothing from it, so it stays at 1).
    guidance: float = 1.0


SET_TEXTS = {
    "emoji": SetText(
        name="Emoji-style generator (conditional VAE)",
        description="Small conditional VAE with a prompt-conditioned prior, 64x64 native; prompts are words of "
                    "the Unicode emoji names; colours and layout follow the prompt.",
        tag="emoji", license="GPL-3.0-or-later", eval_words=("cat", "heart", "rocket", "face"),
        heldout_what="emoji (10% of groups, never trained on)", guidance=3.0),
    "icons": SetText(
        name="Icon-style generator (conditional VAE)",
        description="Small conditional VAE with a prompt-conditioned prior, 64x64 native, trained on the flat "
                    "Papirus icon theme; prompts are words of the icon file names: the kind of icon (app, file, "
                    "device, folder), the subject (music, image, video, text, camera...) and folder colours "
                    "(blue, red, green, yellow, violet, grey); shapes and colours follow the prompt.",
        # GPL-3 (only) training images: the weights are distributed under the same terms
        tag="icons", license="GPL-3.0-only", eval_words=("folder", "music", "camera", "text", "image", "video"),
        heldout_what="icons (10% of base names, all folder colours of one kind together, never trained on)"),
}


@dataclass
class ArtTrainOptions:
    steps: int = 6000
    minutes: float = 18.0  # wall-clock budget for training steps
    seed: int = 0
    batch_size: int = 32
    lr: float = 2e-3
    kl_weight: float = 0.02
    word_keep: float = 0.7
    latent: int = 96
    width: int = 32
    device: str = "cpu"
    threads: int | None = 2
    data_dir: Path | None = None  # art-data cache folder (built on first use when None)
    evaluate: bool = True
    command: str = ""
    model_id: str = MODEL_ID  # file stem of the weights and manifest
    dataset: str = "emoji"  # built-in set (``art_data.BUILTIN_SETS``) used when no data is passed in


@dataclass(frozen=True)
class ArtTrainResult:
    weights: Path
    manifest: Path
    steps_done: int
    quality: dict
    history: list = field(default_factory=list)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BadInput("--device cuda was asked for but no CUDA GPU is available")
    return torch.device(name)


def word_dropout(cond: np.ndarray, keep: float, rng: np.random.Generator) -> np.ndarray:
    """Keep each present word with probability ``keep``; (B, V) float32."""
    return cond * (rng.random(cond.shape) < keep)


def lr_at(step: int, progress: float, peak: float) -> float:
    """Linear warm-up over 200 steps, then cosine to 5% by the end of the budget (``progress`` in [0, 1])."""
    warm = min(1.0, (step + 1) / 200)
    return peak * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def train_art_vae(out_dir: Path, opts: ArtTrainOptions, log: Callable[[str], None] = print,
                  data: ad.ArtData | None = None) -> ArtTrainResult:
    data = data or ad.load_builtin(opts.dataset, opts.data_dir, log=log)
    if opts.threads:
        torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    device = pick_device(opts.device)
    train_idx = np.flatnonzero(~data.heldout)
    if len(train_idx) == 0:
        raise BadInput("the art data has no training images")
    images = torch.from_numpy(data.images).permute(0, 3, 1, 2).contiguous()  # (N, 3, 64, 64) uint8
    conds = data.conditions()  # (N, V)
    cfg = VAEConfig(vocab_size=len(data.vocabulary), latent=opts.latent, width=opts.width, px=data.images.shape[1])
    model = ConditionalVAE(cfg).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=opts.lr, weight_decay=1e-4)
    log(f"training {ARCHITECTURE} ({sum(p.numel() for p in model.parameters()):,} parameters) on "
        f"{len(train_idx)} images, vocabulary {len(data.vocabulary)} words, device {device}")
    start, step, history, recent = time.monotonic(), 0, [], []
    budget = opts.minutes * 60
    model.train()
    while step < opts.steps and time.monotonic() - start < budget:
        progress = max(step / opts.steps, (time.monotonic() - start) / budget)
        for group in optim.param_groups:
            group["lr"] = lr_at(step, progress, opts.lr)
        idx = rng.choice(train_idx, opts.batch_size)
        x = images[idx].to(device).float() / 255
        c = torch.from_numpy(word_dropout(conds[idx], opts.word_keep, rng)).to(device)
        recon, kl = model(x, c)
        sse = ((recon - x) ** 2).flatten(1).sum(1)
        loss = (sse + opts.kl_weight * kl).mean()
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optim.step()
        recent.append((float(sse.detach().mean()), float(kl.detach().mean())))
        step += 1
        if step % 100 == 0 or step == opts.steps:
            s, k = np.mean(recent, axis=0)
            history.append({"step": step, "sse": round(float(s), 3), "kl": round(float(k), 2),
                            "minutes": round((time.monotonic() - start) / 60, 2)})
            log(f"step {step}: sse/image {s:.2f} (mse {s / x[0].numel():.5f}), kl {k:.1f} nats, "
                f"{(time.monotonic() - start) / 60:.1f} min")
            recent = []
    minutes = (time.monotonic() - start) / 60
    model.eval()
    quality = evaluate(model, data, device, text=SET_TEXTS[dataset_of(data, opts)]) if opts.evaluate else {}
    quality.update({"steps": step, "train_minutes": round(minutes, 2), "device": str(device),
                    "parameters": sum(p.numel() for p in model.parameters())})
    return write_model(out_dir, model, cfg, data, opts, quality, history)


@torch.no_grad()
def evaluate(model: ConditionalVAE, data: ad.ArtData, device: torch.device, seed: int = 1234,
             text: SetText = SET_TEXTS["emoji"]) -> dict:
    """Held-out reconstruction (posterior mean) and KL; how much prompts change samples of one seed."""
    idx = np.flatnonzero(data.heldout) if data.heldout.any() else np.arange(len(data.images))
    x = torch.from_numpy(data.images[idx]).permute(0, 3, 1, 2).float().div(255).to(device)
    c = torch.from_numpy(data.conditions()[idx]).to(device)
    mses, kls = [], []
    for i in range(0, len(idx), 64):
        emb = model.condition(c[i:i + 64])
        mu_q, lv_q = model.encode(x[i:i + 64], emb)
        mu_p, lv_p = model.prior(emb)
        recon = model.decode(mu_q, emb)
        mses.append(((recon - x[i:i + 64]) ** 2).flatten(1).mean(1).cpu())
        kls.append((0.5 * (lv_p - lv_q + (lv_q.exp() + (mu_q - mu_p) ** 2) / lv_p.exp() - 1)).sum(1).cpu())
    mse = float(torch.cat(mses).mean())
    words = [w for w in text.eval_words if w in data.vocabulary] or list(data.vocabulary[:4])
    spread = 0.0
    if len(words) >= 2:
        cond = torch.from_numpy(np.stack([ad.multi_hot([w], data.vocabulary) for w in words])).to(device)
        # the same noise for every prompt: only the prompt differs between these images
        imgs = [model.sample(cond[i:i + 1], torch.Generator().manual_seed(seed)) for i in range(len(words))]
        flat = torch.cat(imgs).flatten(1)
        spread = float(torch.cdist(flat, flat).mean() / math.sqrt(flat.shape[1]))
    return {"metric": f"held-out {text.heldout_what}: reconstruction MSE through the "
                      "posterior mean, RGB in [0,1]; KL to the prompt prior in nats",
            "heldout_images": int(len(idx)), "heldout_recon_mse": round(mse, 5),
            "heldout_recon_psnr_db": round(10 * math.log10(1 / max(mse, 1e-10)), 2),
            "heldout_kl_nats": round(float(torch.cat(kls).mean()), 2),
            "prompt_rms_difference_same_seed": round(spread, 4)}


def dataset_of(data: ad.ArtData, opts: ArtTrainOptions) -> str:
    """The built-in set the data came from (by its Debian package), else ``opts.dataset``."""
    package = (data.source or {}).get("package")
    return {ad.PACKAGE: "emoji", art_icons.PACKAGE: "icons"}.get(package, opts.dataset if opts.dataset in SET_TEXTS
                                                                   else "emoji")


def training_data_text(data: ad.ArtData, dataset: str) -> str:
    src = data.source or {}
    n, held = len(data.images), int(data.heldout.sum())
    if dataset == "icons":
        return (f"Debian {src.get('package', art_icons.PACKAGE)} {src.get('version', '')}: the distinct icons of "
                f"{src.get('theme', art_icons.THEME_RELPATH)} ({', '.join(src.get('contexts', art_icons.CONTEXTS))};"
                f" folders in {len(src.get('folder_colors', art_icons.FOLDER_COLORS))} colours) rendered on white "
                f"at 64x64 by genai_studio/training/svg_render.py, named from the file names and their symlink "
                f"aliases ({n} images, {held} held out, vocabulary {len(data.vocabulary)} words). License: "
                f"{src.get('license', art_icons.LICENSE)}. Built by genai_studio/training/art_icons.py.")
    return (f"Debian {src.get('package', ad.PACKAGE)} {src.get('version', '')}: every emoji of "
            f"NotoColorEmoji.ttf rendered on white at 64x64 with Pillow, named by unicodedata "
            f"({n} images, {held} held out). License: "
            f"{src.get('license', ad.LICENSE)}. Built by genai_studio/training/art_data.py.")


SHARPENED_NOTE = " Its decoder was then fine-tuned adversarially (training/art_sharpen.py) for sharper detail."
UNSHARPENED_NOTE = " Blurry: trained on squared pixel error only."


def write_model(out_dir: Path, model: ConditionalVAE, cfg: VAEConfig, data: ad.ArtData, opts: ArtTrainOptions,
                quality: dict, history: list, sharpened: bool = False) -> ArtTrainResult:
    """Write ``model`` as ``opts.model_id``.safetensors (fp16, config and vocabulary in the metadata) + manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = dataset_of(data, opts)
    text = SET_TEXTS[dataset]
    weights = out_dir / f"{opts.model_id}.safetensors"
    state = {k: v.detach().cpu().half() for k, v in model.state_dict().items()}
    meta = {"architecture": ARCHITECTURE, "vocabulary": json.dumps(list(data.vocabulary)), **cfg.to_metadata()}
    save_safetensors(state, weights, metadata=meta)
    manifest = ModelManifest(
        id=opts.model_id, name=text.name, family="art", task="generate",
        architecture=ARCHITECTURE,
        files=(ModelFile(weights.name, sha256_file(weights), weights.stat().st_size),),
        source=ModelSource(kind="trained", upstream="GenAI Studio", command=opts.command),
        license=text.license,
        description=text.description + (SHARPENED_NOTE if sharpened else UNSHARPENED_NOTE),
        training_data=training_data_text(data, dataset),
        quality=quality,
        defaults={"native_px": cfg.px, "temperature": 1.0, "guidance": text.guidance,
                  "vocabulary": list(data.vocabulary)},
        tags=("art", "generate", text.tag, "trained-here") + (("sharpened",) if sharpened else ()))
    manifest_path = out_dir / f"{opts.model_id}.json"
    write_manifest(manifest, manifest_path)
    return ArtTrainResult(weights, manifest_path, int(quality.get("steps", 0)), quality, history)
