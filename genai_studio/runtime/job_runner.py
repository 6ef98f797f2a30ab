"""Turns a job spec into the engine call that does it: the runtime's side of the engine registry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from genai_studio.core.art_generate_jobs import DISPLAY_UPSCALER, GenerateSpec, LatentWalkSpec
from genai_studio.core.art_jobs import StyleSpec
from genai_studio.core.art_train_jobs import TrainArtSpec
from genai_studio.core.jobs import (
    HumSpec, JobSpec, MelodyContinueSpec, MelodyGenerateSpec, MelodyInterpolateSpec, MelodyVarySpec, UpscaleSpec,
)
from genai_studio.core.errors import ModelError, a_or_an
from genai_studio.core.progress import ProgressToken
from genai_studio.core.restore_jobs import RecipeBatchSpec, RecipeSpec, RestoreSpec
from genai_studio.core.voice_jobs import SingSpec, SpeakSpec, VoiceDenoiseSpec, VoiceTransformSpec
from genai_studio.engines import registry
from genai_studio.runtime.model_store import ModelStore


class JobRunner:
    """Callable ``(spec, token) -> result`` used by the device workers (and the CLI, without Qt)."""

    def __init__(self, store: ModelStore) -> None:
        self.store = store

    def __call__(self, spec: JobSpec, token: ProgressToken) -> Any:
        if isinstance(spec, UpscaleSpec):
            entry = self.store.get(spec.model_id)
            return registry.call("upscale.run", spec, token, entry.manifest, entry.weight_path)
        if isinstance(spec, RestoreSpec):
            # "" = the task's default model (or its classical method when none is installed); "classical…" ids
            # name the baselines; anything else is a store id.
            planned = registry.call("restore.resolve_model", self.store, spec.task, spec.model_id)
            result = registry.call("restore.run", replace(spec, model_id=planned.model_id), token, planned.manifest,
                                   planned.weights, sensitivity=spec.sensitivity, fill=spec.fill)
            return replace(result, notes=result.notes + ((planned.note,) if planned.note else ()))
        if isinstance(spec, (RecipeSpec, RecipeBatchSpec)):
            # steps name their models; the engine resolves them through this runner's store
            engine = "restore.recipe" if isinstance(spec, RecipeSpec) else "restore.recipe_batch"
            return registry.call(engine, spec, token, self.store)
        if isinstance(spec, StyleSpec):
            # the named styles and the style-image networks are separate models of task "style"
            models = {e.id: e.paths for e in self.store.by_task("style")}
            return registry.call("art.style", spec, token, models)
        if isinstance(spec, (GenerateSpec, LatentWalkSpec)):
            entry = self.store.get(spec.model_id)
            engine = "art.generate" if isinstance(spec, GenerateSpec) else "art.walk"
            return registry.call(engine, spec, token, entry.manifest, entry.weight_path,
                                 upscaler=self._display_upscaler())
        if isinstance(spec, TrainArtSpec):
            return registry.call("art.train", spec, token)
        if isinstance(spec, HumSpec):
            return registry.call("melody.hum", spec, token)
        if isinstance(spec, (SpeakSpec, SingSpec)):
            entry = self.store.get(spec.voice_id)
            if entry.task != "tts":
                raise ModelError(f"'{entry.id}' is {a_or_an(entry.task)} model, not a voice; choose a voice (task tts) "
                                 "from `genai-studio models list`.")
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

    def _display_upscaler(self):
        """(manifest, weights) of the x4 model that enlarges generated images, or None when it is not installed."""
        entry = self.store.find(DISPLAY_UPSCALER)
        return (entry.manifest, entry.weight_path) if entry is not None else None


MELODY_ENGINES = {
    MelodyGenerateSpec: "melody.generate",
    MelodyContinueSpec: "melody.continue",
    MelodyVarySpec: "melody.vary",
    MelodyInterpolateSpec: "melody.interpolate",
}
