"""`genai-studio upscale IN -o OUT`: the Upscale panel's job, headless, for one file or a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genai_studio.core.errors import StudioError, BadInput
from genai_studio.core.jobs import SMALLEST_TILE, UpscaleSpec
from genai_studio.core.progress import CancelToken
from genai_studio.commands.image_pairs import image_pairs
from genai_studio.commands.reporting import progress_printer

DEFAULT_MODEL = "realesrgan-x4plus"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("upscale", help="upscale an image or a folder of images")
    p.add_argument("input", metavar="IN", help="image file or folder of images")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="output file, or folder when IN is a folder")
    p.add_argument("--scale", type=int, choices=(2, 3, 4), default=4, help="upscale factor (default 4)")
    p.add_argument("--model", default=None, help=f"model id from `genai-studio models list` (default {DEFAULT_MODEL}, "
                                                 "or the model that --quality picks)")
    p.add_argument("--quality", choices=("perceptual", "fidelity"), default=None,
                   help="perceptual = sharp, invented detail (Real-ESRGAN); fidelity = faithful to the source, "
                        "best PSNR (a model tagged 'fidelity')")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="compute device (default auto)")
    p.add_argument("--tile", type=int, default=None, help="tile size in input pixels, 0 = no tiling (default: the model's)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_upscale)
    return p


def _model_for_quality(store, quality: str, scale: int) -> str:
    from genai_studio.engines import registry

    return registry.call("upscale.pick_model", store, quality, "", scale).id


def cmd_upscale(args: argparse.Namespace) -> int:
    from genai_studio.mediaio.images import load_image, save_image
    from genai_studio.runtime.job_runner import JobRunner
    from genai_studio.runtime.model_store import ModelStore

    store = ModelStore()
    try:
        if args.model is None:
            args.model = _model_for_quality(store, args.quality, args.scale) if args.quality else DEFAULT_MODEL
        entry = store.get(args.model)
        if args.quality == "fidelity" and "fidelity" not in entry.manifest.tags:
            raise BadInput(f"{args.model} is not a fidelity upscaler; leave out --model to use the installed one")
        if entry.task != "upscale":
            raise BadInput(f"{args.model} is a {entry.task} model, not an upscaler")
        tile = args.tile if args.tile is not None else int(entry.manifest.defaults.get("tile", 256))
        if tile != 0 and tile < SMALLEST_TILE:  # refused here, before any image is read
            raise BadInput(f"--tile must be 0 (no tiling) or at least {SMALLEST_TILE} pixels, got {tile}")
        pairs = image_pairs(Path(args.input), Path(args.output), f"x{args.scale}")
    except StudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    runner = JobRunner(store)
    failures = 0
    for src, dst in pairs:
        try:
            image = load_image(src)
            spec = UpscaleSpec(image=image, model_id=args.model, scale=args.scale, tile=tile, device=args.device)
            token = CancelToken(progress_printer(src.name, args.quiet))
            result = runner(spec, token)
            dst.parent.mkdir(parents=True, exist_ok=True)
            save_image(result.image, dst)
            if not args.quiet:
                print(f"{src} → {dst} ({result.image.width}×{result.image.height}, {result.seconds:.1f} s on {result.device})")
                for note in result.notes:
                    print(f"  note: {note}")
        except StudioError as exc:
            failures += 1
            print(f"\nerror: {src}: {exc.message}" if len(pairs) > 1 else f"\nerror: {exc.message}", file=sys.stderr)
        except KeyboardInterrupt:
            print("\ncancelled", file=sys.stderr)
            return 130
        except OSError as exc:  # name the file it concerns: it may be the model or the output, not the input
            failures += 1
            print(f"\nerror: {src}: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""),
                  file=sys.stderr)
    if failures:
        if len(pairs) > 1:
            print(f"{failures} of {len(pairs)} images failed", file=sys.stderr)
        return 2
    return 0
