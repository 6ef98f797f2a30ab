"""The CLI's one way of turning a user-facing failure into one `error: …` line and exit code 2."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable

from genai_studio.core.errors import StudioError


def run_reporting_errors(action: Callable[[], int]) -> int:
    try:
        return action()
    except StudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        return 2


def print_usage(parser: argparse.ArgumentParser) -> int:
    """A command group run without its action: show what it takes, exit 2."""
    parser.print_help(sys.stderr)
    return 2


def progress_printer(label: str, quiet: bool):
    """A progress listener for CancelToken that draws one updating bar on stderr (at most 5 redraws/s)."""
    last = [0.0]

    def show(fraction: float, message: str, _preview) -> None:
        now = time.monotonic()
        if quiet or (now - last[0] < 0.2 and fraction < 1.0):
            return
        last[0] = now
        bar = "#" * int(fraction * 30)
        end = "\n" if fraction >= 1.0 else ""
        sys.stderr.write(f"\r{label} [{bar:<30}] {fraction * 100:5.1f}% {message:<28}{end}")
        sys.stderr.flush()

    return show


def run_training(train, out_dir: str, options) -> int:
    """Run a ``train_*(out_dir, options, log)`` function, printing its log lines as they come; a user-facing
    failure is one `error:` line and exit 2."""
    from pathlib import Path

    try:
        result = train(Path(out_dir), options, log=lambda line: print(line, flush=True))
    except StudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    steps = getattr(result, "steps_done", None)
    print(f"wrote {result.weights} and {result.manifest}" + (f" after {steps} steps" if steps is not None else ""))
    return 0
