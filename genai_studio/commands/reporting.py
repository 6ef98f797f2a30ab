"""The CLI's one way of turning a user-facing failure into one `error: …` line and exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable

from genai_studio.core.errors import BadInput, StudioError


def run_reporting_errors(action: Callable[[], int]) -> int:
    try:
        return action()
    except StudioError as exc:
        close_progress_line()
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        close_progress_line()
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2


def check_output_writable(out: Path) -> None:
    """Fail before any work when ``out`` cannot be written: it is a folder, a file stands where a folder on
    its path should be, or its folder cannot be created or written in (a probe file is made and removed,
    since permission bits lie on /proc, /sys and read-only mounts)."""
    import tempfile

    if out.is_dir():
        raise BadInput(f"{out} is a folder; give a file name")
    folder = out.parent
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise BadInput(f"cannot write {out}: {existing} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".genai-studio-probe-"):
            pass
    except OSError as exc:
        raise BadInput(f"cannot write {out.name} in {folder}: {exc.strerror or exc}") from None


def refuse_overwriting_input(out: Path, *inputs: str | Path | None) -> None:
    """OUT naming one of the inputs (by any path: ``./a/../a/x.wav``, a link) would replace the original with
    the result; refuse it before any work, as upscale and restore do."""
    if not out.exists():
        return
    for src in inputs:
        if src is not None and Path(src).exists() and os.path.samefile(src, out):
            raise BadInput(f"OUT is IN ({Path(src).name}); choose another file name so the original is kept")


def load_melody_noting(path: str):
    """A melody file (MIDI, MusicXML, ABC), printing what loading changed (a track picked, chords reduced to
    their top line, tempo changes flattened, a key estimated) as a ``note:`` on stderr."""
    from genai_studio.mediaio.midi import load_melody

    melody = load_melody(path)
    if melody.metadata.get("note"):
        print(f"note: {Path(path).name}: {melody.metadata['note']}", file=sys.stderr)
    return melody


def print_usage(parser: argparse.ArgumentParser) -> int:
    """A command group run without its action: show what it takes, exit 2."""
    parser.print_help(sys.stderr)
    return 2


_bar_line_open = [False]  # a progress bar was drawn on stderr and its line not yet ended


def close_progress_line() -> None:
    """End a progress bar's line (a job may finish below 100%), so what is printed next starts on its own."""
    if _bar_line_open[0]:
        sys.stderr.write("\n")
        sys.stderr.flush()
        _bar_line_open[0] = False


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
        _bar_line_open[0] = not end

    return show


def run_training(train, out_dir: str, options) -> int:
    """Run a ``train_*(out_dir, options, log)`` function, printing its log lines as they come; a user-facing
    failure is one `error:` line and exit 2."""
    try:
        result = train(Path(out_dir), options, log=lambda line: print(line, flush=True))
    except StudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    steps = getattr(result, "steps_done", None)
    print(f"wrote {result.weights} and {result.manifest}" + (f" after {steps} steps" if steps is not None else ""))
    return 0
