"""`genai-studio style IN -o OUT (--style NAME | --style-image IMG) [--strength S]`: the Style panel, headless.

Builds the same StyleSpec as the panel and runs it through the same JobRunner. Bad input prints one
``error: <message>`` line and exits with status 2; ``--list`` prints the 26 style names.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from genai_studio.commands.reporting import progress_printer, run_reporting_errors
from genai_studio.core.art_jobs import DEFAULT_STYLE, STYLE_NAMES
from genai_studio.core.errors import BadInput


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("style", help="style transfer: 26 painting styles or the style of any image")
    p.add_argument("input", metavar="IN", nargs="?", help="image to stylize")
    p.add_argument("-o", "--output", metavar="OUT", help="where to write the result (.png, .jpg, .webp, .tif)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--style", metavar="NAME", help=f"a named style, e.g. {DEFAULT_STYLE} (see --list) or its "
                                                       "number 0-25")
    which.add_argument("--style-image", metavar="IMG", help="use this picture's style instead of a named one")
    which.add_argument("--list", action="store_true", help="print the 26 style names and exit")
    p.add_argument("--strength", type=float, default=1.0, help="0 = unchanged … 1 = fully stylized (default 1)")
    p.add_argument("--preserve-colors", action="store_true", help="keep the photo's colours, take only the "
                                                                  "brightness pattern of the style")
    p.add_argument("--mask", metavar="MASK", help="image whose white (or opaque) pixels mark where to stylize")
    p.add_argument("--max-side", type=int, default=1024, help="working resolution of the named-style network, "
                                                              "longer side in pixels (default 1024)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_style)
    return p


def cmd_style(args: argparse.Namespace) -> int:
    if args.list:
        for index, name in enumerate(STYLE_NAMES):
            print(f"{index:2d}  {name}")
        return 0
    return run_reporting_errors(lambda: _stylize(args))


def _stylize(args: argparse.Namespace) -> int:
    from genai_studio.commands.image_pairs import check_image_output
    from genai_studio.commands.restore import mask_from_image
    from genai_studio.core.art_jobs import StyleSpec
    from genai_studio.core.progress import CancelToken
    from genai_studio.mediaio.images import load_image, save_image
    from genai_studio.runtime.job_runner import JobRunner
    from genai_studio.runtime.model_store import ModelStore

    if not args.input or not args.output:
        raise BadInput("give an input image and -o OUTPUT (or --list to see the styles)")
    if not args.style and not args.style_image:
        raise BadInput(f"choose a style: --style NAME (e.g. {DEFAULT_STYLE}) or --style-image IMG")
    image = load_image(args.input)
    style_image = load_image(args.style_image) if args.style_image else None
    mask = mask_from_image(load_image(args.mask), image, Path(args.mask).name) if args.mask else None
    try:
        spec = StyleSpec(image=image, style=args.style or "", style_image=style_image, strength=args.strength,
                         preserve_colors=args.preserve_colors, mask=mask, max_side=args.max_side, device=args.device)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    out = Path(args.output)
    for given in filter(None, (args.input, args.style_image, args.mask)):
        if out.exists() and out.resolve() == Path(given).resolve():
            raise BadInput(f"-o {out.name} is one of the inputs; choose another name so the original is kept")
    check_image_output(out)
    result = JobRunner(ModelStore())(spec, CancelToken(progress_printer(Path(args.input).name, args.quiet)))
    save_image(result.image, out, provenance=spec.to_json())
    if not args.quiet:
        print(f"{args.input} → {out} ({spec.style_label}, {result.seconds:.2f} s on {result.device})")
        for note in result.notes:
            print(f"  note: {note}")
    return 0
