"""Speech denoise: DeepFilterNet3 (default, best quality) or RNNoise (lighter), any rate and channel count.

Both models run on mono 48 kHz in 10 ms hops, so audio is resampled to 48 kHz, each channel is streamed
through its own model state (identical channels only once), the model's algorithmic delay is cut off so
the output lines up sample-for-sample with the input, and the result is resampled back to the input rate
and length.

Strength. For DeepFilterNet, 0..1 sets the attenuation limit (how far noise may be pushed down):
``atten_db = min(100, -15 * log2(1 - strength))``. Loudness roughly halves per 10 dB, so the residual
noise loudness follows (1 - strength)^1.5: it falls steadily across the whole slider instead of all
happening in the first quarter (as with a linear dB map to 100) or never finishing (linear to 30 dB).
0.25 → 6 dB, 0.5 → 15 dB, 0.75 → 30 dB, 0.9 → 50 dB, 0.99 → 99.7 dB, 1 → 100 dB (DeepFilterNet's
"no limit").
For RNNoise, which has no such control, strength is the wet/dry mix. Strength 0 returns the input as is.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.mediaio.audio import resample

METHODS = ("deepfilternet", "rnnoise")

MODEL_RATE = 48000
FULL_ATTENUATION_DB = 100.0
REPORT_EVERY_S = 1.0
SILENCE_PEAK = 1e-6  # -120 dBFS: nothing to denoise
MIN_DURATION_S = 0.01  # one model frame

# (frame in, frame out) -> None, both float32 (hop,) views.
FrameFn = Callable[[np.ndarray, np.ndarray], object]


def attenuation_db(strength: float) -> float:
    """DeepFilterNet attenuation limit (dB) for a strength in [0, 1]; see the module docstring."""
    if strength >= 1.0:
        return FULL_ATTENUATION_DB
    return min(FULL_ATTENUATION_DB, -15.0 * math.log2(1.0 - strength))


def denoise(audio: AudioBuffer, *, strength: float = 1.0, method: str = "deepfilternet",
            token: ProgressToken | None = None) -> AudioBuffer:
    """Return ``audio`` with background noise removed; same rate, channels and length.

    Raises BadInput for a strength outside 0..1, an unknown method or a clip shorter than 10 ms, ModelError
    when the model's runtime is missing or broken, Cancelled through ``token`` (reported about once per
    second of audio). Strength 0, empty or silent input return ``audio`` itself.
    """
    strength = _validate(strength, method)
    if strength == 0.0 or audio.frames == 0:
        return audio
    if audio.duration_s < MIN_DURATION_S:
        raise BadInput(f"'{audio.name}' is too short to denoise ({audio.duration_s * 1000:.1f} ms); the "
                       f"denoisers work on 10 ms frames.")
    samples = np.nan_to_num(audio.samples, nan=0.0, posinf=1.0, neginf=-1.0)
    if float(np.max(np.abs(samples))) <= SILENCE_PEAK:
        return audio

    identical = all(np.array_equal(samples[:, 0], samples[:, c]) for c in range(1, audio.channels))
    signals = samples[:, :1] if identical else samples  # (frames, S)
    x = resample(np.ascontiguousarray(signals), audio.sample_rate, MODEL_RATE)  # (frames at 48 kHz, S)
    seconds_each = len(x) / MODEL_RATE
    total = seconds_each * x.shape[1]
    _report(token, 0.0, total, "loading denoiser")

    wet = np.empty_like(x)
    for s in range(x.shape[1]):
        def progress(done_s: float, s: int = s) -> None:
            _report(token, s * seconds_each + done_s, total, "denoising")

        wet[:, s] = _run_channel(x[:, s], method, strength, progress)

    y = resample(wet, MODEL_RATE, audio.sample_rate) if audio.sample_rate != MODEL_RATE else wet
    y = _fit_length(y, audio.frames)
    if method == "rnnoise" and strength < 1.0:
        y = strength * y + (1.0 - strength) * signals  # dry path untouched by the resampling round trip
    if identical and audio.channels > 1:
        y = np.repeat(y, audio.channels, axis=1)
    return AudioBuffer(np.ascontiguousarray(y, dtype=np.float32), audio.sample_rate, name=audio.name)


def snr_db(clean: np.ndarray, test: np.ndarray) -> float:
    """Scale-invariant SNR (dB) of ``test`` against ``clean``: 10·log10(|αc|² / |t − αc|²), α = <t,c>/<c,c>.

    Accepts (frames,) or (frames, channels) arrays with the same channel count; the longer one is cut to
    the common length. Fitting α first means a denoiser that changes the level is not penalised for it,
    only for what is not a copy of the clean signal. Always finite (±~200 dB at the extremes).
    """
    c = np.asarray(clean, dtype=np.float64)
    t = np.asarray(test, dtype=np.float64)
    c = c[:, None] if c.ndim == 1 else c
    t = t[:, None] if t.ndim == 1 else t
    if c.ndim != 2 or t.ndim != 2 or c.shape[1] != t.shape[1]:
        raise ValueError(f"snr_db needs matching (frames[, channels]) arrays, got {c.shape} and {t.shape}")
    n = min(len(c), len(t))
    c, t = c[:n].ravel(), t[:n].ravel()
    energy = float(np.dot(c, c))
    alpha = float(np.dot(t, c)) / energy if energy > 0 else 0.0
    target = alpha * c
    error = t - target
    eps = 1e-20
    return float(10.0 * np.log10((float(np.dot(target, target)) + eps) / (float(np.dot(error, error)) + eps)))


def _run_channel(x: np.ndarray, method: str, strength: float, progress: Callable[[float], None]) -> np.ndarray:
    """Denoise one mono 48 kHz channel (frames,) → (frames,), delay-compensated."""
    if method == "deepfilternet":
        from genai_studio.engines.voice.deepfilter import DELAY_SAMPLES, DeepFilter

        with DeepFilter(attenuation_db(strength)) as model:
            return _stream(x, model.frame_length, DELAY_SAMPLES, model.process, progress)
    from genai_studio.engines.voice.rnnoise import DELAY_SAMPLES, PCM_SCALE, RNNoise

    with RNNoise() as model:
        y = _stream(x * np.float32(PCM_SCALE), model.frame_length, DELAY_SAMPLES, model.process, progress)
    return y / np.float32(PCM_SCALE)


def _stream(x: np.ndarray, hop: int, delay: int, process: FrameFn, progress: Callable[[float], None]) -> np.ndarray:
    """Feed ``x`` plus ``delay`` samples of trailing silence hop by hop; return output[delay : delay + len(x)]."""
    n = len(x)
    hops = -(-(n + delay) // hop)
    inp = np.zeros(hops * hop, np.float32)
    inp[:n] = x
    out = np.zeros_like(inp)
    every = max(1, int(REPORT_EVERY_S * MODEL_RATE) // hop)
    for k in range(hops):
        process(inp[k * hop:(k + 1) * hop], out[k * hop:(k + 1) * hop])
        if (k + 1) % every == 0:
            progress(min(n, (k + 1) * hop) / MODEL_RATE)
    progress(n / MODEL_RATE)
    return out[delay:delay + n]


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    if len(y) >= n:
        return y[:n]
    return np.pad(y, ((0, n - len(y)), (0, 0)))


def _report(token: ProgressToken | None, done: float, total: float, message: str) -> None:
    if token is not None:
        token.report(done, total, message=message)


def _validate(strength: float, method: str) -> float:
    try:
        value = float(strength)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise BadInput(f"Denoise strength must be between 0 and 1; got {strength!r}.")
    if method not in METHODS:
        raise BadInput(f"Unknown denoise method {method!r}; choose one of: {', '.join(METHODS)}.")
    return value
