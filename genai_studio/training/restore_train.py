"""Train the restoration models the project ships: ``genai-studio train restore --task denoise|jpeg|sr4|colorize``.

Each task trains one spandrel architecture (so the state dict is detected like any community model) on random
patches of the training photos (``restore_data``) with synthetic degradations (``restore_degrade``) drawn per sample:
  denoise  NAFNet, blind: Gaussian sigma uniform in 0–50 (0–255 scale), noisy input clipped/rounded to uint8
  jpeg     NAFNet, blind: Pillow JPEG quality uniform in 5–60
  sr4      SPAN x4, faithful: bicubic-downscaled input, L1-type loss (PSNR-oriented, no GAN)
  inpaint  NAFNet with 4 channels and a 4th U-Net level: input = the photo with random holes (boxes, strokes,
           dust; ``restore_degrade.random_holes``) prefilled by the classical membrane fill + the hole mask as a 4th
           channel; output channels 0–2 are the RGB fill (channel 3 is unused). The prefill matters: with the hole
           blacked out a small network trained for 45 CPU minutes stayed 7–8 dB below Telea on 8–24 px holes;
           from the prefill (and NAFNet's input residual) it only has to learn the correction. Loss on the hole mostly (known pixels weigh 0.1: the engine keeps
           them from the input anyway). The engine runs any 4-in/4-out same-size model whose manifest task is
           "inpaint" this way (engines/restore/inpaint_model.py)
  colorize NAFNet with a 4th U-Net level (more context): input = the photo's BT.601 luma repeated ×3; the loss
           sees the output after the engine's step that puts the input's luma back, so only chroma is learnt;
           + a small hinge that punishes only being *less* colourful than the truth (plain L1 desaturates).
           Trained on ~20 photos the model is over-confident: after training its chroma is scaled by the gain
           (0.3–1) that maximises PSNR on two calibration photos that are neither trained on nor held out
           (:func:`calibrate_chroma_gain`, folded into NAFNet's last conv, so the file stays plain NAFNet)
Loss: Charbonnier; Adam with warm-up then cosine decay. Training stops at ``steps`` or at the wall-clock
budget, whichever comes first, and the LR schedule follows whichever is nearer its end. The held-out photos
(never trained on) are scored once at the end against the classical baseline and the figures go in the manifest.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from genai_studio.core.errors import BadInput, ModelError
from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, write_manifest
from genai_studio.engines.loading import save_safetensors, sha256_file
from genai_studio.training import restore_data as rd
from genai_studio.training import restore_degrade as dg

LICENSE = "GPL-3.0-or-later (trained here)"


@dataclass(frozen=True)
class TaskSpec:
    model_id: str
    name: str
    manifest_task: str  # the manifest's task: "denoise" | "jpeg" | "upscale"
    architecture: str  # spandrel's architecture name for it
    scale: int
    description: str
    tags: tuple[str, ...]


TASKS: dict[str, TaskSpec] = {
    "denoise": TaskSpec("restore-denoise", "Denoise (NAFNet, blind, trained here)", "denoise", "NAFNet", 1,
                        "Blind Gaussian denoiser for photos (noise sigma 0–50 on the 0–255 scale): small NAFNet "
                        "U-Net, no noise-level input.", ("photo", "denoise", "trained-here")),
    "jpeg": TaskSpec("restore-jpeg", "JPEG artifact removal (NAFNet, blind, trained here)", "jpeg", "NAFNet", 1,
                     "Removes JPEG blocking and ringing from photos saved at quality 5–60, without being told "
                     "the quality: small NAFNet U-Net.", ("photo", "jpeg", "trained-here")),
    "sr4": TaskSpec("restore-faithful-x4", "Faithful x4 upscale (SPAN, trained here)", "upscale", "SPAN", 4,
                    "PSNR-oriented x4 super-resolution for bicubic-downscaled photos: invents no texture.",
                    ("photo", "fidelity", "trained-here")),
    "inpaint": TaskSpec("restore-inpaint", "Fill holes (NAFNet, image + mask, trained here)", "inpaint", "NAFNet", 1,
                        "Fills brushed holes, scratches and dust from their surroundings: a small NAFNet U-Net that "
                        "sees the photo and the hole mask. Continues edges and colour gradients; it does not "
                        "invent objects, so large holes come out smooth.", ("photo", "inpaint", "trained-here")),
    "colorize": TaskSpec("restore-colorize", "Colorize (NAFNet, trained here)", "colorize", "NAFNet", 1,
                         "Adds plausible colour to grayscale photos: the photo's own luminance is kept, the "
                         "model supplies chroma only. Small NAFNet U-Net; expect muted, mostly natural colours "
                         "(sky, foliage, skin, wood), not exact ones.", ("photo", "colorize", "trained-here")),
}
COLORFULNESS_WEIGHT = 0.03  # colorize: weight of the hinge on colourfulness below the truth's (0–1 scale)
SIGMA_RANGE = (0.0, 50.0)
QUALITY_RANGE = (5, 60)


def build_model(task: str) -> nn.Module:
    """The untrained network for ``task`` (constructor arguments are what spandrel re-derives on load)."""
    if task in ("denoise", "jpeg"):
        from spandrel.architectures.NAFNet import NAFNet

        # JPEG at low quality needs more capacity than denoising to clear 8x8 blocks and 4:2:0 chroma smear.
        width = 32 if task == "jpeg" else 16
        return NAFNet(img_channel=3, width=width, middle_blk_num=2, enc_blk_nums=[1, 1, 2],
                      dec_blk_nums=[1, 1, 1])
    if task == "sr4":
        from spandrel.architectures.SPAN import SPAN

        return SPAN(num_in_ch=3, num_out_ch=3, feature_channels=48, upscale=4)
    if task == "inpaint":
        from spandrel.architectures.NAFNet import NAFNet

        # RGB + mask in; four levels (1/16 resolution at the bottom) so a 48 px hole is filled from beyond it
        return NAFNet(img_channel=4, width=16, middle_blk_num=2, enc_blk_nums=[1, 1, 1, 1],
                      dec_blk_nums=[1, 1, 1, 1])
    if task == "colorize":
        from spandrel.architectures.NAFNet import NAFNet

        # four levels (1/16 resolution at the bottom): colour depends on what the object is, so context matters
        return NAFNet(img_channel=3, width=16, middle_blk_num=2, enc_blk_nums=[1, 1, 1, 1],
                      dec_blk_nums=[1, 1, 1, 1])
    raise BadInput(f"Unknown restoration task '{task}': choose denoise, jpeg, sr4, inpaint or colorize.")


@dataclass
class RestoreTrainOptions:
    task: str
    minutes: float = 20.0  # wall-clock budget for the training steps (evaluation comes after)
    steps: int = 6000
    seed: int = 0
    batch_size: int = 16
    patch: int = 64  # network input side (px); sr4: low-res side, its target is 4x that
    lr: float = 1e-3
    warmup: int = 100
    threads: int | None = None  # torch CPU threads (default: all cores up to 4)
    workers: int = 0  # batch-making subprocesses (0: in the training process); seeds depend on the count
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    evaluate: bool = True
    command: str = ""  # recorded in the manifest
    cache_dir: Path | None = None
    colorfulness_weight: float = COLORFULNESS_WEIGHT  # colorize only (0 = plain Charbonnier on chroma)
    init: Path | None = None  # start from these weights (same task's network) instead of random ones: fine-tuning


@dataclass
class RestoreTrainResult:
    weights: Path
    manifest: Path
    quality: dict
    steps_done: int
    history: list[dict] = field(default_factory=list)


def make_batch(patches: np.ndarray, task: str, rng: np.random.Generator, batch_size: int,
               patch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input, target) float32 (B, C, h, w) in 0–1 (C = 3; inpaint input: 4): random crops, flips and 90° turns,
    then the degradation."""
    scale = TASKS[task].scale
    side = patch * scale
    if side > patches.shape[1]:
        raise BadInput(f"--patch {patch} needs {side}px crops but the cached patches are {patches.shape[1]}px.")
    inputs, targets = [], []
    for i in rng.integers(0, len(patches), batch_size):
        y, x = rng.integers(0, patches.shape[1] - side + 1, 2)
        clean = patches[i, y: y + side, x: x + side]
        clean = np.rot90(clean, int(rng.integers(4)))
        if rng.random() < 0.5:
            clean = clean[:, ::-1]
        clean = np.ascontiguousarray(clean)
        if task == "denoise":
            degraded = dg.add_gaussian_noise(clean, float(rng.uniform(*SIGMA_RANGE)), rng)
        elif task == "jpeg":
            degraded = dg.jpeg_compress(clean, int(rng.integers(QUALITY_RANGE[0], QUALITY_RANGE[1] + 1)))
        elif task == "colorize":
            degraded = dg.to_gray(clean)
        elif task == "inpaint":
            degraded = dg.with_hole(clean, dg.random_holes(side, rng))  # (side, side, 4)
        else:
            degraded = dg.downscale(clean, scale)
        inputs.append(degraded)
        targets.append(clean)
    to_t = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float().div_(255.0)  # noqa: E731
    return to_t(inputs), to_t(targets)


class BatchStream(torch.utils.data.IterableDataset):
    """Endless (input, target) batches; worker ``i`` of ``n`` draws from its own seeded generator."""

    def __init__(self, patches: np.ndarray, task: str, seed: int, batch_size: int, patch: int) -> None:
        self.patches, self.task, self.seed, self.batch_size, self.patch = patches, task, seed, batch_size, patch

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, worker]))
        while True:
            yield make_batch(self.patches, self.task, rng, self.batch_size, self.patch)


def charbonnier(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    return torch.sqrt((pred - target) ** 2 + eps * eps).mean()


def _luma_t(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) → (B, 1, H, W) BT.601 luma."""
    w = torch.tensor(dg.LUMA_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True)


def keep_luma(out: torch.Tensor, gray: torch.Tensor) -> torch.Tensor:
    """The engine's colorize step: the model's colour, the input's luminance (``gray`` is luma ×3)."""
    return out + (_luma_t(gray) - _luma_t(out))


def colorfulness_t(x: torch.Tensor) -> torch.Tensor:
    """Per-sample Hasler–Süsstrunk colourfulness of (B, 3, H, W) in 0–1 (×255 for the usual scale); (B,)."""
    rg = x[:, 0] - x[:, 1]
    yb = 0.5 * (x[:, 0] + x[:, 1]) - x[:, 2]
    std = torch.sqrt(rg.var(dim=(1, 2)) + yb.var(dim=(1, 2)) + 1e-8)
    mean = torch.sqrt(rg.mean(dim=(1, 2)) ** 2 + yb.mean(dim=(1, 2)) ** 2 + 1e-8)
    return std + 0.3 * mean


KNOWN_PIXEL_WEIGHT = 0.1  # inpaint: weight of the pixels outside the hole in the loss


def task_loss(task: str, pred: torch.Tensor, inp: torch.Tensor, target: torch.Tensor,
              colorfulness_weight: float = COLORFULNESS_WEIGHT) -> torch.Tensor:
    if task == "inpaint":
        weight = inp[:, 3:4] + KNOWN_PIXEL_WEIGHT  # (B, 1, h, w): the hole counts 11x a known pixel
        error = torch.sqrt((pred[:, :3] - target) ** 2 + 1e-6)
        return (error * weight).sum() / (weight.sum() * 3)
    if task != "colorize":
        return charbonnier(pred, target)
    pred = keep_luma(pred, inp)
    loss = charbonnier(pred, target)
    if colorfulness_weight:
        loss = loss + colorfulness_weight * torch.relu(colorfulness_t(target) - colorfulness_t(pred)).mean()
    return loss


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise BadInput("--device cuda was asked for but PyTorch sees no CUDA device.")
    return torch.device(name)


def lr_at(step: int, elapsed: float, opts: RestoreTrainOptions) -> float:
    """Linear warm-up, then cosine to 1% of the peak over whichever of steps/time runs out first."""
    if step < opts.warmup:
        return opts.lr * (step + 1) / opts.warmup
    progress = max(step / max(1, opts.steps), elapsed / max(1e-6, opts.minutes * 60.0))
    return opts.lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))


def train_restore(out_dir: Path, opts: RestoreTrainOptions, log: Callable[[str], None] = print,
                  data: rd.RestoreData | None = None) -> RestoreTrainResult:
    """Train, evaluate on the held-out photos, write ``<model_id>.safetensors`` + ``<model_id>.json``."""
    if opts.task not in TASKS:
        raise BadInput(f"Unknown restoration task '{opts.task}': choose denoise, jpeg, sr4, inpaint or colorize.")
    if opts.steps < 1 or opts.minutes <= 0 or opts.batch_size < 1:
        raise BadInput("--steps and --batch-size must be at least 1 and --minutes positive.")
    spec = TASKS[opts.task]
    threads = opts.threads or min(4, os.cpu_count() or 1)
    torch.set_num_threads(threads)
    torch.manual_seed(opts.seed)
    device = pick_device(opts.device)
    # the network (and a bad --init) before the data: building the data cache can mean downloads
    model = build_model(opts.task)
    init_record = None
    if opts.init is not None:
        load_initial_weights(model, opts.init, spec)
        # hashed now: --out may be the folder the initial file lives in, and it is overwritten there
        init_record = {"file": opts.init.name, "sha256": sha256_file(opts.init)}
        log(f"starting from {opts.init}")
    model = model.to(device)
    data = data or rd.load_restore_data(opts.cache_dir, log=log)

    stream = BatchStream(data.patches, opts.task, opts.seed, opts.batch_size, opts.patch)
    batches = iter(torch.utils.data.DataLoader(stream, batch_size=None, num_workers=opts.workers,
                                               pin_memory=device.type == "cuda",
                                               persistent_workers=opts.workers > 0))
    optim = torch.optim.Adam(model.parameters(), lr=opts.lr, betas=(0.9, 0.99))
    history: list[dict] = []
    start = time.monotonic()
    budget = opts.minutes * 60.0
    step, running = 0, 0.0
    model.train()
    while step < opts.steps and time.monotonic() - start < budget:
        for group in optim.param_groups:
            group["lr"] = lr_at(step, time.monotonic() - start, opts)
        inp, target = next(batches)
        inp, target = inp.to(device, non_blocking=True), target.to(device, non_blocking=True)
        loss = task_loss(opts.task, model(inp), inp, target, opts.colorfulness_weight)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optim.step()
        running = loss.item() if step == 0 else 0.98 * running + 0.02 * loss.item()
        step += 1
        if step % 200 == 0 or step == opts.steps:
            elapsed = time.monotonic() - start
            history.append({"step": step, "loss": round(running, 5), "seconds": round(elapsed, 1)})
            log(f"step {step} loss {running:.5f} lr {optim.param_groups[0]['lr']:.2e} {elapsed:.0f}s")
    train_seconds = time.monotonic() - start
    model.eval()
    log(f"trained {step} steps in {train_seconds / 60:.1f} min on {device}")

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / f"{spec.model_id}.safetensors"
    # Shipped files stay under ~4 MB: above 1M parameters (SPAN keeps its training-time branches in the state
    # dict and re-folds them on every eval forward; the wider JPEG NAFNet) weights are stored in float16.
    chroma_gain = None
    if opts.task == "colorize":
        chroma_gain = restore_eval().calibrate_chroma_gain(model, rd.colorize_calibration_photos(), log=log)
    n_params = sum(p.numel() for p in model.parameters())
    dtype = torch.float16 if n_params > 1_000_000 else torch.float32
    state = {k: v.detach().to(dtype).cpu() for k, v in model.state_dict().items()}
    save_safetensors(state, weights, metadata={"architecture": spec.architecture, "task": spec.manifest_task,
                                               "scale": str(spec.scale), "trained_by": "genai-studio"})
    check_spandrel(weights, spec)
    del batches  # stops the batch workers

    quality: dict = {}
    if opts.evaluate:
        # score what ships: the weights as stored (float16 for the larger models), not the training copy
        from genai_studio.engines.loading import load_state_dict

        model.cpu().load_state_dict({k: v.float() for k, v in load_state_dict(weights).items()})
        quality = restore_eval().evaluate(model, opts.task, data.heldout, log=log)
    quality.update({"steps": step, "train_minutes": round(train_seconds / 60.0, 2), "device": device.type,
                    "threads": threads, "workers": opts.workers, "batch_size": opts.batch_size, "patch": opts.patch,
                    "parameters": sum(p.numel() for p in model.parameters())})
    if init_record is not None:
        quality["init"] = init_record
    if opts.task == "colorize":
        quality["colorfulness_weight"] = opts.colorfulness_weight
        quality["chroma_gain"] = chroma_gain
    manifest = ModelManifest(
        id=spec.model_id, name=spec.name, family="restore", task=spec.manifest_task,
        architecture=spec.architecture,
        files=(ModelFile(weights.name, sha256_file(weights), weights.stat().st_size),),
        source=ModelSource(kind="trained", upstream="GenAI Studio", command=opts.command),
        license=LICENSE, scale=spec.scale, description=spec.description,
        training_data=data.sources_summary(), quality=quality,
        defaults={"tile": 256, "default_for_task": True}, tags=spec.tags)
    manifest_path = out_dir / f"{spec.model_id}.json"
    write_manifest(manifest, manifest_path)
    return RestoreTrainResult(weights, manifest_path, quality, step, history)


def load_initial_weights(model: nn.Module, path: Path, spec: TaskSpec) -> None:
    """Fill ``model`` with the weights in ``path``; refuses a file of another network or shape."""
    from genai_studio.engines.loading import load_state_dict

    if not Path(path).is_file():
        raise BadInput(f"--init {path}: no such file.")
    state = load_state_dict(Path(path))
    mine = model.state_dict()
    if set(state) != set(mine) or any(state[k].shape != mine[k].shape for k in mine):
        raise ModelError(f"--init {Path(path).name} is not a {spec.architecture} network of the shape "
                         f"'{spec.model_id}' trains (its tensors differ in names or shapes).")
    model.load_state_dict({k: v.float() for k, v in state.items()})


def restore_eval():
    """The evaluation module (it imports this one for ``keep_luma``, so it is loaded when needed)."""
    from genai_studio.training import restore_eval as evaluation

    return evaluation


def check_spandrel(weights: Path, spec: TaskSpec) -> None:
    """Refuse to ship a file spandrel would not detect as the intended architecture and scale."""
    import spandrel

    from genai_studio.engines.loading import load_state_dict

    desc = spandrel.ModelLoader().load_from_state_dict(load_state_dict(weights))
    if desc.architecture.id != spec.architecture or desc.scale != spec.scale:
        raise ModelError(f"spandrel detects {weights.name} as {desc.architecture.id} x{desc.scale}, "
                         f"not {spec.architecture} x{spec.scale}.")
