"""Speaking styles and WORLD-based prosody reshaping, on a synthetic vowel with a known pitch contour."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.engines.voice.metrics import track_f0
from genai_studio.engines.voice.styles import STYLES, SpeechStyle, analyze_speech, apply_prosody

RATE = 22050


def vowel(seconds: float = 1.2, f0_center: float = 120.0, swing_st: float = 3.0) -> np.ndarray:
    """A sung-like 'ah': harmonics under two formant peaks, f0 swinging ±swing_st around f0_center (Hz)."""
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = f0_center * 2.0 ** (swing_st / 12.0 * np.sin(2 * np.pi * 1.5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = np.zeros_like(t)
    for k in range(1, 40):
        freq = k * f0
        amp = np.exp(-((freq - 700.0) / 300.0) ** 2) + 0.5 * np.exp(-((freq - 1200.0) / 400.0) ** 2) + 0.02
        x += np.where(freq < RATE / 2, amp, 0.0) * np.sin(k * phase)
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def log_f0(samples: np.ndarray) -> np.ndarray:
    f0, _ = track_f0(samples, RATE)
    return np.log2(f0[f0 > 0])


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


def test_required_styles_exist():
    assert {"neutral", "calm", "excited", "sad", "whisper"} <= set(STYLES)
    assert STYLES["whisper"].whisper and not STYLES["neutral"].whisper
    assert all(isinstance(s, SpeechStyle) and s.length_scale > 0 for s in STYLES.values())
    neutral = STYLES["neutral"]
    assert (neutral.pitch_range, neutral.pitch_shift_st, neutral.energy_db) == (1.0, 0.0, 0.0)
    assert STYLES["excited"].pitch_range > 1 > STYLES["sad"].pitch_range


def test_level_only_change_skips_world():
    x = vowel()
    y = apply_prosody(x, RATE, pitch_semitones=0.0, pitch_range=1.0, whisper=False, energy_db=-6.0)
    np.testing.assert_allclose(y, x * np.float32(10 ** (-6 / 20)), rtol=1e-6)  # exact: no resynthesis


def test_analysis_pitch_tracks_the_known_contour():
    x = vowel(f0_center=120.0, swing_st=3.0)
    features = analyze_speech(x, RATE)
    t = np.arange(features.frames) * 0.005
    truth = 120.0 * 2.0 ** (3.0 / 12.0 * np.sin(2 * np.pi * 1.5 * t))
    inner = slice(4, features.frames - 4)  # the edge frames see the signal's start and end
    voiced = features.f0[inner] > 0
    assert voiced.mean() > 0.95
    cents = 1200 * np.abs(np.log2(features.f0[inner][voiced] / truth[inner][voiced]))
    assert np.median(cents) < 10 and np.percentile(cents, 95) < 40


@pytest.mark.parametrize("semitones", [5.0, -4.0])
def test_pitch_shift_moves_the_median(semitones):
    x = vowel()
    y = apply_prosody(x, RATE, pitch_semitones=semitones, pitch_range=1.0, whisper=False, energy_db=0.0)
    shift = 12 * (np.median(log_f0(y)) - np.median(log_f0(x)))
    assert shift == pytest.approx(semitones, abs=0.3)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert abs(rms_db(y) - rms_db(x)) < 1.0  # the level is kept


def test_pitch_range_flattens_or_widens_the_contour():
    x = vowel(swing_st=3.0)
    spread_in = np.std(log_f0(x))
    flat = apply_prosody(x, RATE, pitch_semitones=0.0, pitch_range=0.0, whisper=False, energy_db=0.0)
    lively = apply_prosody(x, RATE, pitch_semitones=0.0, pitch_range=2.0, whisper=False, energy_db=0.0)
    assert np.std(log_f0(flat)) < 0.2 * spread_in
    assert np.std(log_f0(lively)) == pytest.approx(2 * spread_in, rel=0.2)


def test_whisper_is_unvoiced_and_keeps_level_plus_energy():
    x = vowel()
    y = apply_prosody(x, RATE, pitch_semitones=0.0, pitch_range=1.0, whisper=True, energy_db=-4.0)
    f0, _ = track_f0(y, RATE)
    assert np.mean(f0 > 0) < 0.1
    assert rms_db(y) == pytest.approx(rms_db(x) - 4.0, abs=1.0)
