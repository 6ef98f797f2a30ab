"""The one door from the runtime (and the CLI) into the engines.

Engines are named by a dotted ``"module:function"`` string and imported only when first called, so
importing this module (and hence the GUI) never imports torch. Adding an engine is one line in
:data:`ENGINES`.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

# name → "package.module:function". Keep sorted by name.
ENGINES: dict[str, str] = {
    "art.generate": "genai_studio.engines.art.generate:run_generate",
    "art.walk": "genai_studio.engines.art.explore:run_walk",
    "art.style": "genai_studio.engines.art.style:run_style",
    "art.train": "genai_studio.training.art_trainer:run_train_art",
    "engines.warmup": "genai_studio.engines.warmup:warm_up",
    "models.ensure_converted": "genai_studio.engines.restore.realesrgan:ensure_converted",
    "melody.continue": "genai_studio.engines.music.jobs:run_continue",
    "melody.generate": "genai_studio.engines.music.jobs:run_generate",
    "melody.hum": "genai_studio.engines.music.hum_job:run_hum",
    "melody.interpolate": "genai_studio.engines.music.jobs:run_interpolate",
    "melody.vary": "genai_studio.engines.music.jobs:run_vary",
    "models.describe_file": "genai_studio.engines.restore.detect:describe_model_file",
    "models.sha256": "genai_studio.engines.loading:sha256_file",
    "models.to_safetensors": "genai_studio.engines.loading:convert_to_safetensors",
    "restore.detect_scratches": "genai_studio.engines.restore.scratches:detect_scratches",
    "restore.recipe": "genai_studio.engines.restore.recipes:run_recipe",
    "restore.recipe_batch": "genai_studio.engines.restore.recipes:run_recipe_batch",
    "restore.resolve_model": "genai_studio.engines.restore.recipes:resolve_restore_model",
    "restore.run": "genai_studio.engines.restore.restore_run:run_restore",
    "upscale.pick_model": "genai_studio.engines.restore.recipes:pick_upscaler",
    "upscale.run": "genai_studio.engines.restore.upscale:run_upscale",
    "voice.denoise": "genai_studio.engines.voice.jobs:run_denoise",
    "voice.describe": "genai_studio.engines.voice.jobs:describe_voice",
    "voice.sing": "genai_studio.engines.voice.jobs:run_sing",
    "voice.speak": "genai_studio.engines.voice.jobs:run_speak",
    "voice.transform": "genai_studio.engines.voice.jobs:run_transform",
}


class UnknownEngine(LookupError):
    """A name that is not in :data:`ENGINES` (a programming error, not a user-facing one)."""


def names() -> list[str]:
    return sorted(ENGINES)


def target(name: str) -> str:
    """The ``"module:function"`` string registered for ``name``."""
    try:
        return ENGINES[name]
    except KeyError:
        raise UnknownEngine(f"no engine named {name!r}; known: {', '.join(names())}") from None


def get(name: str) -> Callable[..., Any]:
    """Import the engine module (on first use) and return the registered callable."""
    module_name, sep, attr = target(name).partition(":")
    if not sep or not attr:
        raise UnknownEngine(f"engine {name!r} is registered as {target(name)!r}, expected 'module:function'")
    module = importlib.import_module(module_name)  # cached by Python after the first call
    try:
        func = getattr(module, attr)
    except AttributeError:
        raise UnknownEngine(f"engine {name!r}: {module_name} has no attribute {attr!r}") from None
    if not callable(func):
        raise UnknownEngine(f"engine {name!r}: {module_name}.{attr} is not callable")
    return func


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """``get(name)(*args, **kwargs)``."""
    return get(name)(*args, **kwargs)
