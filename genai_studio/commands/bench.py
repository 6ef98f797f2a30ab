"""`genai-studio bench startup|upscale|melody|voice|restore|style|art`: measured speed and memory as JSON (never asserted in tests)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ALL_UPSCALE_MODELS = ("realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3-x2",
                      "realesr-animevideov3-x3", "realesr-animevideov3-x4")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("bench", help="measure speed and memory (JSON output)")
    which = p.add_subparsers(dest="bench_name", metavar="BENCHMARK")

    s = which.add_parser("startup", help="launch → window shown, against a bare Qt window")
    s.add_argument("--repeats", type=int, default=5)
    s.add_argument("-o", "--output", help="also write the JSON to this file")
    s.set_defaults(func=cmd_startup)

    u = which.add_parser("upscale", help="per-model megapixels/s and peak RSS vs bicubic; GUI gaps; 4096² memory")
    u.add_argument("--models", nargs="+", default=list(ALL_UPSCALE_MODELS))
    u.add_argument("--size", type=int, default=192, help="square input size in pixels (default 192)")
    u.add_argument("--tile", type=int, default=192)
    u.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    u.add_argument("--big-model", default="realesr-animevideov3-x4", help="model for the 4096x4096 output run")
    u.add_argument("--skip-big", action="store_true", help="skip the 1024→4096 memory run")
    u.add_argument("-o", "--output", help="also write the JSON to this file")
    u.set_defaults(func=cmd_upscale)
    m = which.add_parser("melody", help="melody model: held-out bits/note vs n-gram, constraints, 16-bar speed")
    m.add_argument("--seeds", type=int, default=8, help="melodies per key/meter/style case (default 8)")
    m.add_argument("--repeats", type=int, default=21, help="timed 16-bar generations per case (default 21)")
    m.add_argument("--model", default=None, help="melody model file (default: the shipped melody-folk)")
    m.add_argument("-o", "--output", help="also write the JSON to this file")
    m.set_defaults(func=cmd_melody)
    v = which.add_parser("voice", help="TTS RTF and first audio, denoise SNR gain, transform and singing pitch error")
    v.add_argument("-o", "--output", help="also write the JSON to this file")
    v.set_defaults(func=cmd_voice)
    r = which.add_parser("restore", help="denoise/JPEG/x4/inpaint/colorize quality vs classical baselines, s/MP")
    r.add_argument("--size", type=int, default=256, help="square crop of each held-out photo (default 256)")
    r.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    r.add_argument("-o", "--output", help="also write the JSON to this file")
    r.set_defaults(func=cmd_restore)
    st = which.add_parser("style", help="style transfer s per 512x512 and per MP (named, style image); "
                                        "preserve-colours chroma fidelity")
    st.add_argument("--size", type=int, default=512, help="square input size in pixels (default 512)")
    st.add_argument("--repeats", type=int, default=5, help="timed warm runs per mode (default 5)")
    st.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    st.add_argument("-o", "--output", help="also write the JSON to this file")
    st.set_defaults(func=cmd_style)
    from genai_studio.commands.bench_art import register_bench_art

    register_bench_art(which)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
    return p


def _emit(report: dict, output: str | None) -> int:
    text = json.dumps(report, indent=2)
    print(text)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    return 0


def _report(make, output: str | None) -> int:
    """Run a benchmark; a user-facing failure (no model, bad option) is one `error:` line and exit 2."""
    from genai_studio.commands.reporting import run_reporting_errors

    return run_reporting_errors(lambda: _emit(make(), output))


def cmd_startup(args: argparse.Namespace) -> int:
    from genai_studio.bench.startup import bench_startup

    return _emit(bench_startup(args.repeats), args.output)


def cmd_melody(args: argparse.Namespace) -> int:
    from genai_studio.bench.melody import bench_melody

    return _report(lambda: bench_melody(args.seeds, args.repeats, args.model), args.output)


def cmd_voice(args: argparse.Namespace) -> int:
    from genai_studio.bench.voice import bench_voice

    return _report(bench_voice, args.output)


def cmd_restore(args: argparse.Namespace) -> int:
    from genai_studio.bench.restore import bench_restore

    return _report(lambda: bench_restore(args.size, args.device), args.output)


def cmd_style(args: argparse.Namespace) -> int:
    from genai_studio.bench.art import bench_style

    return _report(lambda: bench_style(args.size, args.repeats, args.device), args.output)


def cmd_upscale(args: argparse.Namespace) -> int:
    from genai_studio.bench.upscale import bench_upscale

    try:
        report = bench_upscale(args.models, args.size, args.device, args.tile, big_model=args.big_model,
                               skip_big=args.skip_big)
    except RuntimeError as exc:  # e.g. CUDA asked for on a machine without it
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _emit(report, args.output)
