"""`genai-studio train art --family vae …`: reproduce the emoji generator the project ships."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genai_studio.commands.reporting import run_training

FAMILIES = ("vae",)


def register_art(actions: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``art`` to the ``genai-studio train`` subcommands (``actions`` is their sub-parser group)."""
    a = actions.add_parser("art", help="train the emoji-style image generator on Debian fonts-noto-color-emoji")
    a.add_argument("--family", default="vae", choices=FAMILIES, help="model family (default vae)")
    a.add_argument("--data", default=None, help="art data cache folder (default ~/.cache/genai-studio/art-data; "
                   "built from the Debian package on first use)")
    a.add_argument("-o", "--out", default="art-model", help="folder for art-emoji-vae.safetensors + .json "
                   "(default ./art-model; genai_studio/models replaces the shipped model)")
    a.add_argument("--steps", type=int, default=6000, help="training steps at most (default 6000)")
    a.add_argument("--minutes", type=float, default=18.0, help="wall-clock budget for training (default 18)")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--batch-size", type=int, default=32)
    a.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (warm-up, then cosine)")
    a.add_argument("--kl-weight", type=float, default=0.02, help="weight of the KL term against summed "
                   "squared pixel error (default 0.02)")
    a.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    a.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    a.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation (smoke tests)")
    a.set_defaults(func=cmd_train_art)
    return a


def cmd_train_art(args: argparse.Namespace) -> int:
    from genai_studio.training.art_vae import ArtTrainOptions, train_art_vae

    if args.steps < 1 or args.batch_size < 1 or args.lr <= 0 or args.minutes <= 0:
        print("error: --steps, --batch-size must be at least 1; --lr and --minutes positive", file=sys.stderr)
        return 2
    options = ArtTrainOptions(steps=args.steps, minutes=args.minutes, seed=args.seed, batch_size=args.batch_size,
                              lr=args.lr, kl_weight=args.kl_weight, device=args.device, threads=args.threads,
                              data_dir=Path(args.data) if args.data else None, evaluate=not args.no_eval,
                              command=_reconstruct(args))
    return run_training(train_art_vae, args.out, options)


def _reconstruct(args: argparse.Namespace) -> str:
    """The canonical command line (recorded in the manifest): options that change the result, fixed order."""
    parts = ["genai-studio", "train", "art", "--family", args.family, "-o", str(args.out), "--steps",
             str(args.steps), "--minutes", f"{args.minutes:g}", "--seed", str(args.seed)]
    for flag, value, default in (("--data", args.data, None), ("--batch-size", args.batch_size, 32),
                                 ("--lr", args.lr, 2e-3), ("--kl-weight", args.kl_weight, 0.02),
                                 ("--threads", args.threads, 2), ("--device", args.device, "cpu")):
        if value != default:
            parts += [flag, str(value)]
    return " ".join(parts)
