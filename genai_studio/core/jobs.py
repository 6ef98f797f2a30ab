"""Job specs, results and events: the typed messages between panels, runtime and engines."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genai_studio.core.media import AudioBuffer, ImageBuffer
from genai_studio.core.music import Melody, parse_key, parse_meter

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True, eq=False)
class JobSpec:
    """Base of every job spec. Subclasses are frozen and carry everything their engine needs."""

    device: str = "auto"

    @property
    def title(self) -> str:
        return type(self).__name__

    def to_json(self) -> dict[str, Any]:
        """Serializable record of the parameters (in-memory media is replaced by its name)."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, ImageBuffer):
                value = {"image": value.name, "width": value.width, "height": value.height}
            elif isinstance(value, AudioBuffer):
                value = {"audio": value.name, "seconds": round(value.duration_s, 3), "sample_rate": value.sample_rate}
            elif isinstance(value, Melody):
                value = {"melody": value.name, "notes": len(value.notes), "key": value.key}
            out[f.name] = value
        return out


SMALLEST_TILE = 32  # input pixels per tile side: below this the overlap is most of every tile


@dataclass(frozen=True, eq=False)
class UpscaleSpec(JobSpec):
    image: ImageBuffer | None = None
    model_id: str = "realesrgan-x4plus"
    scale: int = 4
    tile: int = 256  # input pixels per tile side; 0 = whole image at once
    tile_overlap: int = 16  # input pixels shared by neighbouring tiles

    def __post_init__(self) -> None:
        if self.image is None:
            raise ValueError("UpscaleSpec needs an image")
        if self.scale not in (2, 3, 4):
            raise ValueError(f"scale must be 2, 3 or 4, got {self.scale}")
        if self.tile != 0 and self.tile < SMALLEST_TILE:
            raise ValueError(f"tile must be 0 (no tiling) or at least {SMALLEST_TILE} pixels, got {self.tile}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    @property
    def title(self) -> str:
        return f"Upscale x{self.scale} · {self.image.name}"


MELODY_STYLES = ("reel", "jig", "air", "hymn")
VARY_MODES = ("keep_rhythm", "keep_contour", "free")


def _check_melody_params(bars: int, temperature: float, key: str | None = None, meter: str | None = None) -> None:
    if not 1 <= bars <= 64:
        raise ValueError(f"bars must be between 1 and 64, got {bars}")
    if not 0.05 <= temperature <= 3.0:
        raise ValueError(f"temperature must be between 0.05 and 3, got {temperature}")
    if key is not None:
        parse_key(key)
    if meter is not None:
        parse_meter(meter)


@dataclass(frozen=True, eq=False)
class MelodyGenerateSpec(JobSpec):
    key: str = "D major"
    meter: str = "4/4"
    bars: int = 8
    tempo_bpm: float = 120.0
    style: str = "reel"
    temperature: float = 1.0
    seed: int | None = None
    low: int = 55  # lowest allowed MIDI pitch
    high: int = 84  # highest allowed MIDI pitch
    model_id: str = "melody-folk"

    def __post_init__(self) -> None:
        _check_melody_params(self.bars, self.temperature, self.key, self.meter)
        if self.style not in MELODY_STYLES:
            raise ValueError(f"style must be one of {', '.join(MELODY_STYLES)}")
        if not 0 <= self.low < self.high <= 127 or self.high - self.low < 7:
            raise ValueError(f"the pitch range {self.low}..{self.high} must span at least 7 semitones within 0..127")
        if not 20 <= self.tempo_bpm <= 300:
            raise ValueError(f"tempo must be between 20 and 300 BPM, got {self.tempo_bpm:g}")

    @property
    def title(self) -> str:
        return f"Generate {self.bars} bars · {self.key} {self.meter} {self.style}"


@dataclass(frozen=True, eq=False)
class MelodyContinueSpec(JobSpec):
    melody: Melody | None = None
    bars: int = 4
    temperature: float = 1.0
    seed: int | None = None
    model_id: str = "melody-folk"

    def __post_init__(self) -> None:
        if self.melody is None or not self.melody.notes:
            raise ValueError("select a MIDI clip with notes to continue")
        _check_melody_params(self.bars, self.temperature)

    @property
    def title(self) -> str:
        return f"Continue {self.melody.name} by {self.bars} bars"


@dataclass(frozen=True, eq=False)
class MelodyVarySpec(JobSpec):
    melody: Melody | None = None
    mode: str = "keep_rhythm"
    amount: float = 0.5  # 0 = unchanged … 1 = everything may change
    temperature: float = 1.0
    seed: int | None = None
    model_id: str = "melody-folk"

    def __post_init__(self) -> None:
        if self.melody is None or not self.melody.notes:
            raise ValueError("select a MIDI clip with notes to vary")
        if self.mode not in VARY_MODES:
            raise ValueError(f"mode must be one of {', '.join(VARY_MODES)}")
        if not 0.0 <= self.amount <= 1.0:
            raise ValueError(f"amount must be between 0 and 1, got {self.amount}")

    @property
    def title(self) -> str:
        return f"Vary {self.melody.name} ({self.mode.replace('_', ' ')})"


@dataclass(frozen=True, eq=False)
class MelodyInterpolateSpec(JobSpec):
    a: Melody | None = None
    b: Melody | None = None
    steps: int = 4
    seed: int | None = None
    model_id: str = "melody-folk"

    def __post_init__(self) -> None:
        if self.a is None or self.b is None or not self.a.notes or not self.b.notes:
            raise ValueError("choose two MIDI clips with notes to interpolate between")
        if not 1 <= self.steps <= 16:
            raise ValueError(f"steps must be between 1 and 16, got {self.steps}")

    @property
    def title(self) -> str:
        return f"Interpolate {self.a.name} → {self.b.name} ({self.steps} steps)"


@dataclass(frozen=True, eq=False)
class HumSpec(JobSpec):
    audio: AudioBuffer | None = None
    tempo_bpm: float = 120.0
    key: str | None = None  # snap notes into this key when given
    grid_beats: float = 0.25

    def __post_init__(self) -> None:
        if self.audio is None:
            raise ValueError("record or choose audio to transcribe")
        if self.key:
            parse_key(self.key)
        if not 20 <= self.tempo_bpm <= 300:
            raise ValueError(f"tempo must be between 20 and 300 BPM, got {self.tempo_bpm:g}")

    @property
    def title(self) -> str:
        return f"Hum to MIDI · {self.audio.name}"


@dataclass(frozen=True, eq=False)
class MelodyResult:
    melodies: tuple[Melody, ...]
    spec: JobSpec
    seconds: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ImageResult:
    image: ImageBuffer
    spec: JobSpec
    device: str  # where it actually ran, e.g. "cpu" or "cuda:0"
    seconds: float
    notes: tuple[str, ...] = ()  # e.g. "retried with 128-px tiles after CUDA out-of-memory"


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True, eq=False)
class JobEvent:
    """One change in a job's life, delivered on the GUI thread."""

    job_id: int
    state: JobState
    fraction: float = 0.0
    message: str = ""
    preview: np.ndarray | None = None
    result: Any = None
    error_kind: str = ""
    extra: dict = field(default_factory=dict)
