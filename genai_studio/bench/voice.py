"""`bench voice`: the voice features' figures as JSON (never asserted as wall-clock in tests).

* TTS: time to first audio and real-time factor (synthesis seconds / audio seconds) for a ~150-word
  paragraph with the bundled voice, warm (voice loaded) and cold (including the load);
* denoise: SNR of speech + white noise at 0/5/10 dB before and after, DeepFilterNet3 vs RNNoise, and RTF;
* transform: median pitch-shift error in cents for several shifts, and RTF;
* singing: median |cents| of the sung f0 against the notes and median |onset error|, and RTF.
All speech is made by the bundled Piper voice, so the benchmark needs no recordings.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

PARAGRAPH = (
    "The old lighthouse keeper climbed the spiral stairs every evening at dusk, counting the steps out of habit. "
    "There were one hundred and twelve of them, worn smooth in the middle by a century of boots. At the top, he "
    "trimmed the wick, polished the great lens, and watched the first ships turn toward the harbor. Storms came "
    "often in the autumn, and on those nights he stayed awake until dawn, listening to the wind test every window. "
    "Some people in the village thought the work was lonely, but he never agreed. He had the sea, the gulls, and "
    "the long conversations with passing sailors who waved from their decks. When the new automatic lamp was "
    "finally installed, he kept climbing the stairs anyway, just to be sure that the light was still shining."
)
# "Twinkle, twinkle, little star" (C major, one syllable per note), 4/4 at 100 BPM.
SING_PITCHES = (60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60)
SING_BEATS = (1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2)
SING_LYRICS = "twin-kle twin-kle lit-tle star how I won-der what you are"
SNR_LEVELS_DB = (0, 5, 10)
PITCH_SHIFTS_ST = (-5.0, -3.0, 3.0, 5.0)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_tts(voice) -> dict:
    from genai_studio.engines.voice.tts import clear_voice_cache, load_voice, speak

    clear_voice_cache()
    _, load_s = _timed(lambda: load_voice(voice))
    runs = []
    for style in ("neutral", "neutral", "excited"):
        first: list[float] = []
        t0 = time.perf_counter()
        audio, _notes = speak(PARAGRAPH, voice, style=style,
                              on_chunk=lambda *_: first or first.append(time.perf_counter() - t0))
        total = time.perf_counter() - t0
        runs.append({"style": style, "seconds": round(total, 3), "audio_s": round(audio.duration_s, 2),
                     "rtf": round(total / audio.duration_s, 4), "first_audio_ms": round(first[0] * 1000, 1)})
    warm = runs[1]
    return {
        "words": len(PARAGRAPH.split()),
        "voice_load_s": round(load_s, 3),
        "rtf": warm["rtf"],
        "first_audio_ms": warm["first_audio_ms"],
        "cold_first_audio_ms": round((load_s + warm["first_audio_ms"] / 1000) * 1000, 1),
        "targets": {"rtf": 0.07, "first_audio_ms": 300},
        "runs": runs,
    }


def _speech(voice, text: str):
    from genai_studio.engines.voice.tts import speak

    audio, _ = speak(text, voice)
    return audio


def bench_denoise(clean, seed: int = 0) -> dict:
    from genai_studio.core.media import AudioBuffer
    from genai_studio.engines.voice.denoise import denoise, snr_db

    x = clean.mono()
    rng = np.random.default_rng(seed)
    rows = []
    for level in SNR_LEVELS_DB:
        noise = rng.standard_normal(len(x)).astype(np.float32)
        noise *= np.sqrt(np.mean(x ** 2) / np.mean(noise ** 2) / 10 ** (level / 10))
        noisy = AudioBuffer((x + noise)[:, None].astype(np.float32), clean.sample_rate, "noisy")
        row = {"input_snr_db": round(snr_db(x, noisy.mono()), 2)}
        for method in ("deepfilternet", "rnnoise"):
            out, seconds = _timed(lambda: denoise(noisy, method=method))
            snr = snr_db(x, out.mono())
            row[method] = {"snr_db": round(snr, 2), "gain_db": round(snr - row["input_snr_db"], 2),
                           "rtf": round(seconds / clean.duration_s, 4)}
        rows.append(row)
    return {"noise": "white", "audio_s": round(clean.duration_s, 2), "levels": rows,
            "target_gain_db_at_0db": 6.0}


def bench_transform(speech) -> dict:
    from genai_studio.engines.voice.transform import pitch_shift_error_cents, transform

    rows = []
    for st in PITCH_SHIFTS_ST:
        out, seconds = _timed(lambda: transform(speech, pitch_semitones=st))
        rows.append({"semitones": st, "median_error_cents": round(pitch_shift_error_cents(speech, out, st), 2),
                     "rtf": round(seconds / speech.duration_s, 4)})
    tempo, tempo_s = _timed(lambda: transform(speech, tempo_ratio=1.5))
    errors = [abs(r["median_error_cents"]) for r in rows]
    return {
        "audio_s": round(speech.duration_s, 2),
        "median_abs_error_cents": round(statistics.median(errors), 2),
        "max_abs_error_cents": round(max(errors), 2),
        "rtf": round(statistics.median(r["rtf"] for r in rows), 4),
        "tempo_1.5": {"length_ratio": round(tempo.duration_s / speech.duration_s, 4),
                      "rtf": round(tempo_s / speech.duration_s, 4)},
        "target_cents": 20,
        "shifts": rows,
    }


def bench_sing(voice) -> dict:
    from genai_studio.core.music import Melody, Note
    from genai_studio.engines.voice.metrics import score_singing, summarize
    from genai_studio.engines.voice.sing import sing

    notes, beat = [], 0.0
    for pitch, beats in zip(SING_PITCHES, SING_BEATS):
        notes.append(Note(pitch, beat, beats))
        beat += beats
    melody = Melody(tuple(notes), tempo_bpm=100.0, key="C major", name="twinkle")
    (audio, _notes), cold_s = _timed(lambda: sing(melody, SING_LYRICS, voice))
    _, warm_s = _timed(lambda: sing(melody, SING_LYRICS, voice))  # syllables cached: only the resynthesis
    summary = summarize(score_singing(audio.mono(), audio.sample_rate, melody.notes, melody.tempo_bpm))
    return {"melody": "twinkle twinkle (14 notes, 100 BPM)", "audio_s": round(audio.duration_s, 2),
            "rtf": round(cold_s / audio.duration_s, 4), "rtf_warm": round(warm_s / audio.duration_s, 4),
            "targets": {"median_abs_cents": 30},
            **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in summary.items()}}


def bench_voice() -> dict:
    import os

    from genai_studio.engines.voice.tts import VoiceFiles

    voice = VoiceFiles.bundled()
    report = {"benchmark": "voice", "cpu_threads": os.cpu_count(), "tts": bench_tts(voice)}
    speech = _speech(voice, " ".join(PARAGRAPH.split(". ")[:3]) + ".")
    report["denoise"] = bench_denoise(speech)
    report["transform"] = bench_transform(speech)
    report["sing"] = bench_sing(voice)
    return report
