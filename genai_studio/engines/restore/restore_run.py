"""The restore engine: one RestoreSpec (denoise, jpeg, inpaint, scratches, colorize) → ImageResult.

Every task follows the same frame: the image becomes (H, W, 3) float RGB (alpha set aside untouched,
16-bit kept as float so it stays 16-bit), the task produces its full-strength output, and the result is
``input + (output − input) · strength · weight``, where ``weight`` is 1 everywhere, the user's mask (its
own soft values, a hard edge eased inward: nothing outside it changes), or the hole/defect mask itself.
A grayscale photo (R = G = B) comes back grayscale unless the task is colorize.

Which method runs: with a manifest, its spandrel model (same-size models only); without one
(model_id ``classical`` or a classical method id), the classical method of the task. See
:data:`CLASSICAL_METHODS` for the ids.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from genai_studio.core.errors import BadInput, ModelError, a_or_an
from genai_studio.core.jobs import ImageResult
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.media import MASK_PAINTED_MIN, ImageBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.masks import mask_weight
from genai_studio.core.restore_jobs import CLASSICAL, RestoreSpec
from genai_studio.engines.restore import classical
from genai_studio.engines.restore.scratches import detect_scratches

DEFAULT_SENSITIVITY = 0.5
# (task, model_id) → classical method, for runs without a model. "" is the task's default when no
# trained model is installed: our membrane fill for holes; CLASSICAL is the textbook baseline.
CLASSICAL_METHODS: dict[str, dict[str, str]] = {
    "denoise": {"": "nlm", CLASSICAL: "nlm"},
    "jpeg": {"": "nlm-deblock", CLASSICAL: "nlm-deblock"},
    "inpaint": {"": "membrane", "membrane": "membrane", CLASSICAL: "telea", "classical-telea": "telea",
                "classical-ns": "ns"},
    "scratches": {"": "membrane", "membrane": "membrane", CLASSICAL: "telea", "classical-telea": "telea",
                  "classical-ns": "ns"},
    "colorize": {},
}
NO_COLORIZE_MODEL = "no colorization model is installed yet"


def is_classical(task: str, model_id: str) -> bool:
    """True when ``model_id`` names a classical method of ``task`` (no weights needed)."""
    return model_id in CLASSICAL_METHODS.get(task, {})


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def check_model_fits(manifest: ModelManifest, task: str) -> None:
    """ModelError unless ``manifest``'s model can run restoration ``task``."""
    if task in ("inpaint", "scratches"):
        if manifest.task != "inpaint":  # filling needs a model that takes the mask
            raise ModelError(f"{manifest.name} is {a_or_an(manifest.task)} model, not an inpainting model")
        return
    # imported same-size models get the generic task "restore": usable for any image-to-image task
    if manifest.task not in (task, "restore"):
        raise ModelError(f"{manifest.name} is {a_or_an(manifest.task)} model, not a {task} model")


# How much the hue varies across a photo (std of r/(r+g+b), g/(r+g+b) over pixels that are not dark, where
# noise makes hue meaningless): gray and sepia ≈ 0, faded prints ≈ 0.04, colour photos 0.07–0.15.
COLOUR_PHOTO_HUE_SPREAD = 0.06


def _hue_spread(rgb: np.ndarray) -> float:
    total = rgb.sum(axis=2)
    lit = total > 0.6
    if not lit.any():
        return 0.0
    chroma = rgb[lit] / total[lit][:, None]  # (N, 3) chromaticity
    return float(np.sqrt(chroma[:, 0].var() + chroma[:, 1].var()))


def _model_output(rgb: np.ndarray, spec: RestoreSpec, manifest: ModelManifest, weights: Path,
                  token: ProgressToken, notes: list[str]) -> tuple[np.ndarray, str]:
    from genai_studio.engines.restore.image_model import run_image_model

    if spec.task == "colorize":
        gray = np.repeat(_luma(rgb)[..., None], 3, axis=2).astype(np.float32)
        out, device = run_image_model(gray, manifest, weights, spec.device, spec.tile, token, notes)
        # the model supplies colour only: the photo's own luminance is kept exactly
        out = out + (_luma(rgb) - _luma(out))[..., None]
        return out.clip(0, 1), device
    return run_image_model(rgb, manifest, weights, spec.device, spec.tile, token, notes)


def _hole_filler(rgb: np.ndarray, spec: RestoreSpec, manifest: ModelManifest | None, weights: Path | None,
                 method: str, notes: list[str]):
    """``fill(hole, token) → (filled image, device text)`` with the model, or else the classical ``method``."""

    def fill(hole: np.ndarray, token: ProgressToken) -> tuple[np.ndarray, str]:
        if hole.all():
            raise BadInput("the mask covers the whole image: nothing is left to fill the hole from")
        if manifest is None:
            token.report(0, 1, message=f"filling the hole ({method})")
            return classical.inpaint(rgb, hole, method), "cpu (classical)"
        from genai_studio.engines.restore.inpaint_model import run_inpaint_model

        return run_inpaint_model(rgb, hole, manifest, weights, spec.device, token, notes)

    return fill


def _scratches(rgb: np.ndarray, region: np.ndarray | None, sensitivity: float, fill: bool,
               metadata: dict, notes: list[str], token: ProgressToken, fill_hole) -> tuple[np.ndarray, np.ndarray, str]:
    """Find the defects (into ``metadata["defect_mask"]``) and fill them with ``fill_hole(hole, token)`` →
    (output, per-pixel weight, device text)."""
    token.report(0, 2, message="finding scratches and dust")
    defects = detect_scratches(rgb, sensitivity, region) > 0
    metadata["defect_mask"] = defects.astype(np.uint8) * 255
    metadata["sensitivity"] = sensitivity
    covered = float(defects.mean())
    notes.append(f"found defects on {covered * 100:.2f}% of the image")
    if not defects.any():
        notes.append("no scratches or dust found; try a higher sensitivity")
    out, device = rgb, "cpu (classical)"
    if fill and defects.any():
        token.report(1, 2, message=f"filling {covered * 100:.1f}% of the image")
        out, device = fill_hole(defects, token.sub(0.5, 1.0))
    return out, defects.astype(np.float32), device


def run_restore(spec: RestoreSpec, token: ProgressToken, manifest: ModelManifest | None = None,
                weights: Path | None = None, *, sensitivity: float = DEFAULT_SENSITIVITY,
                fill: bool = True) -> ImageResult:
    """Restore ``spec.image``; ``manifest``/``weights`` None = the classical method named by spec.model_id.

    Scratches only: ``sensitivity`` (0–1) sets how faint a defect may be and still be found; with
    ``fill=False`` the image is returned unchanged. Its result image carries the detected (H, W) uint8
    mask in ``metadata["defect_mask"]``.
    """
    started = time.perf_counter()
    image = spec.image
    pixels = image.to_float()  # (H, W, 3|4)
    rgb = np.ascontiguousarray(pixels[..., :3])
    # where to work: any painted pixel (soft strokes too); a hole to fill must be painted solidly (> 50 %)
    region = spec.mask >= MASK_PAINTED_MIN if spec.mask is not None else None
    notes: list[str] = []
    if spec.task == "colorize" and not image.is_grayscale and _hue_spread(rgb) > COLOUR_PHOTO_HUE_SPREAD:
        notes.append("the image already had colour: colorize replaced it with colours guessed from its brightness "
                     "(it is meant for black-and-white or faded photos)")
    metadata: dict = {"task": spec.task, "strength": spec.strength}
    device = "cpu (classical)"
    token.report(0, 1, message=f"{spec.task}: starting")

    method = ""
    if manifest is not None:
        if weights is None:
            raise ModelError(f"{manifest.name} has no weights file")
        check_model_fits(manifest, spec.task)
        metadata["model"] = manifest.id
    else:
        if spec.task == "colorize":
            raise ModelError(NO_COLORIZE_MODEL)
        method = CLASSICAL_METHODS[spec.task].get(spec.model_id)
        if method is None:
            known = ", ".join(repr(m) for m in CLASSICAL_METHODS[spec.task] if m)
            raise ModelError(f"{spec.model_id!r} is not a classical {spec.task} method (known: {known})")
        metadata["model"] = spec.model_id or CLASSICAL
        metadata["method"] = method
    sub = token.sub(0.02, 0.95)
    fill_hole = _hole_filler(rgb, spec, manifest, weights, method, notes)
    if spec.task == "inpaint":
        hole = spec.mask > 127
        if not hole.any():
            raise BadInput("the mask is too faint to mark a hole: paint what should be filled at over 50 % "
                           "opacity (a harder brush)")
        out, device = fill_hole(hole, sub)
        weight = hole.astype(np.float32)
    elif spec.task == "scratches":
        out, weight, device = _scratches(rgb, region, sensitivity, fill, metadata, notes, sub, fill_hole)
    else:
        weight = mask_weight(spec.mask) if spec.mask is not None else None
        if manifest is not None:
            out, device = _model_output(rgb, spec, manifest, weights, sub, notes)
        elif spec.task == "denoise":
            out = classical.nlm_denoise(rgb, token=sub)
        else:  # jpeg
            out = classical.jpeg_deblock(rgb, token=sub)
    amount = spec.strength * (weight if weight is not None else 1.0)
    result = rgb + (out - rgb) * (amount[..., None] if isinstance(amount, np.ndarray) else amount)
    if spec.task != "colorize" and image.is_grayscale:
        result = np.repeat(result.mean(axis=2, keepdims=True), 3, axis=2)  # grayscale in, grayscale out
    if image.has_alpha:
        result = np.concatenate([result, pixels[..., 3:4]], axis=2)  # alpha exactly as it came
    token.report(0.98, 1, message="finishing")
    buffer = ImageBuffer.from_float(result.clip(0, 1), bit_depth=image.bit_depth,
                                    name=f"{image.name} {spec.task}", metadata=metadata)
    token.report(1, 1, message="done")
    return ImageResult(buffer, spec, device, time.perf_counter() - started, tuple(notes))
