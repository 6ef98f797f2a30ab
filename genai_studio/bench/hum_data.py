"""Synthetic hums with known notes, for measuring hum-to-MIDI (tests and `bench melody`). No Qt, no torch.

A real hum is not a clean tone: the voice is a harmonic series shaped by the vocal tract (formants), the pitch
wobbles (vibrato, 5-6 Hz, about ±30 cents), it scoops into each note from below, breath adds noise, and notes
are joined by dips in loudness rather than silences. :func:`synthesize_hum` renders all of that from a
:class:`Melody`, so the true notes are known exactly; :func:`note_f1` scores a transcription the way the issue
asks (mir_eval, onset within ±50 ms, pitch exact to the semitone, offsets ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note

# Vowel formants (centre Hz, bandwidth Hz, gain dB). "hum" is a closed-mouth [m]: one strong low resonance and
# a damped top, which is what makes humming hard for pitch trackers (weak harmonics, strong first partials).
TIMBRES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "hum": ((250.0, 90.0, 0.0), (1000.0, 300.0, -24.0), (2200.0, 400.0, -30.0)),
    "oo": ((300.0, 80.0, 0.0), (870.0, 120.0, -10.0), (2240.0, 200.0, -24.0)),
    "ah": ((730.0, 90.0, 0.0), (1090.0, 110.0, -4.0), (2440.0, 160.0, -16.0)),
    "ee": ((270.0, 70.0, 0.0), (2290.0, 150.0, -12.0), (3010.0, 200.0, -14.0)),
}


@dataclass(frozen=True)
class HumStyle:
    """How a synthetic singer performs; the defaults are a plain, slightly sloppy amateur."""

    timbre: str = "hum"
    vibrato_cents: float = 30.0  # peak deviation of the vibrato
    vibrato_hz: tuple[float, float] = (5.0, 6.0)  # rate drawn per note from this range
    scoop_cents: tuple[float, float] = (40.0, 120.0)  # each note starts this far below and glides up
    scoop_s: float = 0.03  # time constant of the glide
    noise_db: float = -35.0  # breath/room noise level relative to the voice's RMS
    timing_jitter_s: float = 0.015  # each onset moves by up to this much (uniform)
    detune_cents: float = 10.0  # each note's centre pitch is off by up to this much
    dip: float = 0.05  # loudness left between two notes (1 = perfect legato); repeats of a pitch dip ≤ 0.3


def _formant_gain(freqs: np.ndarray, timbre: str) -> np.ndarray:
    """Linear gain of the vocal-tract filter at ``freqs`` (Hz): resonance peaks plus a -12 dB/octave source."""
    env = np.zeros_like(freqs)
    for centre, bandwidth, gain_db in TIMBRES[timbre]:
        env += 10 ** (gain_db / 20) / (1.0 + ((freqs - centre) / (bandwidth / 2)) ** 2)
    glottal = 1.0 / np.maximum(freqs / 100.0, 1.0) ** 2  # -12 dB/octave roll-off above 100 Hz
    return (env + 0.02) * glottal


def synthesize_hum(melody: Melody, sample_rate: int = 22050, seed: int = 0,
                   style: HumStyle | None = None) -> AudioBuffer:
    """Render ``melody`` as a voice-like hum: mono float32 at ``sample_rate``, peak about -6 dBFS.

    Note times follow the melody's beats at its tempo (plus the style's timing jitter), with 0.4 s of room
    noise after the last note. Same arguments → same samples.
    """
    style = style or HumStyle()
    rng = np.random.default_rng(seed)
    spb = melody.seconds_per_beat
    notes = sorted(melody.notes, key=lambda n: n.start)
    total = int((melody.duration_beats * spb + 0.4) * sample_rate)
    f0 = np.zeros(total)  # instantaneous pitch in Hz (0 where silent)
    amp = np.zeros(total)  # loudness envelope, 0..1
    harmonic_gain: list[tuple[int, int, np.ndarray]] = []  # (start, end, per-harmonic gains) per note
    nyquist = sample_rate / 2
    for i, note in enumerate(notes):
        jitter = rng.uniform(-style.timing_jitter_s, style.timing_jitter_s)
        start = max(0, int((note.start * spb + jitter) * sample_rate))
        end = min(total, int(note.end * spb * sample_rate))
        if end - start < 8:
            continue
        t = np.arange(end - start) / sample_rate
        centre = note.pitch + rng.uniform(-style.detune_cents, style.detune_cents) / 100
        scoop = rng.uniform(*style.scoop_cents) / 100 * np.exp(-t / style.scoop_s)
        rate = rng.uniform(*style.vibrato_hz)
        # Vibrato fades in over ~0.2 s, as singers do, and starts at a random phase.
        vibrato = style.vibrato_cents / 100 * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
        vibrato *= np.minimum(1.0, t / 0.2)
        f0[start:end] = 440.0 * 2 ** ((centre - scoop + vibrato - 69) / 12)
        # Attack 40 ms, release 50 ms; a following note that is joined (legato) dips instead of stopping.
        level = (note.velocity / 127) ** 0.7 * rng.uniform(0.8, 1.0)
        nxt = notes[i + 1] if i + 1 < len(notes) else None
        joined = nxt is not None and nxt.start - note.end < 1e-6
        floor = (min(style.dip, 0.3) if nxt.pitch == note.pitch else style.dip) if joined else 0.0
        prev = notes[i - 1] if i > 0 else None
        attack_from = (min(style.dip, 0.3) if prev.pitch == note.pitch else style.dip) \
            if prev is not None and note.start - prev.end < 1e-6 else 0.0
        env = (attack_from + (1 - attack_from) * np.minimum(1.0, t / 0.04)) \
            * np.minimum(1.0, (t[-1] - t) / 0.05 * (1 - floor) + floor)
        amp[start:end] = np.maximum(amp[start:end], level * env)
        f_ref = 440.0 * 2 ** ((note.pitch - 69) / 12)
        n_harm = max(1, min(40, int(nyquist * 0.95 / (f_ref * 1.03))))
        gains = _formant_gain(f_ref * np.arange(1, n_harm + 1), style.timbre)
        harmonic_gain.append((start, end, gains / np.sqrt(np.sum(gains**2))))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voice = np.zeros(total)
    for start, end, gains in harmonic_gain:
        seg = phase[start:end]
        for h, g in enumerate(gains, start=1):
            voice[start:end] += g * np.sin(h * seg)
    voice *= amp
    breath = _band_noise(rng, total, sample_rate, 800.0, 6000.0)
    rms = np.sqrt(np.mean(voice[amp > 0.1] ** 2)) if np.any(amp > 0.1) else 0.1
    noise = breath * rms * 10 ** (style.noise_db / 20) * (0.5 + 2.0 * amp)  # breathier while singing
    out = voice + noise
    out *= 0.5 / max(1e-9, float(np.max(np.abs(out))))
    return AudioBuffer(out.astype(np.float32)[:, None], sample_rate, name=f"hum-{melody.name}")


def _band_noise(rng: np.random.Generator, n: int, sample_rate: int, low: float, high: float) -> np.ndarray:
    """Unit-RMS white noise band-limited to [low, high] Hz by zeroing FFT bins (n samples)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    spectrum[(freqs < low) | (freqs > min(high, sample_rate / 2))] = 0
    noise = np.fft.irfft(spectrum, n)
    return noise / max(1e-12, float(np.sqrt(np.mean(noise**2))))


def note_f1(reference: Melody, estimate: Melody, onset_tolerance_s: float = 0.05) -> float:
    """Note F1 with mir_eval: onset within ``onset_tolerance_s``, pitch within 50 cents, offsets ignored."""
    from mir_eval.transcription import precision_recall_f1_overlap

    if not reference.notes or not estimate.notes:
        return 0.0
    ref_i, ref_p = _intervals(reference)
    est_i, est_p = _intervals(estimate)
    _, _, f1, _ = precision_recall_f1_overlap(ref_i, ref_p, est_i, est_p, onset_tolerance=onset_tolerance_s,
                                              pitch_tolerance=50.0, offset_ratio=None)
    return float(f1)


def _intervals(melody: Melody) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) onset/offset seconds and (n,) pitches in Hz, as mir_eval wants them."""
    spb = melody.seconds_per_beat
    notes = sorted(melody.notes, key=lambda n: n.start)
    intervals = np.array([[n.start * spb, n.end * spb] for n in notes])
    pitches = 440.0 * 2 ** ((np.array([n.pitch for n in notes]) - 69) / 12)
    return intervals, pitches


def _melody(name: str, tempo: float, meter: str, key: str, notes: list[tuple[int, float]],
            start: float = 1.0) -> Melody:
    """Notes given as (pitch, beats) one after another, after ``start`` beats of count-in silence."""
    out, t = [], start
    for pitch, beats in notes:
        out.append(Note(pitch, t, beats, 96))
        t += beats
    return Melody(tuple(out), tempo_bpm=tempo, key=key, time_signature=meter, name=name)


def reference_melodies() -> list[Melody]:
    """Known tunes covering the hard cases: repeated notes, octave leaps, fast runs, low and high voices."""
    q, h, e, dq = 1.0, 2.0, 0.5, 1.5
    twinkle = [(60, q), (60, q), (67, q), (67, q), (69, q), (69, q), (67, h),
               (65, q), (65, q), (64, q), (64, q), (62, q), (62, q), (60, h)]
    ode = [(64, q), (64, q), (65, q), (67, q), (67, q), (65, q), (64, q), (62, q),
           (60, q), (60, q), (62, q), (64, q), (64, dq), (62, e), (62, h)]
    jig = [(67, e), (71, e), (74, e), (72, e), (71, e), (69, e), (67, e), (69, e), (71, e), (72, e), (71, e),
           (69, e), (67, e), (64, e), (62, e), (67, dq)]
    leaps = [(57, q), (69, q), (64, e), (76, e), (72, q), (60, q), (67, e), (55, e), (62, h)]
    low = [(45, q), (48, q), (52, h), (50, q), (47, q), (45, e), (45, e), (52, h)]
    high = [(76, q), (79, e), (81, e), (84, q), (83, q), (81, e), (79, e), (76, q), (74, h)]
    run = [(62, e), (64, e), (66, e), (67, e), (69, e), (71, e), (73, e), (74, e),
           (73, e), (71, e), (69, e), (67, e), (66, e), (64, e), (62, q)]
    return [
        _melody("twinkle", 100, "4/4", "C major", twinkle),
        _melody("ode", 120, "4/4", "C major", ode),
        _melody("jig", 110, "6/8", "G major", jig),
        _melody("leaps", 90, "4/4", "A minor", leaps),
        _melody("low", 80, "4/4", "A minor", low),
        _melody("high", 100, "4/4", "G major", high),
        _melody("run", 132, "4/4", "D major", run),
    ]


# Named conditions for reports: (style, sample rate). "clean" is the plain singer; the others each add one
# difficulty on top of it.
CONDITIONS: dict[str, tuple[HumStyle, int]] = {
    "hum": (HumStyle(), 22050),
    "ah-vowel": (HumStyle(timbre="ah"), 44100),
    "oo-wide-vibrato": (HumStyle(timbre="oo", vibrato_cents=45.0), 48000),
    "noisy": (HumStyle(noise_db=-20.0), 16000),
    "phone-8k": (HumStyle(timbre="ee"), 8000),
    # legato (no loudness dip between different pitches), wide scoops, loose timing and intonation
    "sloppy-legato": (HumStyle(timbre="oo", dip=1.0, scoop_cents=(80.0, 200.0), timing_jitter_s=0.03,
                               detune_cents=25.0, vibrato_cents=40.0, noise_db=-28.0), 44100),
}


def with_tempo(melody: Melody, tempo: float) -> Melody:
    return replace(melody, tempo_bpm=tempo)


def hum_f1_report(tempo_scales: tuple[float, ...] = (0.8, 1.0, 1.25), seed: int = 0) -> dict:
    """Hum-to-MIDI note F1 per condition over every reference melody at each tempo, plus timing.

    JSON-ready: ``{"conditions": {name: {"mean": f, "min": f, "n": k}}, "mean": f, "min": f,
    "seconds_per_audio_second": r}``. A transcription that fails (no notes found) scores 0.
    """
    import time

    from genai_studio.core.errors import BadInput
    from genai_studio.engines.music.hum import hum_to_melody

    report: dict = {"conditions": {}, "onset_tolerance_s": 0.05, "tempo_scales": list(tempo_scales)}
    every: list[float] = []
    busy = audio_s = 0.0
    for name, (style, rate) in CONDITIONS.items():
        scores = []
        for i, base in enumerate(reference_melodies()):
            for scale in tempo_scales:
                melody = with_tempo(base, base.tempo_bpm * scale)
                audio = synthesize_hum(melody, rate, seed + i, style)
                started = time.perf_counter()
                try:
                    scores.append(note_f1(melody, hum_to_melody(audio, tempo_bpm=melody.tempo_bpm)))
                except BadInput:
                    scores.append(0.0)
                busy += time.perf_counter() - started
                audio_s += audio.duration_s
        report["conditions"][name] = {"mean": round(float(np.mean(scores)), 4),
                                      "min": round(float(np.min(scores)), 4), "n": len(scores)}
        every += scores
    report.update(mean=round(float(np.mean(every)), 4), min=round(float(np.min(every)), 4),
                  seconds_per_audio_second=round(busy / max(audio_s, 1e-9), 4))
    return report


def sung_f1_report() -> dict:
    """Hum-to-MIDI note F1 on each reference melody *sung by the bundled Piper voice* ("la" on every note,
    through the singing engine): a real neural voice's timbre, consonant onsets and vibrato rather than our
    synthetic hummer. JSON-ready ``{"melodies": {name: f1}, "mean": f, "min": f}``."""
    from genai_studio.engines.music.hum import hum_to_melody
    from genai_studio.engines.voice.sing import sing
    from genai_studio.engines.voice.tts import VoiceFiles

    voice = VoiceFiles.bundled()
    scores: dict[str, float] = {}
    for melody in reference_melodies():
        audio, _notes = sing(melody, " ".join(["la"] * len(melody.notes)), voice)
        scores[melody.name] = round(note_f1(melody, hum_to_melody(audio, tempo_bpm=melody.tempo_bpm)), 4)
    values = list(scores.values())
    return {"melodies": scores, "mean": round(float(np.mean(values)), 4), "min": round(float(np.min(values)), 4),
            "voice": "piper-en-us-joe-medium, lyrics 'la'"}
