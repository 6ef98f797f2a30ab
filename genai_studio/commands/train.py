"""`genai-studio train melody …`: reproduce the weights the project ships, from its committed data."""

from __future__ import annotations

import argparse
import sys

from genai_studio.commands.reporting import run_training


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="train the models the project ships (reproducibly)")
    which = p.add_subparsers(dest="train_what", metavar="MODEL")
    m = which.add_parser("melody", help="train MelodyGRU on the committed melody corpus")
    m.add_argument("--epochs", type=int, default=14, help="passes over the training tunes (default 14)")
    m.add_argument("--out", default="melody-model", help="folder for melody-folk.safetensors + .json "
                   "(default ./melody-model; genai_studio/models replaces the shipped model)")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--batch-size", type=int, default=32)
    m.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (one-cycle schedule)")
    m.add_argument("--max-minutes", type=float, default=None, help="stop after the epoch that passes this time")
    m.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: 1 on ≤4 cores)")
    m.add_argument("--limit", type=int, default=None, help="use only the first N training tunes (smoke test)")
    m.add_argument("--max-batches", type=int, default=None, help="batches per epoch at most (smoke test)")
    m.set_defaults(func=cmd_train_melody)
    from genai_studio.commands.train_restore import register_restore

    register_restore(which)
    from genai_studio.commands.train_art import register_art

    register_art(which)
    from genai_studio.commands.train_art_classifier import register_art_classifier

    register_art_classifier(which)
    from genai_studio.commands.train_art_sharpen import register_art_sharpen

    register_art_sharpen(which)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
    return p


def cmd_train_melody(args: argparse.Namespace) -> int:
    from genai_studio.training.melody_train import TrainOptions, train_melody

    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        print("error: --epochs and --batch-size must be at least 1 and --lr positive", file=sys.stderr)
        return 2
    options = TrainOptions(epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
                           max_minutes=args.max_minutes, threads=args.threads, limit_tunes=args.limit,
                           max_batches=args.max_batches,
                           command=_reconstruct(args))
    return run_training(train_melody, args.out, options)


def _reconstruct(args: argparse.Namespace) -> str:
    """The canonical command line for ``args`` (recorded in the manifest): every option that changes
    the result, in a fixed order, whatever order or defaults the user typed."""
    parts = ["genai-studio", "train", "melody", "--epochs", str(args.epochs), "--out", str(args.out),
             "--seed", str(args.seed)]
    for flag, value, default in (("--batch-size", args.batch_size, 32), ("--lr", args.lr, 3e-3),
                                 ("--max-minutes", args.max_minutes, None), ("--limit", args.limit, None),
                                 ("--max-batches", args.max_batches, None)):
        if value != default:
            parts += [flag, str(value)]
    return " ".join(parts)
