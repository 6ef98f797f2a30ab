"""In-memory media types passed between layers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


# An 8-bit mask value below this counts as unpainted: a black mask saved as JPEG is full of 1-6 values.
MASK_PAINTED_MIN = 8


@dataclass(frozen=True, eq=False)
class ImageBuffer:
    """An RGB or RGBA image.

    ``pixels`` is (H, W, 3|4), dtype uint8 or uint16 (16-bit sources keep their depth).
    """

    pixels: np.ndarray
    name: str = "image"
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        p = self.pixels
        if p.ndim != 3 or p.shape[2] not in (3, 4):
            raise ValueError(f"ImageBuffer needs (H, W, 3|4) pixels, got shape {p.shape}")
        if p.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"ImageBuffer pixels must be uint8 or uint16, got {p.dtype}")

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.pixels.shape[2] == 4

    @property
    def bit_depth(self) -> int:
        return 16 if self.pixels.dtype == np.uint16 else 8

    @property
    def is_grayscale(self) -> bool:
        """R = G = B everywhere (a black-and-white photo, whatever file mode it came in)."""
        p = self.pixels
        return bool(np.array_equal(p[..., 0], p[..., 1]) and np.array_equal(p[..., 0], p[..., 2]))

    def to_float(self) -> np.ndarray:
        """(H, W, C) float32 in [0, 1]."""
        scale = 65535.0 if self.pixels.dtype == np.uint16 else 255.0
        return self.pixels.astype(np.float32) / scale

    def to_uint8(self) -> np.ndarray:
        if self.pixels.dtype == np.uint8:
            return self.pixels
        return ((self.pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)

    @staticmethod
    def from_float(rgb: np.ndarray, bit_depth: int = 8, name: str = "image", metadata: dict | None = None) -> "ImageBuffer":
        """Quantize (H, W, C) float in [0, 1] to the given bit depth."""
        peak, dtype = (65535.0, np.uint16) if bit_depth == 16 else (255.0, np.uint8)
        pixels = np.clip(np.rint(rgb * peak), 0, peak).astype(dtype)
        return ImageBuffer(pixels, name=name, metadata=dict(metadata or {}))


@dataclass(frozen=True, eq=False)
class AudioBuffer:
    """Audio as float32 samples (frames, channels) in [-1, 1] at ``sample_rate`` Hz."""

    samples: np.ndarray
    sample_rate: int
    name: str = "audio"

    def __post_init__(self) -> None:
        if self.samples.ndim != 2:
            raise ValueError(f"AudioBuffer needs (frames, channels) samples, got shape {self.samples.shape}")
        if self.samples.dtype != np.float32:
            raise ValueError(f"AudioBuffer samples must be float32, got {self.samples.dtype}")
        if self.sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {self.sample_rate}")

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    def mono(self) -> np.ndarray:
        """(frames,) float32 mean of the channels."""
        return self.samples.mean(axis=1, dtype=np.float32)
