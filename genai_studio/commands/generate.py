"""`genai-studio generate -o OUTDIR [--prompt "…"] [--count N] [--seed S] …`: the built-in generator, headless.

Builds the same GenerateSpec as a panel would and runs it through the same JobRunner. Writes one PNG per image
(``<slug>-<seed>-<i>.png``) and ``grid.png``; unknown prompt words are printed (and listed in the exit report),
never silently dropped.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from genai_studio.commands.reporting import progress_printer, run_reporting_errors
from genai_studio.core.art_generate_jobs import DEFAULT_GENERATOR, MAX_COUNT
from genai_studio.core.errors import BadInput


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("generate", help="generate emoji-style images from a text prompt")
    p.add_argument("-o", "--out", help="output folder for the PNGs (created)")
    p.add_argument("--model", default=DEFAULT_GENERATOR, help=f"generator model id (default {DEFAULT_GENERATOR})")
    p.add_argument("--prompt", default="", help="words from the emoji names, e.g. \"smiling cat face\"")
    # defaults of options a walk does not use are None, so a walk can tell they were given (and refuse them)
    p.add_argument("--count", type=int, default=None, help=f"images to make, 1–{MAX_COUNT} (default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=None, help="latent noise scale, 0–3 (default 1; "
                   "0 = the prompt's average image)")
    p.add_argument("--guidance", type=float, default=None,
                   help="prompt strength, 0–5 (default: the model's own, e.g. 3 for the emoji model)")
    p.add_argument("--size", type=int, default=64, help="pixels per image side (default 64, the native size; "
                   "larger is bicubic-upscaled)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--around", metavar="IMG", help="variations: images near this one (a result or any picture)")
    p.add_argument("--spread", type=float, default=None, help="variations: distance from --around, 0–3 "
                   "(default 0.5)")
    p.add_argument("--walk", nargs=2, metavar=("A", "B"), help="a latent walk from image A to image B "
                   "(frames + walk.gif)")
    p.add_argument("--steps", type=int, default=8, help="--walk: frames, 2–64 (default 8)")
    p.add_argument("--vocabulary", action="store_true", help="print the words the model knows and exit")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_generate)
    return p


def cmd_generate(args: argparse.Namespace) -> int:
    return run_reporting_errors(lambda: _generate(args))


def _slug(prompt: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:40] or "emoji"


def _refuse_overwriting_inputs(out: Path, slug: str, seed: int, inputs: list[str]) -> None:
    """The images a run writes are ``<slug>-<seed>-NN.png``, grid.png and walk.gif in ``out``: an input image
    (walk end, --around) with one of those names there would be replaced by the run's own output."""
    for given in inputs:
        path = Path(given)
        if path.exists() and out.exists() and path.resolve().parent == out.resolve() and (
                path.name in ("grid.png", "walk.gif") or re.fullmatch(rf"{re.escape(slug)}-{seed}-\d\d+\.png",
                                                                      path.name)):
            raise BadInput(f"{path.name} in {out} would be overwritten by this run's output; write to another "
                           "folder (-o) or use another --seed")


def _generate(args: argparse.Namespace) -> int:
    from genai_studio.core.art_generate_jobs import GenerateSpec
    from genai_studio.core.progress import CancelToken
    from genai_studio.mediaio.images import save_image
    from genai_studio.runtime.job_runner import JobRunner
    from genai_studio.runtime.model_store import ModelStore

    store = ModelStore()
    if args.vocabulary:
        words = store.get(args.model).manifest.defaults.get("vocabulary") or []
        print(" ".join(words) if words else f"{args.model} lists no vocabulary in its manifest")
        return 0
    if not args.out:
        raise BadInput("give an output folder: -o OUTDIR")
    from genai_studio.core.art_generate_jobs import LatentWalkSpec
    from genai_studio.mediaio.images import load_image

    not_for_walk = [f"--{name}" for name in ("count", "temperature", "guidance", "around", "spread")
                    if getattr(args, name) is not None]
    if args.walk and not_for_walk:
        raise BadInput(f"{', '.join(not_for_walk)} do not apply to --walk, which makes --steps frames from A to B")
    args.count = 4 if args.count is None else args.count
    args.temperature = 1.0 if args.temperature is None else args.temperature
    args.spread = 0.5 if args.spread is None else args.spread
    try:
        if args.walk:
            spec = LatentWalkSpec(a=load_image(args.walk[0]), b=load_image(args.walk[1]), prompt=args.prompt,
                                  steps=args.steps, size=args.size, model_id=args.model, device=args.device)
        else:
            around = load_image(args.around) if args.around else None
            guidance = args.guidance if args.guidance is not None else \
                float(store.get(args.model).manifest.defaults.get("guidance", 1.0))
            spec = GenerateSpec(model_id=args.model, prompt=args.prompt, count=args.count, seed=args.seed,
                                temperature=args.temperature, guidance=guidance, size=args.size,
                                around=around, spread=args.spread, device=args.device)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    out = Path(args.out)
    slug = _slug(args.prompt)
    _refuse_overwriting_inputs(out, slug, args.seed, [p for p in (*(args.walk or ()), args.around) if p])
    out.mkdir(parents=True, exist_ok=True)
    result = JobRunner(store)(spec, CancelToken(progress_printer("generate", args.quiet)))
    for i, image in enumerate(result.images):
        save_image(image, out / f"{slug}-{args.seed}-{i + 1:02d}.png", provenance=spec.to_json())
    save_image(result.grid(), out / "grid.png", provenance=spec.to_json())
    if args.walk:
        from genai_studio.mediaio.animation import save_gif

        save_gif(list(result.images), out / "walk.gif")
    if result.unknown_words:
        print(f"unknown words (ignored): {', '.join(result.unknown_words)}")
    if not args.quiet:
        print(f"{len(result.images)} images → {out} (words used: {', '.join(result.used_words) or 'none'}; "
              f"{result.seconds:.2f} s on {result.device})")
        for note in result.notes:
            print(f"  note: {note}")
    return 0
