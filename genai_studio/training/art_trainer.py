"""Train a GAN, VAE or diffusion generator on a folder of images (engine ``art.train``, ``genai-studio train art``).

``run_train_art(spec, token)`` is the job: it reads and validates the folder (``art_folder``), then runs
:func:`train_generator`, the one loop for the three families (``art_families``). Every step it checks the token
(cancel) and the :class:`TrainControl` (pause, stop). Every ``sample_every`` steps and at the end it publishes a
:class:`TrainUpdate` with losses averaged since the last update, elapsed time (pauses excluded), ETA and a 4x4 grid
of fixed-seed samples. Checkpoints (safetensors + JSON, ``art_checkpoint``) are written every
``checkpoint_every`` steps, on cancel, on stop and at the end, so ``resume`` continues exactly where a run left off.

The finished model folder holds ``<model_id>.safetensors`` (fp16 weights; metadata: architecture, config,
vocabulary), ``manifest.json`` and ``samples.png``. Training images get random horizontal flips.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from genai_studio.core.art_train_jobs import (
    PRESETS, TrainArtResult, TrainArtSpec, TrainControl, TrainUpdate,
)
from genai_studio.core.errors import BadInput, Cancelled
from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, write_manifest
from genai_studio.core.progress import CancelToken, ProgressToken
from genai_studio.engines.devices import resolve_device
from genai_studio.engines.loading import save_safetensors, sha256_file
from genai_studio.training import art_checkpoint as ckpt
from genai_studio.training.art_families import Family, make_family
from genai_studio.training.art_folder import ArtDataset, load_training_images

GRID_SIDE = 4  # the sample grid is GRID_SIDE x GRID_SIDE images
WORD_KEEP = 0.8  # each label word is kept with this probability, so short prompts look like training prompts
SAMPLE_SEED_OFFSET = 7919
LIGHT_UPDATE_S = 1.0  # between sample grids, a grid-less update (step, running losses, ETA) at most this often


def model_id_for(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "art-model"


def batch_size_for(preset: str, device: torch.device) -> int:
    if device.type == "cuda":
        return 64
    return 16 if preset == "tiny" else 32


def command_line(data: str, family: str, out_dir: str, preset: str, steps: int, seed: int, device: str,
                 name: str = "", batch_size: int | None = None) -> str:
    """The ``genai-studio train art`` line that reproduces a run (recorded in the manifest)."""
    parts = ["genai-studio", "train", "art", "--data", str(data), "--family", family, "-o", str(out_dir),
             "--preset", preset, "--steps", str(steps), "--seed", str(seed), "--device", device]
    parts += ["--batch-size", str(batch_size)] if batch_size else []
    return " ".join(parts + (["--name", repr(name) if " " in name else name] if name else []))


def run_train_art(spec: TrainArtSpec, token: ProgressToken) -> TrainArtResult:
    """The ``art.train`` engine: validate the folder, train, write the model folder."""
    preset = PRESETS[spec.preset]
    device = resolve_device(spec.device)
    dataset = load_training_images(spec.data_dir, preset.px, check=token.check)
    if spec.control is not None:  # what was read, skipped or cropped, shown before the first step
        spec.control.publish(TrainUpdate(0, spec.total_steps, {}, 0.0, None, None, "", dataset.report.summary()))
    name = spec.name or Path(spec.data_dir).name
    command = command_line(spec.data_dir, spec.family, spec.out_dir, spec.preset, spec.total_steps, spec.seed,
                           spec.device, spec.name)
    return train_generator(dataset, Path(spec.out_dir), spec.family, spec.preset, spec.total_steps, seed=spec.seed,
                           resume=spec.resume, sample_every=spec.sample_every,
                           checkpoint_every=spec.checkpoint_every, control=spec.control, device=device, name=name,
                           token=token, command=command, log=None)


def grid_image(images: torch.Tensor, side: int = GRID_SIDE) -> np.ndarray:
    """(side², 3, px, px) in [0, 1] → (side·px, side·px, 3) uint8 with 1-px white gutters."""
    pix = (images.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    n, px = pix.shape[0], pix.shape[1]
    out = np.full((side * (px + 1) - 1, side * (px + 1) - 1, 3), 255, np.uint8)
    for i in range(min(n, side * side)):
        r, c = divmod(i, side)
        out[r * (px + 1):r * (px + 1) + px, c * (px + 1):c * (px + 1) + px] = pix[i]
    return out


def _fixed_inputs(fam: Family, dataset: ArtDataset, seed: int, device: torch.device
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise and prompts for the sample grids: the same for the whole run (and after a resume)."""
    n = GRID_SIDE * GRID_SIDE
    g = torch.Generator().manual_seed(seed + SAMPLE_SEED_OFFSET)
    noise = torch.randn((n, *fam.noise_shape()), generator=g)
    rows = np.linspace(0, len(dataset.labels) - 1, n).round().astype(int)  # prompts of images across the set
    return noise.to(device), torch.from_numpy(dataset.labels[rows]).to(device)


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def train_generator(dataset: ArtDataset, out_dir: Path, family: str, preset: str = "tiny", steps: int = 0, *,
                    seed: int = 0, resume: bool = False, sample_every: int = 100, checkpoint_every: int = 500,
                    control: TrainControl | None = None, device: torch.device | str = "auto", name: str = "",
                    token: ProgressToken | None = None, log: Callable[[str], None] | None = print,
                    command: str = "", batch_size: int | None = None) -> TrainArtResult:
    """Train ``family`` at ``preset`` on ``dataset`` for ``steps`` optimizer steps (0 = the preset's default)
    into ``out_dir``; see the module docstring. ``log`` gets one line per sample grid (None: silent)."""
    size = PRESETS[preset]
    total = steps or size.steps
    control = control or TrainControl()
    token = token or CancelToken()
    say = log or (lambda _line: None)
    device = resolve_device(device) if isinstance(device, str) else device
    if dataset.px != size.px:
        raise BadInput(f"the training images are {dataset.px} px but the {preset} preset trains {size.px} px models")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    fam = make_family(family, size, len(dataset.vocabulary), total, device)
    identity = {"family": family, "preset": preset, "px": size.px, "vocabulary": list(dataset.vocabulary),
                "seed": seed}
    step, elapsed_before, history = 0, 0.0, []
    if resume:
        step, elapsed_before, history = _resume(out_dir, fam, identity, rng)
        say(f"resuming {family} training at step {step}/{total}")
    images = torch.from_numpy(dataset.images).permute(0, 3, 1, 2).contiguous().to(device)  # (N, 3, px, px) uint8
    labels = torch.from_numpy(dataset.labels).to(device)  # (N, V)
    noise, cond = _fixed_inputs(fam, dataset, seed, device)
    bs = batch_size or batch_size_for(preset, device)
    say(f"training {family} ({fam.parameters():,} parameters in the generator) on {len(dataset.images)} images of "
        f"{size.px} px, vocabulary {len(dataset.vocabulary)} words, batch {bs}, {total} steps, device {device}")

    def info(elapsed: float) -> dict:
        return {**identity, "total_steps": total, "elapsed_s": elapsed, "np_rng": rng.bit_generator.state,
                "history": history}

    started = time.monotonic()
    paused = 0.0
    sums: dict[str, float] = {}
    count, window_start, window_steps = 0, started, 0
    rate: float | None = None  # seconds per step, recent
    last_grid: np.ndarray | None = None
    stopped = False

    def elapsed_now() -> float:
        return elapsed_before + time.monotonic() - started - paused

    def publish(grid: np.ndarray | None, checkpoint: str = "") -> TrainUpdate:
        nonlocal sums, count
        losses = {k: round(v / max(count, 1), 5) for k, v in sums.items()}
        eta = rate * (total - step) if rate is not None else None
        msg = f"step {step}/{total} · " + " ".join(f"{k} {v:.3g}" for k, v in losses.items()) + \
            f" · ETA {_format_eta(eta)}"
        update = TrainUpdate(step, total, losses, elapsed_now(), eta, grid, checkpoint, msg)
        control.publish(update)
        if losses:
            history.append({"step": step, **losses, "minutes": round(elapsed_now() / 60, 2)})
        sums, count = {}, 0
        return update

    last_light = time.monotonic()
    try:
        while step < total and not control.stop_requested:
            token.check()
            waited = control.wait_while_paused(token.check)
            paused += waited
            window_start += waited
            if control.stop_requested:
                break
            idx = torch.from_numpy(rng.integers(0, len(images), bs)).to(device)
            x = images[idx].float() / 127.5 - 1  # (B, 3, px, px) in [-1, 1]
            flip = torch.from_numpy(rng.random(bs) < 0.5).to(device)
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            y = labels[idx]
            if y.shape[1]:
                y = y * torch.from_numpy(rng.random(tuple(y.shape)) < WORD_KEEP).to(device, y.dtype)
            for k, v in fam.step(x, y, step).items():
                sums[k] = sums.get(k, 0.0) + v
            count += 1
            step += 1
            window_steps += 1
            now = time.monotonic()
            if window_steps >= 5:
                recent = (now - window_start) / window_steps
                rate = recent if rate is None else 0.7 * rate + 0.3 * recent
                window_start, window_steps = now, 0
            msg = f"step {step}/{total} · ETA {_format_eta(rate * (total - step) if rate else None)}"
            if step % sample_every == 0 and step < total:
                last_grid = grid_image(fam.samples(noise, cond))
                update = publish(last_grid)
                say(update.message)
                token.report(step, total, preview=last_grid, message=update.message)
                window_start = time.monotonic()  # sampling time is not training speed
            else:
                token.report(step, total, message=msg)
                if now - last_light >= LIGHT_UPDATE_S:  # step, losses so far and ETA between sample grids
                    running = {k: round(v / max(count, 1), 5) for k, v in sums.items()}
                    eta = rate * (total - step) if rate is not None else None
                    control.publish(TrainUpdate(step, total, running, elapsed_now(), eta, None, "", ""))
                    last_light = now
            if step % checkpoint_every == 0 and step < total:
                path = ckpt.save_checkpoint(out_dir, step, fam.nets, fam.optims, info(elapsed_now()))
                publish(None, str(path))
        stopped = step < total
    except (Cancelled, KeyboardInterrupt):  # Ctrl+C in the CLI is a cancel too
        path = ckpt.save_checkpoint(out_dir, step, fam.nets, fam.optims, info(elapsed_now()))
        publish(None, str(path))
        say(f"cancelled at step {step}: checkpoint {path}; resume to continue")
        raise
    path = ckpt.save_checkpoint(out_dir, step, fam.nets, fam.optims, info(elapsed_now()))
    final = fam.samples(noise, cond, final=True)
    last_grid = grid_image(final)
    update = publish(last_grid, str(path))
    say(update.message)
    token.report(step, total, preview=last_grid, message=update.message)
    return _write_model(out_dir, fam, dataset, final, last_grid, step, total, elapsed_now(), stopped, device,
                        name, command, history)


def _resume(out_dir: Path, fam: Family, identity: dict, rng: np.random.Generator) -> tuple[int, float, list]:
    info = ckpt.read_checkpoint_info(out_dir)
    if info is None:
        raise BadInput(f"there is no checkpoint in {out_dir} to resume from; start a new training run instead")
    for key, what in (("family", "model family"), ("preset", "size preset"), ("px", "image size")):
        if info.get(key) != identity[key]:
            raise BadInput(f"the checkpoint in {out_dir} is a {info.get(key)} {what}, not {identity[key]}: resume "
                           f"with the same settings, or train into another folder")
    if info.get("vocabulary") != identity["vocabulary"]:
        raise BadInput(f"the checkpoint in {out_dir} was trained with other labels (subfolder names) than this "
                       f"folder has: resume on the same data, or train into another folder")
    ckpt.load_checkpoint(out_dir, info, fam.nets, fam.optims)
    rng.bit_generator.state = info["np_rng"]
    return int(info["step"]), float(info.get("elapsed_s", 0.0)), list(info.get("history", []))


def nearest_training_distances(samples: torch.Tensor, dataset: ArtDataset, limit: int = 4000) -> dict:
    """Memorisation hint: RMS pixel distance ([0, 1] scale) from each sample to its nearest training image,
    next to the typical distance between training images and their nearest other training image."""
    train = torch.from_numpy(dataset.images[:limit]).float().div(255).flatten(1)  # (N, D)
    s = samples.detach().float().cpu().permute(0, 2, 3, 1).flatten(1)
    d = s.shape[1] ** 0.5
    nearest = torch.cdist(s, train).min(1).values / d
    probe = train[torch.linspace(0, len(train) - 1, min(200, len(train))).long()]
    tt = torch.cdist(probe, train)
    tt[tt < 1e-6] = float("inf")  # the image itself
    ref = tt.min(1).values / d
    ref = ref[torch.isfinite(ref)]
    return {"nearest_training_rms_mean": round(float(nearest.mean()), 4),
            "nearest_training_rms_min": round(float(nearest.min()), 4),
            "training_nn_rms_median": round(float(ref.median()), 4) if len(ref) else None,
            "memorisation_hint": "samples far closer to a training image than training images are to each other "
                                 "suggest copies"}


def _write_model(out_dir: Path, fam: Family, dataset: ArtDataset, final: torch.Tensor, grid: np.ndarray, step: int,
                 total: int, elapsed: float, stopped: bool, device: torch.device, name: str, command: str,
                 history: list) -> TrainArtResult:
    from PIL import Image

    model_id = model_id_for(name)
    weights = out_dir / f"{model_id}.safetensors"
    state, config = fam.export()
    meta = {"architecture": fam.architecture, "family": fam.name, "vocabulary": json.dumps(list(dataset.vocabulary)),
            **config}
    save_safetensors(state, weights, metadata=meta)
    samples_png = out_dir / "samples.png"
    tmp = out_dir / ".samples.png.tmp"
    Image.fromarray(grid).save(tmp, format="PNG")
    tmp.replace(samples_png)
    last = history[-1] if history else {}
    quality = {"final_losses": {k: v for k, v in last.items() if k not in ("step", "minutes")},
               "steps": step, "planned_steps": total, "stopped_early": stopped, "train_minutes": round(elapsed / 60, 2),
               "device": str(device), "parameters": fam.parameters(), "training_images": len(dataset.images),
               **nearest_training_distances(final, dataset), "history": history[-50:]}
    n, v = len(dataset.images), len(dataset.vocabulary)
    labels = f"prompt words: {', '.join(dataset.vocabulary)}" if v else "no labels (unconditional)"
    manifest = ModelManifest(
        id=model_id, name=name or model_id, family="art", task="generate", architecture=fam.architecture,
        files=(ModelFile(weights.name, sha256_file(weights), weights.stat().st_size),),
        source=ModelSource(kind="trained", upstream="GenAI Studio (trained on this computer)", command=command),
        license=dataset.license,
        description=f"{fam.name.upper() if fam.name != 'diffusion' else 'Diffusion'} generator, {fam.preset.px} px "
                    f"({fam.preset.name} preset), trained for {step} steps on {n} images; {labels}.",
        training_data=dataset.description or f"{n} images",
        quality=quality,
        defaults={"native_px": fam.preset.px, "temperature": 1.0,
                  "guidance": 2.0 if fam.name == "diffusion" and v else 1.0, "vocabulary": list(dataset.vocabulary),
                  "generator_family": fam.name},
        tags=("art", "generate", fam.name, "user"))
    manifest_path = out_dir / "manifest.json"
    write_manifest(manifest, manifest_path)
    notes = tuple(dataset.report.notes) + ((f"stopped early at step {step} of {total}",) if stopped else ())
    return TrainArtResult(out_dir, weights, manifest_path, model_id, step, stopped, quality, notes)
