"""WORLD vocoder analysis and resynthesis (pyworld), shared by TTS styles, voice transforms and singing.

Frames are ``FRAME_PERIOD_MS`` apart. ``f0`` is in Hz with 0 for unvoiced frames; ``sp`` (spectral envelope)
and ``ap`` (aperiodicity) are (frames, fft_size // 2 + 1) float64, as pyworld returns them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

FRAME_PERIOD_MS = 5.0
# Voices rarely leave this range; a wider DIO search only adds octave errors.
F0_FLOOR_HZ = 60.0
F0_CEIL_HZ = 800.0


@dataclass(frozen=True, eq=False)
class WorldFeatures:
    f0: np.ndarray  # (frames,) float64 Hz, 0 = unvoiced
    sp: np.ndarray  # (frames, bins) float64 power spectral envelope
    ap: np.ndarray  # (frames, bins) float64 aperiodicity in [0, 1]
    sample_rate: int
    frame_period_ms: float = FRAME_PERIOD_MS

    @property
    def frames(self) -> int:
        return int(self.f0.shape[0])

    @property
    def voiced(self) -> np.ndarray:
        """(frames,) bool."""
        return self.f0 > 0

    def with_(self, **changes: np.ndarray) -> "WorldFeatures":
        return replace(self, **changes)


def analyze(samples: np.ndarray, sample_rate: int, f0: np.ndarray | None = None, f0_floor: float = F0_FLOOR_HZ,
            f0_ceil: float = F0_CEIL_HZ) -> WorldFeatures:
    """Mono (frames,) float samples → WORLD features.

    ``f0`` (Hz per 5 ms frame, 0 = unvoiced) may come from the caller's own tracker; without one Harvest is
    used: DIO is ~25x faster but reads Piper voices an octave too high on a third or more of voiced frames.
    """
    import pyworld

    x = np.ascontiguousarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"analyze needs mono (frames,) samples, got shape {x.shape}")
    f0 = harvest_f0(x, sample_rate, f0_floor, f0_ceil) if f0 is None else np.ascontiguousarray(f0, np.float64)
    times = np.arange(len(f0)) * FRAME_PERIOD_MS / 1000.0
    sp = pyworld.cheaptrick(x, f0, times, sample_rate)
    ap = pyworld.d4c(x, f0, times, sample_rate)
    return WorldFeatures(f0=f0, sp=sp, ap=ap, sample_rate=sample_rate)


def harvest_f0(samples: np.ndarray, sample_rate: int, f0_floor: float = F0_FLOOR_HZ,
               f0_ceil: float = F0_CEIL_HZ) -> np.ndarray:
    """Mono (frames,) samples → (5 ms frames,) float64 f0 in Hz, 0 = unvoiced, by Harvest."""
    import pyworld

    x = np.ascontiguousarray(samples, dtype=np.float64)
    f0, _times = pyworld.harvest(x, sample_rate, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=FRAME_PERIOD_MS)
    return f0


def synthesize(features: WorldFeatures) -> np.ndarray:
    """WORLD features → mono (frames,) float32 samples at ``features.sample_rate``."""
    import pyworld

    y = pyworld.synthesize(
        np.ascontiguousarray(features.f0, dtype=np.float64),
        np.ascontiguousarray(features.sp, dtype=np.float64),
        np.ascontiguousarray(features.ap, dtype=np.float64),
        features.sample_rate, features.frame_period_ms,
    )
    return y.astype(np.float32)


def median_f0(features: WorldFeatures) -> float:
    """Median f0 (Hz) of the voiced frames, 0.0 when nothing is voiced."""
    voiced = features.f0[features.voiced]
    return float(np.median(voiced)) if voiced.size else 0.0
