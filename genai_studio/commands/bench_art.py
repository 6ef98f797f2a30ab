"""`genai-studio bench art`: built-in image generators vs baselines: FD, memorisation, diversity, adherence, speed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register_bench_art(which: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``art`` to the ``genai-studio bench`` subcommands (``which`` is their sub-parser group)."""
    a = which.add_parser("art", help="image generators vs baselines: FD in the art classifier's feature space, "
                                     "memorisation, diversity, prompt adherence; s per 256 px image and 16-grid")
    a.add_argument("--samples", type=int, default=None,
                   help="samples for the Fréchet distance (default: one per held-out image)")
    a.add_argument("--per-class", type=int, default=None, help="samples per class-word prompt (default 16)")
    a.add_argument("--repeats", type=int, default=None, help="warm speed runs (default 5)")
    a.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                   help="device for the quality samples (speed is measured on CPU, and on CUDA when present)")
    a.add_argument("--models", nargs="+", default=None, help="only these generator ids (default: all built-in)")
    a.add_argument("--compare", nargs="+", default=(), metavar="MANIFEST",
                   help="also score these generators (their .json manifests, weights beside them), e.g. the "
                        "previous version of a built-in model; reported as '<id> (compared)'")
    a.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    a.add_argument("--classifier-dir", default=None,
                   help="where the art classifier is cached (default: the art-data cache folder)")
    a.add_argument("--quick", action="store_true",
                   help="few samples, 6 classes, 2 speed runs; trains a 1-epoch classifier if none is cached")
    a.add_argument("-o", "--output", default=None, help="also write the JSON here (default: "
                   "bench-results/<date>-art-generators-<device>-<cores>core.json)")
    a.set_defaults(func=cmd_bench_art)
    return a


def cmd_bench_art(args: argparse.Namespace) -> int:
    from genai_studio.bench.art_generators import BenchOptions, bench_art, default_output
    from genai_studio.commands.bench import _emit
    from genai_studio.commands.reporting import run_reporting_errors

    for flag in ("samples", "per_class", "repeats", "threads"):
        value = getattr(args, flag)
        if value is not None and value < (2 if flag in ("samples", "per_class") else 1):
            print(f"error: --{flag.replace('_', '-')} is too small: {value}", file=sys.stderr)
            return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    quick = args.quick
    opts = BenchOptions(samples=args.samples or (24 if quick else None),
                        per_class=args.per_class or (4 if quick else 16), max_classes=6 if quick else None,
                        repeats=args.repeats or (2 if quick else 5), device=args.device,
                        models=tuple(args.models) if args.models else None,
                        classifier_dir=Path(args.classifier_dir) if args.classifier_dir else None, quick=quick,
                        compare=tuple(Path(p) for p in args.compare))
    output = args.output or str(default_output())

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def run() -> int:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        return _emit(bench_art(opts, log), output)

    return run_reporting_errors(run)
