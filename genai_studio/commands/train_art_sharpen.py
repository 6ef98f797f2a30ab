"""`genai-studio train art-sharpen --data emoji --weights VAE -o DIR`: adversarially fine-tune a VAE's decoder.

The second stage of the shipped generators (see ``training/art_sharpen``): it starts from the VAE that
``train art --data emoji|icons --family vae`` wrote and records both commands in the new manifest.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def register_art_sharpen(actions: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``art-sharpen`` to the ``genai-studio train`` subcommands."""
    s = actions.add_parser("art-sharpen", help="sharpen a trained VAE generator: fine-tune its decoder against a "
                           "discriminator (encoder, prompts and prior stay as they are)")
    s.add_argument("--data", default="emoji", help="built-in art set the VAE was trained on (default emoji)")
    s.add_argument("--weights", required=True, help="the VAE's .safetensors (its manifest beside it is read for "
                   "the first stage's command)")
    s.add_argument("-o", "--out", required=True, help="folder for the sharpened weights and manifest")
    s.add_argument("--steps", type=int, default=3000)
    s.add_argument("--minutes", type=float, default=30.0, help="wall-clock budget (default 30)")
    s.add_argument("--batch-size", type=int, default=16)
    s.add_argument("--adv-weight", type=float, default=0.1, help="weight of the adversarial loss (default 0.1)")
    s.add_argument("--recon-weight", type=float, default=10.0, help="weight of the reconstruction L1 (default 10)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    s.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    s.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation (smoke tests)")
    s.set_defaults(func=cmd_train_art_sharpen)
    return s


def cmd_train_art_sharpen(args: argparse.Namespace) -> int:
    from genai_studio.commands.reporting import run_training
    from genai_studio.training import art_sharpen

    if args.steps < 1 or args.batch_size < 2 or args.minutes <= 0 or args.adv_weight < 0 or args.recon_weight < 0:
        print("error: --steps must be at least 1, --batch-size at least 2, --minutes positive and the weights "
              "not negative", file=sys.stderr)
        return 2
    weights = Path(args.weights)
    this = (f"genai-studio train art-sharpen --data {args.data} --weights {shlex.quote(args.weights)} "
            f"-o {shlex.quote(args.out)} --steps {args.steps} --minutes {args.minutes:g} --batch-size "
            f"{args.batch_size} --adv-weight {args.adv_weight:g} --recon-weight {args.recon_weight:g} "
            f"--seed {args.seed} --device {args.device}")
    first = art_sharpen.first_stage_command(art_sharpen.previous_manifest(weights))
    options = art_sharpen.SharpenOptions(
        weights=weights, steps=args.steps, minutes=args.minutes, seed=args.seed, batch_size=args.batch_size,
        adv_weight=args.adv_weight, recon_weight=args.recon_weight, device=args.device, threads=args.threads,
        dataset=args.data, evaluate=not args.no_eval, command=f"{first} && {this}" if first else this)
    return run_training(art_sharpen.sharpen_vae, args.out, options)
