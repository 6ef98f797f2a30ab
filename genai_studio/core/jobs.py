"""Job specs, results and events: the typed messages between panels, runtime and engines."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genai_studio.core.media import ImageBuffer

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
            out[f.name] = value
        return out


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
        if self.tile != 0 and self.tile < 32:
            raise ValueError(f"tile must be 0 (no tiling) or at least 32 pixels, got {self.tile}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    @property
    def title(self) -> str:
        return f"Upscale x{self.scale} · {self.image.name}"


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
