"""`genai-studio train restore --task denoise|jpeg|sr4|inpaint|colorize …`: reproduce the restoration weights the project ships."""

from __future__ import annotations

import argparse
from pathlib import Path

from genai_studio.commands.reporting import run_training

TASK_CHOICES = ("denoise", "jpeg", "sr4", "inpaint", "colorize")


def register_restore(actions: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``restore`` to the ``genai-studio train`` subcommands (``actions`` is their sub-parser group)."""
    r = actions.add_parser("restore", help="train a restoration model (denoise, JPEG, faithful x4, hole filling, colorize) on "
                           "photos from Debian wallpaper packages + skimage, with synthetic degradations")
    r.add_argument("--task", required=True, choices=TASK_CHOICES)
    r.add_argument("--minutes", type=float, default=20.0, help="wall-clock budget for training steps (default 20)")
    r.add_argument("--steps", type=int, default=6000, help="training steps at most (default 6000)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--out", default="restore-model", help="folder for <model-id>.safetensors + .json "
                   "(default ./restore-model; genai_studio/models replaces the shipped model)")
    r.add_argument("--batch-size", type=int, default=16)
    r.add_argument("--patch", type=int, default=None, help="input patch side in px (default 64; sr4: 32; "
                   "inpaint: 96; colorize: 128, the whole cached crop: colour needs context)")
    r.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (warm-up, then cosine)")
    r.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: cores, at most 4)")
    r.add_argument("--workers", type=int, default=0, help="subprocesses making batches (default 0; "
                   "a GPU wants several). The random batches depend on the count")
    r.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    r.add_argument("--data", default=None, help="restoration data cache folder "
                   "(default ~/.cache/genai-studio/restore-data; built on first use)")
    r.add_argument("--colorfulness-weight", type=float, default=None, help="colorize only: weight of the loss "
                   "term that punishes output less colourful than the truth (default 0.03; 0 = chroma L1 only)")
    r.add_argument("--init", default=None, help="start from these weights (.safetensors of the same task's "
                   "network, e.g. the shipped model) and fine-tune them, instead of starting from random ones")
    r.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation (smoke tests)")
    r.set_defaults(func=cmd_train_restore)
    return r


def cmd_train_restore(args: argparse.Namespace) -> int:
    from genai_studio.training.restore_train import RestoreTrainOptions, train_restore

    patch = args.patch or {"sr4": 32, "colorize": 128, "inpaint": 96}.get(args.task, 64)
    options = RestoreTrainOptions(task=args.task, minutes=args.minutes, steps=args.steps, seed=args.seed,
                                  batch_size=args.batch_size, patch=patch, lr=args.lr, threads=args.threads,
                                  workers=args.workers, device=args.device, evaluate=not args.no_eval,
                                  cache_dir=Path(args.data) if args.data else None,
                                  init=Path(args.init) if args.init else None, command=_reconstruct(args))
    if getattr(args, "colorfulness_weight", None) is not None:
        options.colorfulness_weight = args.colorfulness_weight
    return run_training(train_restore, args.out, options)


def _reconstruct(args: argparse.Namespace) -> str:
    """The canonical command line (recorded in the manifest): options that change the result, fixed order."""
    parts = ["genai-studio", "train", "restore", "--task", args.task, "--minutes", f"{args.minutes:g}",
             "--steps", str(args.steps), "--seed", str(args.seed), "--out", str(args.out)]
    for flag, value, default in (("--batch-size", args.batch_size, 16), ("--patch", args.patch, None),
                                 ("--lr", args.lr, 1e-3), ("--threads", args.threads, None),
                                 ("--workers", args.workers, 0), ("--device", args.device, "auto"),
                                 ("--data", args.data, None), ("--init", args.init, None),
                                 ("--colorfulness-weight", getattr(args, "colorfulness_weight", None), None)):
        if value != default:
            parts += [flag, str(value)]
    return " ".join(parts)
