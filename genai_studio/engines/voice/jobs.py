"""The voice features as jobs: spec + token (+ the voice's files from the model store) → AudioResult.

Speak streams: every finished sentence is reported as a preview holding *all* audio so far (mono float32
(frames,)), so a preview dropped by the token's throttle loses nothing — the next one contains it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from genai_studio.core.progress import ProgressToken
from genai_studio.core.voice_jobs import AudioResult, SingSpec, SpeakSpec, VoiceDenoiseSpec, VoiceTransformSpec


def _voice(paths: tuple[Path, ...]):
    from genai_studio.engines.voice.tts import VoiceFiles

    onnx = next((p for p in paths if p.name.lower().endswith(".onnx")), None)
    config = next((p for p in paths if p.name.lower().endswith(".onnx.json")), None)
    if onnx is None or config is None:
        from genai_studio.core.errors import ModelError

        raise ModelError("This voice's manifest must list its .onnx and .onnx.json files.")
    return VoiceFiles(model_path=onnx, config_path=config)


def describe_voice(onnx: Path, config: Path) -> dict:
    """Load a Piper voice once and describe it (language, sample_rate, speakers, quality); ModelError if broken."""
    from genai_studio.engines.voice.tts import VoiceFiles, voice_info, load_voice

    voice = VoiceFiles(model_path=Path(onnx), config_path=Path(config))
    info = voice_info(voice)
    load_voice(voice)
    return info


def run_speak(spec: SpeakSpec, token: ProgressToken, voice_paths: tuple[Path, ...]) -> AudioResult:
    from genai_studio.engines.voice.tts import speak

    started = time.perf_counter()
    chunks: list[np.ndarray] = []
    first_audio_s: list[float] = []

    def on_chunk(samples: np.ndarray, sample_rate: int) -> None:
        if not first_audio_s:
            first_audio_s.append(time.perf_counter() - started)
        chunks.append(np.asarray(samples, dtype=np.float32).reshape(-1))
        token.report(token_fraction(token), 1.0, preview=np.concatenate(chunks), message="speaking")

    audio, notes = speak(
        spec.text, _voice(voice_paths), speed=spec.speed, pitch_semitones=spec.pitch_semitones,
        volume_db=spec.volume_db, pause_s=spec.pause_s, style=spec.style, token=token, on_chunk=on_chunk,
    )
    audio = replace(audio, name=clip_name(spec.text))
    if first_audio_s:
        notes = [*notes, f"first audio after {first_audio_s[0] * 1000:.0f} ms"]
    return AudioResult(audio, spec, time.perf_counter() - started, tuple(notes))


def token_fraction(token: ProgressToken) -> float:
    """The token's current fraction (CancelToken has one; others report 0)."""
    return float(getattr(token, "fraction", 0.0))


def run_transform(spec: VoiceTransformSpec, token: ProgressToken) -> AudioResult:
    from genai_studio.engines.voice.transform import transform

    started = time.perf_counter()
    out = transform(spec.audio, pitch_semitones=spec.pitch_semitones, formant_ratio=spec.formant_ratio,
                    tempo_ratio=spec.tempo_ratio, effect=spec.effect, token=token)
    suffix = spec.effect if spec.effect != "none" else "transformed"
    return AudioResult(replace(out, name=f"{spec.audio.name} ({suffix})"), spec, time.perf_counter() - started)


def run_denoise(spec: VoiceDenoiseSpec, token: ProgressToken) -> AudioResult:
    from genai_studio.engines.voice.denoise import denoise

    started = time.perf_counter()
    out = denoise(spec.audio, strength=spec.strength, method=spec.method, token=token)
    return AudioResult(replace(out, name=f"{spec.audio.name} (denoised)"), spec, time.perf_counter() - started)


def run_sing(spec: SingSpec, token: ProgressToken, voice_paths: tuple[Path, ...]) -> AudioResult:
    from genai_studio.engines.voice.sing import sing

    started = time.perf_counter()
    audio, notes = sing(spec.melody, spec.lyrics, _voice(voice_paths), legato=spec.legato,
                        vibrato_cents=spec.vibrato_cents, breathiness=spec.breathiness, token=token)
    audio = replace(audio, name=f"Vocal · {spec.melody.name}")
    return AudioResult(audio, spec, time.perf_counter() - started, tuple(notes))


def clip_name(text: str, words: int = 5) -> str:
    head = text.split()
    return "Speech · " + " ".join(head[:words]) + ("…" if len(head) > words else "")

