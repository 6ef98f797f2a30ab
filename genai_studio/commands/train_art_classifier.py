"""`genai-studio train art-classifier --data emoji`: (re)build the classifier whose features `bench art` uses."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register_art_classifier(actions: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``art-classifier`` to the ``genai-studio train`` subcommands."""
    c = actions.add_parser("art-classifier", help="train the small CNN that tags built-in art images with prompt "
                           "words (its features are bench art's Fréchet-distance space)")
    c.add_argument("--data", default="emoji", help="built-in art set (default emoji)")
    c.add_argument("--cache", default=None, help="folder for classifier-<set>-v1.safetensors + .json "
                   "(default: the art-data cache, ~/.cache/genai-studio/art-data)")
    c.add_argument("--epochs", type=int, default=14)
    c.add_argument("--minutes", type=float, default=4.0, help="wall-clock budget (default 4)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    c.set_defaults(func=cmd_train_art_classifier)
    return c


def cmd_train_art_classifier(args: argparse.Namespace) -> int:
    import json

    from genai_studio.commands.reporting import run_reporting_errors
    from genai_studio.training import art_classifier as ac
    from genai_studio.training import art_data as ad

    if args.epochs < 1 or args.minutes <= 0:
        print("error: --epochs must be at least 1 and --minutes positive", file=sys.stderr)
        return 2
    command = f"genai-studio train art-classifier --data {args.data} --epochs {args.epochs} " \
              f"--minutes {args.minutes:g} --seed {args.seed}"
    opts = ac.ClassifierOptions(epochs=args.epochs, minutes=args.minutes, seed=args.seed, threads=args.threads,
                                command=command)
    cache = Path(args.cache) if args.cache else None

    def run() -> int:
        data = ad.load_builtin(args.data, log=lambda line: print(line, flush=True))
        clf = ac.train_classifier(data, opts, args.data, log=lambda line: print(line, flush=True))
        weights, meta = ac.save_classifier(clf, args.data, cache)
        print(json.dumps({"classes": list(clf.classes), "heldout": clf.info["heldout"]}))
        print(f"wrote {weights} and {meta}")
        return 0

    return run_reporting_errors(run)
