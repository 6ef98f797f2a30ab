"""Job-spec entry points for the runtime (via the engine registry): spec + token (+ model file) → MelodyResult.

The signature matches the other engines: ``run_x(spec, token, manifest=None, weights=None)``; the
runtime passes the model store's manifest and weight path, the CLI and tests may pass neither
(the shipped melody-folk model is used).
"""

from __future__ import annotations

import time
from pathlib import Path

from genai_studio.core.errors import BadInput, ModelError, a_or_an
from genai_studio.core.jobs import (MelodyContinueSpec, MelodyGenerateSpec, MelodyInterpolateSpec, MelodyResult,
                                    MelodyVarySpec)
from genai_studio.core.manifest import ModelManifest
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.music import generate as gen
from genai_studio.engines.music.melody_runtime import MelodyRuntime, load_melody_model


def _load(manifest: ModelManifest | None, weights: Path | None, token: ProgressToken) -> MelodyRuntime:
    if manifest is not None and (manifest.family != "music" or manifest.task != "melody"):
        raise ModelError(f"{manifest.name} is {a_or_an(manifest.task)} model, not a melody model")
    model = load_melody_model(weights)
    token.check()
    return model


def run_generate(spec: MelodyGenerateSpec, token: ProgressToken, manifest: ModelManifest | None = None,
                 weights: Path | None = None) -> MelodyResult:
    started = time.perf_counter()
    model = _load(manifest, weights, token)
    melody = gen.generate(model, spec.key, spec.meter, spec.bars, spec.tempo_bpm, spec.style, spec.temperature,
                          spec.seed, (spec.low, spec.high), token.sub(0.05, 1.0))
    return MelodyResult((melody,), spec, time.perf_counter() - started)


def run_continue(spec: MelodyContinueSpec, token: ProgressToken, manifest: ModelManifest | None = None,
                 weights: Path | None = None) -> MelodyResult:
    started = time.perf_counter()
    model = _load(manifest, weights, token)
    if spec.melody is None:
        raise BadInput("select a MIDI clip with notes to continue")
    notes = ("the clip is polyphonic: its top line was continued",) if not spec.melody.is_monophonic() else ()
    melody = gen.continue_melody(model, spec.melody, spec.bars, spec.temperature, spec.seed,
                                 token=token.sub(0.05, 1.0))
    return MelodyResult((melody,), spec, time.perf_counter() - started, notes)


def run_vary(spec: MelodyVarySpec, token: ProgressToken, manifest: ModelManifest | None = None,
             weights: Path | None = None) -> MelodyResult:
    started = time.perf_counter()
    model = _load(manifest, weights, token)
    if spec.melody is None:
        raise BadInput("select a MIDI clip with notes to vary")
    melody = gen.vary(model, spec.melody, spec.mode, spec.amount, spec.seed, spec.temperature,
                      token=token.sub(0.05, 1.0))
    return MelodyResult((melody,), spec, time.perf_counter() - started)


def run_interpolate(spec: MelodyInterpolateSpec, token: ProgressToken, manifest: ModelManifest | None = None,
                    weights: Path | None = None) -> MelodyResult:
    started = time.perf_counter()
    model = _load(manifest, weights, token)
    if spec.a is None or spec.b is None:
        raise BadInput("choose two MIDI clips with notes to interpolate between")
    melodies = gen.interpolate(model, spec.a, spec.b, spec.steps, spec.seed, token=token.sub(0.05, 1.0))
    return MelodyResult(tuple(melodies), spec, time.perf_counter() - started)
