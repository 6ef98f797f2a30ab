"""Training a generator on the user's own folder of images: the job spec, live updates and controls.

The contract between the Train panel / ``genai-studio train art`` and the trainer (engine ``art.train``).
A training job runs for minutes to hours, so besides the usual progress token it carries a
:class:`TrainControl`: the UI pauses, resumes or stops through it, and the trainer publishes a
:class:`TrainUpdate` (step, losses, ETA, sample grid, checkpoints) into it that the UI polls on a timer.
"Stop" ends training early and still writes a usable model; "cancel" (the job's token) abandons it,
keeping the last checkpoint so the run can be resumed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genai_studio.core.jobs import DEVICES, JobSpec

FAMILIES = ("gan", "vae", "diffusion")
FAMILY_LABELS = {"gan": "GAN (sharp, fast to sample; can be unstable)",
                 "vae": "VAE (stable, quick to train; softer images)",
                 "diffusion": "Diffusion (best quality; slowest to train and sample)"}
MIN_IMAGES = 50  # fewer images than this cannot teach a generator anything but copies
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


@dataclass(frozen=True)
class SizePreset:
    name: str
    px: int  # native resolution of the model (square)
    width: int  # channels of the first layer; deeper layers are multiples of it
    steps: int  # default number of optimizer steps
    label: str


PRESETS: dict[str, SizePreset] = {
    "tiny": SizePreset("tiny", 32, 32, 1500, "Tiny: 32 px, minutes on a CPU"),
    "small": SizePreset("small", 64, 32, 4000, "Small: 64 px, about an hour on a CPU"),
    "medium": SizePreset("medium", 64, 64, 12000, "Medium: 64 px, wider network; use a GPU"),
}


@dataclass(frozen=True)
class TrainUpdate:
    """One report from a running trainer."""

    step: int  # optimizer steps done so far
    total_steps: int
    losses: dict[str, float]  # e.g. {"loss": 0.12} or {"d": 1.3, "g": 0.8}; averaged since the last update
    elapsed_s: float  # training time so far, pauses excluded
    eta_s: float | None  # seconds of training left at the recent speed; None before there is a speed
    samples: np.ndarray | None = None  # (H, W, 3) uint8 grid of fixed-seed samples, when one was made
    checkpoint: str = ""  # path of a checkpoint written at this step
    message: str = ""


class TrainControl:
    """Thread-safe pause/resume/stop for one training job, and the channel its updates come back on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._pending: list[TrainUpdate] = []
        self.history: list[TrainUpdate] = []  # every update so far (samples kept only in the latest)

    # ----- UI side -------------------------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """Finish early: the trainer writes the model from where it is and returns normally."""
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def drain(self) -> list[TrainUpdate]:
        """Updates published since the last call, oldest first."""
        with self._lock:
            out, self._pending = self._pending, []
        return out

    # ----- trainer side --------------------------------------------------------------------------
    def publish(self, update: TrainUpdate) -> None:
        with self._lock:
            self._pending.append(update)
            self.history.append(update)

    def wait_while_paused(self, check=None, poll_s: float = 0.1) -> float:
        """Block while paused; ``check()`` (e.g. a token's) runs every ``poll_s`` so cancel still works.

        Returns the seconds spent paused (the trainer leaves them out of its speed and ETA)."""
        started = time.monotonic()
        while not self._running.wait(poll_s):
            if check is not None:
                check()
        return time.monotonic() - started


@dataclass(frozen=True, eq=False)
class TrainArtSpec(JobSpec):
    """Train a ``family`` generator of size ``preset`` on the images in ``data_dir``, into ``out_dir``."""

    data_dir: str = ""
    out_dir: str = ""  # model folder: weights, manifest, checkpoints, samples
    name: str = ""  # display name of the trained model (default: the folder's name)
    family: str = "vae"
    preset: str = "small"
    steps: int = 0  # 0 = the preset's default
    seed: int = 0
    resume: bool = False  # continue from the checkpoint in out_dir
    sample_every: int = 100  # steps between sample grids
    checkpoint_every: int = 500  # steps between checkpoints
    control: TrainControl | None = field(default=None, compare=False)
    long_running = True  # the controller gives it a worker of its own (not a field: not part of the spec)

    def __post_init__(self) -> None:
        if not self.data_dir:
            raise ValueError("choose a folder of training images")
        if not self.out_dir:
            raise ValueError("choose where the trained model goes")
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {self.family!r}")
        if self.preset not in PRESETS:
            raise ValueError(f"size preset must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        if self.steps < 0:
            raise ValueError(f"steps must be 0 (preset default) or positive, got {self.steps}")
        if self.sample_every < 1 or self.checkpoint_every < 1:
            raise ValueError("sample_every and checkpoint_every must be at least 1")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    @property
    def total_steps(self) -> int:
        return self.steps or PRESETS[self.preset].steps

    @property
    def title(self) -> str:
        return f"Train {self.family.upper() if self.family != 'diffusion' else 'diffusion'} on {Path(self.data_dir).name}"


@dataclass(frozen=True)
class TrainArtResult:
    model_dir: Path
    weights: Path
    manifest: Path
    model_id: str
    steps_done: int
    stopped_early: bool
    quality: dict
    notes: tuple[str, ...] = ()
