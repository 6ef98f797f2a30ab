"""Restoration job specs and recipes: the typed contract between the Restore/Recipe panels, the CLI and engines.

A *recipe* is an ordered list of steps (task + settings + enabled flag) saved as JSON; applying it runs each
enabled step on the previous step's output. Validation names the bad step, so a hand-edited file fails with
"step 3 (denoise): strength must be between 0 and 1, got 2".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.jobs import DEVICES, JobSpec
from genai_studio.core.media import MASK_PAINTED_MIN, ImageBuffer

# task → what it does. "upscale" steps inside a recipe run the existing upscaler.
RESTORE_TASKS = ("denoise", "jpeg", "inpaint", "scratches", "colorize")
RECIPE_TASKS = RESTORE_TASKS + ("upscale",)
UPSCALE_QUALITIES = ("perceptual", "fidelity")
RECIPE_SCHEMA_VERSION = 1
# "classical" picks the non-learned baseline of a task (non-local means, OpenCV inpainting) instead of a model.
CLASSICAL = "classical"


def model_task(task: str) -> str:
    """The manifest task of the models that can run restoration ``task`` (scratches are filled by inpainters)."""
    return "inpaint" if task == "scratches" else task


@dataclass(frozen=True, eq=False)
class RestoreSpec(JobSpec):
    image: ImageBuffer | None = None
    task: str = "denoise"
    model_id: str = ""  # "" = the task's default model; CLASSICAL = the classical baseline
    strength: float = 1.0  # 0 = unchanged … 1 = full effect (blend of input and output)
    # (H, W) uint8, 255 = apply here; None = the whole image (inpaint needs one, scratches makes its own)
    mask: np.ndarray | None = None
    tile: int = 256
    sensitivity: float = 0.5  # scratches: 0 finds only obvious defects … 1 also faint ones
    fill: bool = True  # scratches: False = only detect (the result carries the mask for editing)

    def __post_init__(self) -> None:
        if self.image is None:
            raise ValueError("open an image to restore")
        if not 0.0 <= self.sensitivity <= 1.0:
            raise ValueError(f"sensitivity must be between 0 and 1, got {self.sensitivity:g}")
        if self.task not in RESTORE_TASKS:
            raise ValueError(f"task must be one of {', '.join(RESTORE_TASKS)}, got {self.task!r}")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"strength must be between 0 and 1, got {self.strength:g}")
        if self.tile != 0 and self.tile < 32:
            raise ValueError(f"tile must be 0 (no tiling) or at least 32 pixels, got {self.tile}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.mask is not None:
            check_mask(self.mask, self.image)
        elif self.task == "inpaint":
            raise ValueError("inpainting needs a mask: brush over what should be filled")

    @property
    def title(self) -> str:
        where = " in mask" if self.mask is not None else ""
        return f"{self.task.capitalize()}{where} · {self.image.name}"

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.mask is not None:
            out["mask"] = {"mask": "layer", "covered": round(float((self.mask > 127).mean()), 4)}
        return out


def check_mask(mask: np.ndarray, image: ImageBuffer) -> None:
    """A mask must be (H, W) uint8 of the image's size and select something (any painted value: soft strokes
    count; but not necessarily all)."""
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise ValueError(f"a mask must be a single-channel 8-bit image, got shape {mask.shape} {mask.dtype}")
    if mask.shape != (image.height, image.width):
        raise ValueError(f"the mask is {mask.shape[1]}×{mask.shape[0]} but the image is "
                         f"{image.width}×{image.height}; they must be the same size")
    if not (mask >= MASK_PAINTED_MIN).any():
        raise ValueError("the mask is empty: brush over the area first")


@dataclass(frozen=True)
class RecipeStep:
    task: str
    settings: dict = field(default_factory=dict)  # model_id, strength, quality/scale (upscale), …
    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task, "settings": dict(self.settings), "enabled": self.enabled}


@dataclass(frozen=True)
class Recipe:
    steps: tuple[RecipeStep, ...]
    name: str = "recipe"

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": RECIPE_SCHEMA_VERSION, "name": self.name,
                "steps": [s.to_json() for s in self.steps]}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"


_STEP_SETTINGS = {
    "denoise": {"model_id": str, "strength": float},
    "jpeg": {"model_id": str, "strength": float},
    "inpaint": {"model_id": str},
    "scratches": {"model_id": str, "strength": float, "sensitivity": float},
    "colorize": {"model_id": str, "strength": float},
    "upscale": {"model_id": str, "scale": int, "quality": str},
}


_RECIPE_KEYS = {"schema_version", "name", "steps"}
_STEP_KEYS = {"task", "settings", "enabled"}


def parse_recipe(data: Any, name: str = "recipe") -> Recipe:
    """Recipe from parsed JSON; BadInput naming the step and setting that is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise BadInput(f"{name}: a recipe is a JSON object with a \"steps\" list")
    version = data.get("schema_version", RECIPE_SCHEMA_VERSION)
    if version != RECIPE_SCHEMA_VERSION:
        raise BadInput(f"{name}: recipe schema version {version} is not supported (expected {RECIPE_SCHEMA_VERSION})")
    if not data["steps"]:
        raise BadInput(f"{name}: the recipe has no steps")
    unknown = sorted(set(data) - _RECIPE_KEYS)
    if unknown:
        raise BadInput(f"{name}: unknown key {unknown[0]!r}; a recipe has {', '.join(sorted(_RECIPE_KEYS))}")
    steps = []
    for i, raw in enumerate(data["steps"], start=1):
        where = f"{name}: step {i}"
        if not isinstance(raw, dict) or raw.get("task") not in RECIPE_TASKS:
            task = raw.get("task") if isinstance(raw, dict) else raw
            raise BadInput(f"{where}: unknown task {task!r}; use one of {', '.join(RECIPE_TASKS)}")
        task = raw["task"]
        unknown = sorted(set(raw) - _STEP_KEYS)
        if unknown:  # a misspelt "enabled" or "settings" must not silently run the step at full strength
            raise BadInput(f"{where} ({task}): unknown key {unknown[0]!r}; a step has task, settings and enabled")
        settings = raw.get("settings", {})
        if not isinstance(settings, dict):
            raise BadInput(f"{where} ({task}): settings must be an object")
        allowed = _STEP_SETTINGS[task]
        for key, value in settings.items():
            if key not in allowed:
                raise BadInput(f"{where} ({task}): unknown setting {key!r}; allowed: {', '.join(allowed)}")
            if allowed[key] is float and isinstance(value, (int, float)) and not isinstance(value, bool):
                continue
            if not isinstance(value, allowed[key]) or isinstance(value, bool):
                raise BadInput(f"{where} ({task}): {key} must be a {allowed[key].__name__}, got {value!r}")
        for key in ("strength", "sensitivity"):
            if key in settings and not 0.0 <= float(settings[key]) <= 1.0:
                raise BadInput(f"{where} ({task}): {key} must be between 0 and 1, got {settings[key]}")
        if task == "upscale":
            if settings.get("scale", 4) not in (2, 3, 4):
                raise BadInput(f"{where} (upscale): scale must be 2, 3 or 4, got {settings.get('scale')}")
            if settings.get("quality", "perceptual") not in UPSCALE_QUALITIES:
                raise BadInput(f"{where} (upscale): quality must be one of {', '.join(UPSCALE_QUALITIES)}")
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            raise BadInput(f"{where} ({task}): enabled must be true or false")
        steps.append(RecipeStep(task, dict(settings), enabled))
    return Recipe(tuple(steps), str(data.get("name") or name))


def loads_recipe(text: str, name: str = "recipe") -> Recipe:
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Windows Notepad saves UTF-8
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (RecursionError, ValueError) as exc:  # thousands of nested brackets; integers of thousands of digits
        raise BadInput(f"{name} is not a recipe: its JSON is nested too deeply or holds absurd numbers") from exc
    return parse_recipe(data, name)


@dataclass(frozen=True, eq=False)
class RecipeSpec(JobSpec):
    """Run every enabled step of ``recipe`` on one image; each step's output becomes a layer."""

    image: ImageBuffer | None = None
    recipe: Recipe | None = None
    mask: np.ndarray | None = None  # applies to steps that use a mask (inpaint; others where given)

    def __post_init__(self) -> None:
        if self.image is None:
            raise ValueError("open an image to apply the recipe to")
        if self.recipe is None or not any(s.enabled for s in self.recipe.steps):
            raise ValueError("the recipe has no enabled steps")
        if self.mask is not None:
            check_mask(self.mask, self.image)

    @property
    def title(self) -> str:
        return f"Recipe {self.recipe.name} · {self.image.name}"

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["recipe"] = self.recipe.to_json()
        if self.mask is not None:
            out["mask"] = {"mask": "layer", "covered": round(float((self.mask > 127).mean()), 4)}
        return out


@dataclass(frozen=True, eq=False)
class RecipeBatchSpec(JobSpec):
    """Apply ``recipe`` to every image in ``input_dir``, writing same-named files to ``output_dir``."""

    input_dir: str = ""
    output_dir: str = ""
    recipe: Recipe | None = None

    def __post_init__(self) -> None:
        if not self.input_dir or not self.output_dir:
            raise ValueError("choose an input folder and an output folder")
        if self.recipe is None or not any(s.enabled for s in self.recipe.steps):
            raise ValueError("the recipe has no enabled steps")

    @property
    def title(self) -> str:
        return f"Recipe {self.recipe.name} on folder {self.input_dir}"

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {"recipe": self.recipe.to_json()}


@dataclass(frozen=True, eq=False)
class RecipeResult:
    steps: tuple[tuple[RecipeStep, ImageBuffer], ...]  # each enabled step and the image it produced
    spec: JobSpec
    seconds: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class BatchReport:
    written: tuple[str, ...]  # output paths
    failed: tuple[tuple[str, str], ...]  # (input path, error message)
    spec: JobSpec
    seconds: float
