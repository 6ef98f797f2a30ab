"""Turns a job spec into the engine call that does it: the runtime's side of the engine registry."""

from __future__ import annotations

from typing import Any

from genai_studio.core.jobs import (
    HumSpec, JobSpec, MelodyContinueSpec, MelodyGenerateSpec, MelodyInterpolateSpec, MelodyVarySpec, UpscaleSpec,
)
from genai_studio.core.progress import ProgressToken
from genai_studio.core.restore_jobs import CLASSICAL, RecipeBatchSpec, RecipeSpec, RestoreSpec
from genai_studio.core.voice_jobs import SingSpec, SpeakSpec, VoiceDenoiseSpec, VoiceTransformSpec
from genai_studio.engines import registry
from genai_studio.runtime.model_store import ModelStore


class JobRunner:
    """Callable ``(spec, token) -> result`` used by the device workers (and the CLI, without Qt)."""

    def __init__(self, store: ModelStore) -> None:
        self.store = store

    def default_restore_model(self, task: str) -> str:
        return _default_for(self.store, task)

    def __call__(self, spec: JobSpec, token: ProgressToken) -> Any:
        if isinstance(spec, UpscaleSpec):
            entry = self.store.get(spec.model_id)
            return registry.call("upscale.run", spec, token, entry.manifest, entry.weight_path)
        if isinstance(spec, RestoreSpec):
            if spec.model_id == CLASSICAL:
                return registry.call("restore.run", spec, token, None, None)
            entry = self.store.get(spec.model_id or self.default_restore_model(spec.task))
            return registry.call("restore.run", spec, token, entry.manifest, entry.weight_path)
        if isinstance(spec, (RecipeSpec, RecipeBatchSpec)):
            # steps name their models; the engine resolves them through this runner's store
            engine = "restore.recipe" if isinstance(spec, RecipeSpec) else "restore.recipe_batch"
            return registry.call(engine, spec, token, self.store)
        if isinstance(spec, HumSpec):
            return registry.call("melody.hum", spec, token)
        if isinstance(spec, (SpeakSpec, SingSpec)):
            entry = self.store.get(spec.voice_id)
            engine = "voice.speak" if isinstance(spec, SpeakSpec) else "voice.sing"
            return registry.call(engine, spec, token, entry.paths)
        if isinstance(spec, VoiceTransformSpec):
            return registry.call("voice.transform", spec, token)
        if isinstance(spec, VoiceDenoiseSpec):
            return registry.call("voice.denoise", spec, token)
        for spec_type, engine in MELODY_ENGINES.items():
            if isinstance(spec, spec_type):
                entry = self.store.get(spec.model_id)
                return registry.call(engine, spec, token, entry.manifest, entry.weight_path)
        raise TypeError(f"no engine handles {type(spec).__name__}")


def _default_for(store: ModelStore, task: str) -> str:
    """The built-in model for a restoration task (manifest defaults.default_for_task), else the first one."""
    entries = store.by_task(task)
    if not entries:
        from genai_studio.core.errors import ModelError

        raise ModelError(f"No {task} model is installed; use model_id 'classical' for the classical method.")
    preferred = [e for e in entries if e.manifest.defaults.get("default_for_task")]
    return (preferred or entries)[0].id


MELODY_ENGINES = {
    MelodyGenerateSpec: "melody.generate",
    MelodyContinueSpec: "melody.continue",
    MelodyVarySpec: "melody.vary",
    MelodyInterpolateSpec: "melody.interpolate",
}
