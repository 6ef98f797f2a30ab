"""Hum-to-MIDI as a job: HumSpec + token → MelodyResult (the runtime reaches it through the registry)."""

from __future__ import annotations

import time
from dataclasses import replace

from genai_studio.core.jobs import HumSpec, MelodyResult
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.music.hum import hum_to_melody


def run_hum(spec: HumSpec, token: ProgressToken) -> MelodyResult:
    started = time.perf_counter()
    melody = hum_to_melody(spec.audio, tempo_bpm=spec.tempo_bpm, key=spec.key, grid_beats=spec.grid_beats,
                           token=token)
    melody = replace(melody, name=f"Hum · {spec.audio.name}")
    notes = (melody.metadata["note"],) if melody.metadata.get("note") else ()
    return MelodyResult((melody,), spec, time.perf_counter() - started, notes)
