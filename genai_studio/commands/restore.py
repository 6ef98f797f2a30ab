"""`genai-studio restore IN -o OUT --task T | --recipe R.json`: the Restore and Recipe panels, headless.

IN and OUT may be folders: a task or recipe is then applied to every image, per-file errors are printed
and the others still written (exit 2 if any failed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from genai_studio.commands.image_pairs import check_image_output, image_pairs
from genai_studio.commands.reporting import progress_printer, refuse_overwriting_input
from genai_studio.core.errors import BadInput, StudioError
from genai_studio.core.media import MASK_PAINTED_MIN, ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.core.restore_jobs import RESTORE_TASKS


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("restore", help="denoise, remove JPEG artifacts, inpaint, repair scratches, colorize")
    p.add_argument("input", metavar="IN", help="image file or folder of images")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="output file, or folder when IN is a folder")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--task", choices=RESTORE_TASKS, help="one restoration task")
    how.add_argument("--recipe", metavar="RECIPE.json", help="a saved recipe: steps applied in order")
    p.add_argument("--mask", metavar="MASK", help="image whose white (or opaque) pixels mark where to work; "
                                                  "required for inpaint")
    # task settings default to None so a recipe run can tell they were given (its steps carry their own)
    p.add_argument("--strength", type=float, default=None, help="0 = unchanged … 1 = full effect (default 1)")
    p.add_argument("--model", default=None, help="model id, or 'classical' for the classical baseline "
                                                 "(default: the task's installed model, else its classical method)")
    p.add_argument("--sensitivity", type=float, default=None, help="scratches: 0 = only obvious defects … 1 = "
                                                                   "faint ones too (default 0.5)")
    p.add_argument("--detect-only", action="store_true", help="scratches: write the detected mask instead of "
                                                              "filling it")
    p.add_argument("--save-mask", metavar="PATH", help="scratches: also write the detected mask here (one file)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="compute device (default auto)")
    p.add_argument("--tile", type=int, default=None, help="tile size in pixels for models, 0 = no tiling "
                                                          "(default 256)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_restore)
    return p


def mask_from_image(mask_image: ImageBuffer, image: ImageBuffer, name: str = "the mask") -> np.ndarray:
    """An image → (H, W) uint8 mask (alpha when it has real transparency, else luminance) of ``image``'s
    size; BadInput when the sizes differ (naming both) or when it selects nothing."""
    from genai_studio.mediaio.masks import mask_from_image as read_mask

    mask = read_mask(mask_image, (image.width, image.height), target_name=image.name)
    if not (mask >= MASK_PAINTED_MIN).any():
        raise BadInput(f"{name} is empty: nothing in it is white or opaque")
    return mask


def _save(image: ImageBuffer, dst: Path) -> None:
    from genai_studio.mediaio.images import save_image

    dst.parent.mkdir(parents=True, exist_ok=True)
    save_image(image, dst)


def _mask_buffer(mask: np.ndarray, name: str) -> ImageBuffer:
    return ImageBuffer(np.repeat(mask[..., None], 3, axis=2), name=name)


def _run_task(args: argparse.Namespace, src: Path, dst: Path, store, mask_image: ImageBuffer | None) -> None:
    from genai_studio.core.restore_jobs import RestoreSpec
    from genai_studio.engines import registry
    from genai_studio.mediaio.images import load_image

    image = load_image(src)
    mask = mask_from_image(mask_image, image, Path(args.mask).name) if mask_image is not None else None
    planned = registry.call("restore.resolve_model", store, args.task, args.model)
    try:
        spec = RestoreSpec(image=image, task=args.task, model_id=planned.model_id, strength=args.strength,
                           mask=mask, tile=args.tile, device=args.device)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    token = CancelToken(progress_printer(src.name, args.quiet))
    result = registry.call("restore.run", spec, token, planned.manifest, planned.weights,
                           sensitivity=args.sensitivity, fill=not args.detect_only)
    defects = result.image.metadata.get("defect_mask")
    _save(_mask_buffer(defects, f"{src.stem} mask") if args.detect_only else result.image, dst)
    if args.save_mask and defects is not None:
        _save(_mask_buffer(defects, f"{src.stem} mask"), Path(args.save_mask))
    if not args.quiet:
        print(f"{src} → {dst} ({args.task} with {planned.model_id or 'default'}, {result.seconds:.1f} s on "
              f"{result.device})")
        for note in result.notes + ((planned.note,) if planned.note else ()):
            print(f"  note: {note}")


def _run_recipe_file(args: argparse.Namespace, src: Path, dst: Path, store, recipe, mask_image) -> None:
    from genai_studio.core.restore_jobs import RecipeSpec
    from genai_studio.engines import registry
    from genai_studio.mediaio.images import load_image

    image = load_image(src)
    mask = mask_from_image(mask_image, image, Path(args.mask).name) if mask_image is not None else None
    spec = RecipeSpec(image=image, recipe=recipe, mask=mask, device=args.device)
    result = registry.call("restore.recipe", spec, CancelToken(progress_printer(src.name, args.quiet)), store)
    _save(result.steps[-1][1], dst)
    if not args.quiet:
        print(f"{src} → {dst} ({len(result.steps)} steps, {result.seconds:.1f} s)")
        for note in result.notes:
            print(f"  note: {note}")


def _run_recipe_folder(args: argparse.Namespace, src: Path, dst: Path, store, recipe) -> int:
    from genai_studio.core.restore_jobs import RecipeBatchSpec
    from genai_studio.engines import registry

    spec = RecipeBatchSpec(input_dir=str(src), output_dir=str(dst), recipe=recipe, device=args.device)
    report = registry.call("restore.recipe_batch", spec, CancelToken(progress_printer(src.name, args.quiet)), store)
    for path, message in report.failed:
        print(f"error: {path}: {message}", file=sys.stderr)
    if not args.quiet:
        print(f"{len(report.written)} written to {dst}, {len(report.failed)} failed ({report.seconds:.1f} s)")
    return 2 if report.failed else 0


TASK_DEFAULTS = {"strength": 1.0, "model": "", "sensitivity": 0.5, "tile": 256}
SCRATCH_ONLY = ("detect_only", "save_mask")


def _check_task_options(args: argparse.Namespace) -> None:
    """Refuse options that would be silently ignored, then fill in the task defaults."""
    def flags(names) -> str:
        return ", ".join("--" + n.replace("_", "-") for n in names)

    if args.recipe:
        given = [n for n in (*TASK_DEFAULTS, *SCRATCH_ONLY) if getattr(args, n) not in (None, False)]
        if given:
            raise BadInput(f"{flags(given)} cannot be used with --recipe: each recipe step carries its own settings "
                           "(edit the recipe, or run a single --task)")
    elif args.task != "scratches":
        given = [n for n in SCRATCH_ONLY if getattr(args, n) not in (None, False)]
        if given:
            raise BadInput(f"{flags(given)} only {'works' if len(given) == 1 else 'work'} with --task scratches")
    for name, default in TASK_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)


def _check_mask_files(args: argparse.Namespace, src: Path, pairs: list[tuple[Path, Path]]) -> None:
    """--mask is an input no output may replace; --save-mask is an output checked like OUT, before any work."""
    if args.mask:
        for _, out in pairs:
            refuse_overwriting_input(out, args.mask)
    if not args.save_mask:
        return
    if src.is_dir():
        raise BadInput("--save-mask names one file, so it works on one image, not a folder (each image has its own "
                       "scratches)")
    mask_out = Path(args.save_mask)
    refuse_overwriting_input(mask_out, src, args.mask)
    if mask_out.resolve() == pairs[0][1].resolve():
        raise BadInput("--save-mask and OUT name the same file; give the mask its own name")
    check_image_output(mask_out)


def cmd_restore(args: argparse.Namespace) -> int:
    from genai_studio.core.restore_jobs import loads_recipe
    from genai_studio.mediaio.images import load_image
    from genai_studio.runtime.model_store import ModelStore

    store = ModelStore()
    src, dst = Path(args.input), Path(args.output)
    try:
        _check_task_options(args)
        if not 0.0 <= args.strength <= 1.0:
            raise BadInput(f"--strength must be between 0 and 1, got {args.strength:g}")
        if not 0.0 <= args.sensitivity <= 1.0:
            raise BadInput(f"--sensitivity must be between 0 and 1, got {args.sensitivity:g}")
        mask_image = load_image(args.mask) if args.mask else None
        recipe = None
        if args.recipe:
            recipe_path = Path(args.recipe)
            try:
                text = recipe_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise BadInput(f"cannot read the recipe {recipe_path}: {getattr(exc, 'strerror', None) or exc}")
            recipe = loads_recipe(text, recipe_path.name)
            if src.is_dir():
                if mask_image is not None:
                    raise BadInput("--mask cannot be used with a folder recipe run (each image needs its own)")
                return _run_recipe_folder(args, src, dst, store, recipe)
        pairs = image_pairs(src, dst, args.task or "restored")
        _check_mask_files(args, src, pairs)
    except StudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a spec refusing its fields
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return 130
    failures = 0
    for file_src, file_dst in pairs:
        try:
            if recipe is not None:
                _run_recipe_file(args, file_src, file_dst, store, recipe, mask_image)
            else:
                _run_task(args, file_src, file_dst, store, mask_image)
        except (StudioError, ValueError) as exc:
            failures += 1
            message = exc.message if isinstance(exc, StudioError) else str(exc)
            print(f"\nerror: {file_src}: {message}" if len(pairs) > 1 else f"\nerror: {message}", file=sys.stderr)
        except KeyboardInterrupt:
            print("\ncancelled", file=sys.stderr)
            return 130
        except OSError as exc:
            failures += 1
            print(f"\nerror: {file_src}: {exc.strerror or exc}", file=sys.stderr)
    if failures and len(pairs) > 1:
        print(f"{failures} of {len(pairs)} images failed", file=sys.stderr)
    return 2 if failures else 0
