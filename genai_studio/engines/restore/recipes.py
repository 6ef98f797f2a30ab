"""Recipes: enabled steps run in order on one image (RecipeSpec) or on every image of a folder (RecipeBatchSpec).

Models are resolved for every step *before* any pixel is touched, so a recipe naming a missing model
fails at once with the step named ("step 2 (denoise): there is no model 'x'"), not after minutes of work.
In a batch, a file that fails is reported and skipped; only cancel stops the batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from genai_studio.core.errors import BadInput, Cancelled, ModelError, StudioError, a_or_an
from genai_studio.core.jobs import UpscaleSpec
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.media import MASK_PAINTED_MIN, ImageBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.core.restore_jobs import (
    CLASSICAL, BatchReport, Recipe, RecipeBatchSpec, RecipeResult, RecipeSpec, RecipeStep, RestoreSpec, model_task,
)
from genai_studio.engines.restore.restore_run import (
    CLASSICAL_METHODS, DEFAULT_SENSITIVITY, NO_COLORIZE_MODEL, check_model_fits, is_classical, run_restore,
)

PERCEPTUAL_UPSCALER = "realesrgan-x4plus"
_USABLE = ("ok", "unverified", "not converted yet")  # model-store statuses a job can run with


@dataclass(frozen=True)
class PlannedStep:
    index: int  # 1-based position in the recipe, for messages
    step: RecipeStep
    model_id: str  # what actually runs: a store id or a classical method id
    manifest: ModelManifest | None
    weights: Path | None
    note: str = ""


def _usable(entry, where: str):
    if entry.status not in _USABLE:
        raise ModelError(f"{where}: model '{entry.id}' cannot be used ({entry.status}: {entry.detail})")
    return entry


def _get(store, model_id: str, where: str):
    entry = store.find(model_id)
    if entry is None:
        raise ModelError(f"{where}: there is no model '{model_id}'; `genai-studio models list` shows them all")
    return _usable(entry, where)


def pick_upscaler(store, quality: str, model_id: str = "", scale: int = 4):
    """The upscale model for a quality: ``fidelity`` = a task-upscale model tagged "fidelity" (PSNR-oriented),
    ``perceptual`` = Real-ESRGAN x4plus (else any other upscaler). An explicit ``model_id`` wins."""
    if model_id:
        entry = _get(store, model_id, "upscale")
        if entry.task != "upscale":
            raise BadInput(f"{model_id} is {a_or_an(entry.task)} model, not an upscaler")
        return entry
    upscalers = store.by_task("upscale")
    if quality == "fidelity":
        candidates = [e for e in upscalers if "fidelity" in e.manifest.tags]
        if not candidates:
            raise ModelError("no fidelity upscaler is installed (a model with task 'upscale' tagged 'fidelity'); "
                             "use --quality perceptual or import one with `genai-studio models import`")
    else:
        candidates = [e for e in upscalers if e.id == PERCEPTUAL_UPSCALER] or \
                     [e for e in upscalers if "fidelity" not in e.manifest.tags]
        if not candidates:
            raise ModelError("no upscale model is installed")
    same_scale = [e for e in candidates if e.manifest.effective_scale == scale]
    return (same_scale or candidates)[0]


def resolve_restore_model(store, task: str, model_id: str, where: str = "") -> PlannedStep:
    """Which model (or classical method) runs ``task`` for ``model_id`` ("" = the task's default)."""
    where = where or task
    step = RecipeStep(task, {"model_id": model_id})
    if model_id and is_classical(task, model_id):
        return PlannedStep(0, step, model_id, None, None)
    if model_id:
        entry = _get(store, model_id, where)
        try:
            check_model_fits(entry.manifest, task)
        except ModelError as exc:
            raise ModelError(f"{where}: {exc.message}") from None
        return PlannedStep(0, step, entry.id, entry.manifest, entry.weight_path)
    entries = [e for e in store.by_task(model_task(task)) if e.status in _USABLE]
    if entries:
        preferred = [e for e in entries if e.manifest.defaults.get("default_for_task")] or entries
        return PlannedStep(0, step, preferred[0].id, preferred[0].manifest, preferred[0].weight_path)
    if task == "colorize":
        raise ModelError(f"{where}: {NO_COLORIZE_MODEL}")
    method = CLASSICAL_METHODS[task][""]
    note = "" if task in ("inpaint", "scratches") else f"no {task} model is installed; used the classical {method}"
    return PlannedStep(0, step, "" if task in ("inpaint", "scratches") else CLASSICAL, None, None, note)


def plan_recipe(recipe: Recipe, store, has_mask: bool) -> list[PlannedStep]:
    """Resolve every enabled step's model up front; BadInput/ModelError names the step."""
    planned = []
    for index, step in enumerate(recipe.steps, start=1):
        if not step.enabled:
            continue
        where = f"{recipe.name}: step {index} ({step.task})"
        model_id = str(step.settings.get("model_id", ""))
        if step.task == "inpaint" and not has_mask:
            raise BadInput(f"{where}: inpainting needs a mask, and this recipe run has none")
        if step.task == "upscale":
            try:
                entry = pick_upscaler(store, step.settings.get("quality", "perceptual"), model_id,
                                      int(step.settings.get("scale", 4)))
            except StudioError as exc:
                raise type(exc)(f"{where}: {exc.message.removeprefix('upscale: ')}") from None
            planned.append(PlannedStep(index, step, entry.id, entry.manifest, entry.weight_path))
            continue
        p = resolve_restore_model(store, step.task, model_id, where)
        planned.append(PlannedStep(index, step, p.model_id, p.manifest, p.weights, p.note))
    return planned


def check_output_size(planned: list[PlannedStep], image: ImageBuffer, recipe_name: str) -> None:
    """BadInput naming the step when an upscale in the chain would exceed the output limit for ``image``,
    before any step runs (a 6000×4000 scan would otherwise fail only after the steps before it)."""
    from genai_studio.engines.restore.upscale import MAX_OUTPUT_PIXELS

    width, height = image.width, image.height
    for p in planned:
        if p.step.task != "upscale":
            continue
        scale = int(p.step.settings.get("scale", 4))
        width, height = width * scale, height * scale
        if width * height > MAX_OUTPUT_PIXELS:
            raise BadInput(f"{recipe_name}: step {p.index} (upscale) would make {image.name} {width}×{height}, "
                           "beyond the 16384×16384 output limit")


def _resize_mask(mask: np.ndarray, image: ImageBuffer) -> np.ndarray:
    if mask.shape == (image.height, image.width):
        return mask
    return cv2.resize(mask, (image.width, image.height), interpolation=cv2.INTER_NEAREST)


def run_step(planned: PlannedStep, image: ImageBuffer, mask: np.ndarray | None, device: str,
             token: ProgressToken) -> tuple[ImageBuffer, tuple[str, ...]]:
    """One planned step on ``image``; returns its output and notes."""
    step, settings = planned.step, planned.step.settings
    if step.task == "upscale":
        from genai_studio.engines.restore.upscale import run_upscale

        scale = int(settings.get("scale", 4))
        tile = int(planned.manifest.defaults.get("tile", 256))
        spec = UpscaleSpec(image=image, model_id=planned.model_id, scale=scale, tile=tile, device=device)
        result = run_upscale(spec, token, planned.manifest, planned.weights)
        return result.image, result.notes
    step_mask = _resize_mask(mask, image) if mask is not None else None
    if step_mask is not None and not (step_mask >= MASK_PAINTED_MIN).any():
        step_mask = None
    spec = RestoreSpec(image=image, task=step.task, model_id=planned.model_id,
                       strength=float(settings.get("strength", 1.0)), mask=step_mask, device=device)
    result = run_restore(spec, token, planned.manifest, planned.weights,
                         sensitivity=float(settings.get("sensitivity", DEFAULT_SENSITIVITY)))
    return result.image, result.notes + ((planned.note,) if planned.note else ())


def _apply(planned: list[PlannedStep], image: ImageBuffer, mask: np.ndarray | None, device: str,
           token: ProgressToken) -> tuple[list[tuple[RecipeStep, ImageBuffer]], list[str]]:
    outputs, notes = [], []
    current = image
    for k, p in enumerate(planned):
        sub = token.sub(k / len(planned), (k + 1) / len(planned))
        sub.report(0, 1, message=f"step {p.index}: {p.step.task}")
        try:
            current, step_notes = run_step(p, current, mask, device, sub)
        except (BadInput, ModelError) as exc:
            raise type(exc)(f"step {p.index} ({p.step.task}): {exc.message}") from exc
        except ValueError as exc:  # a spec refusing its inputs, e.g. an image too small for a model
            raise BadInput(f"step {p.index} ({p.step.task}): {exc}") from exc
        outputs.append((p.step, current))
        notes.extend(f"step {p.index} ({p.step.task}): {n}" for n in step_notes)
    return outputs, notes


def run_recipe(spec: RecipeSpec, token: ProgressToken, store) -> RecipeResult:
    """Every enabled step of ``spec.recipe`` on ``spec.image``; each step's output is kept."""
    started = time.perf_counter()
    planned = plan_recipe(spec.recipe, store, spec.mask is not None)
    check_output_size(planned, spec.image, spec.recipe.name)
    outputs, notes = _apply(planned, spec.image, spec.mask, spec.device, token)
    token.report(1, 1, message="done")
    return RecipeResult(tuple(outputs), spec, time.perf_counter() - started, tuple(notes))


def batch_inputs(folder: Path) -> list[Path]:
    from genai_studio.mediaio.images import SUPPORTED_EXTENSIONS

    if not folder.is_dir():
        raise BadInput(f"{folder} is not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)
    if not files:
        raise BadInput(f"{folder} holds no images ({', '.join(sorted(SUPPORTED_EXTENSIONS))})")
    return files


def run_recipe_batch(spec: RecipeBatchSpec, token: ProgressToken, store) -> BatchReport:
    """Apply the recipe to every image of ``spec.input_dir``; same-named outputs in ``spec.output_dir``.

    A file that cannot be read, processed or written goes into ``failed`` with its message and the batch
    goes on; Cancelled (between or within files) stops it.
    """
    from genai_studio.mediaio.images import load_image, save_image

    started = time.perf_counter()
    src, dst = Path(spec.input_dir), Path(spec.output_dir)
    files = batch_inputs(src)
    if dst.exists() and dst.resolve() == src.resolve():
        raise BadInput("the output folder is the input folder; choose another so the originals are kept")
    if dst.exists() and not dst.is_dir():
        raise BadInput(f"{dst} is a file; the output of a batch must be a folder")
    planned = plan_recipe(spec.recipe, store, has_mask=False)
    dst.mkdir(parents=True, exist_ok=True)
    written, failed = [], []
    for i, path in enumerate(files):
        sub = token.sub(i / len(files), (i + 1) / len(files))
        sub.report(0, 1, message=f"{i + 1}/{len(files)} {path.name}")
        try:
            image = load_image(path)
            check_output_size(planned, image, spec.recipe.name)
            outputs, _ = _apply(planned, image, None, spec.device, sub)
            target = dst / path.name
            save_image(outputs[-1][1], target)
            written.append(str(target))
        except Cancelled:
            raise
        except StudioError as exc:
            failed.append((str(path), exc.message))
        except OSError as exc:
            failed.append((str(path), exc.strerror or str(exc)))
    token.report(1, 1, message=f"{len(written)} written, {len(failed)} failed")
    return BatchReport(tuple(written), tuple(failed), spec, time.perf_counter() - started)
