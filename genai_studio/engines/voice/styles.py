"""Speaking styles: Piper's own knobs (tempo, variation) plus WORLD-based reshaping of the pitch contour.

A style changes how the voice model speaks (``length_scale``, ``noise_scale``, ``noise_w_scale``, as
multipliers of the voice's defaults) and then reshapes the result: shift f0, widen or flatten its range
around the speaker's median (in log-f0), or whisper (every frame unvoiced and fully aperiodic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_studio.engines.voice import world
from genai_studio.engines.voice.metrics import track_f0

# Speech f0 search range (Hz) for analysis: covers low male to high female/child voices.
SPEECH_F0_FLOOR = 55.0
SPEECH_F0_CEIL = 600.0


@dataclass(frozen=True)
class SpeechStyle:
    name: str
    label: str  # shown in the UI
    length_scale: float  # x voice default phoneme duration (> 1 slower)
    noise_scale: float  # x voice default generator noise (more = more expressive, less stable)
    noise_w_scale: float  # x voice default duration noise (rhythm variation)
    pitch_shift_st: float  # semitones added to the user's pitch
    pitch_range: float  # 1 = as spoken, 0 = monotone, > 1 livelier
    energy_db: float  # level change
    whisper: bool = False
    pause_scale: float = 1.0  # x the pause between sentences

    @property
    def reshapes(self) -> bool:
        """True when the style needs WORLD (pitch range or whisper); pitch shifts are checked by the caller."""
        return self.whisper or self.pitch_range != 1.0 or self.pitch_shift_st != 0.0


STYLES: dict[str, SpeechStyle] = {s.name: s for s in (
    SpeechStyle("neutral", "Neutral", 1.0, 1.0, 1.0, 0.0, 1.0, 0.0),
    SpeechStyle("calm", "Calm", 1.12, 0.75, 0.7, -1.0, 0.7, -2.0, pause_scale=1.3),
    SpeechStyle("excited", "Excited", 0.88, 1.15, 1.2, 2.0, 1.5, 2.0, pause_scale=0.8),
    SpeechStyle("sad", "Sad", 1.22, 0.7, 0.6, -2.0, 0.55, -4.0, pause_scale=1.4),
    SpeechStyle("whisper", "Whisper", 1.05, 0.8, 0.8, 0.0, 1.0, -4.0, whisper=True, pause_scale=1.1),
)}


def analyze_speech(samples: np.ndarray, sample_rate: int, f0: np.ndarray | None = None,
                   f0_floor: float = SPEECH_F0_FLOOR, f0_ceil: float = SPEECH_F0_CEIL) -> world.WorldFeatures:
    """Mono speech → WORLD features on world's 5 ms grid, with f0 from our YIN tracker (see metrics).

    ``f0`` (frames,) may be given to analyse the spectrum against a known or corrected pitch track.
    """
    x = np.ascontiguousarray(samples, dtype=np.float64).reshape(-1)
    if f0 is None:
        f0, _ = track_f0(x, sample_rate, f0_floor, f0_ceil)
    return world.analyze(x, sample_rate, f0=f0)


def apply_prosody(samples: np.ndarray, sample_rate: int, *, pitch_semitones: float, pitch_range: float,
                  whisper: bool, energy_db: float) -> np.ndarray:
    """Reshape speech → mono float32 of the same length. WORLD is skipped when only the level changes.

    The level is kept: the resynthesis is matched to the input's RMS, then ``energy_db`` applied.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    gain = np.float32(10.0 ** (energy_db / 20.0))
    if (pitch_semitones == 0.0 and pitch_range == 1.0 and not whisper) or x.size == 0:
        return x * gain
    features = analyze_speech(x, sample_rate)
    f0 = features.f0.copy()
    voiced = f0 > 0
    ap = features.ap
    if whisper:
        f0[:] = 0.0
        ap = np.ones_like(ap)
    elif voiced.any():
        logf0 = np.log2(f0[voiced])
        center = np.median(logf0)
        shaped = center + (logf0 - center) * pitch_range + pitch_semitones / 12.0
        f0[voiced] = np.clip(2.0 ** shaped, 40.0, 1100.0)
    y = world.synthesize(features.with_(f0=f0, ap=ap))
    y = _fit_length(y, x.size)
    rms_in = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    rms_out = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    if rms_out > 1e-9:
        y = y * np.float32(rms_in / rms_out)
    return (y * gain).astype(np.float32)


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    if y.size >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - y.size, dtype=y.dtype)])
