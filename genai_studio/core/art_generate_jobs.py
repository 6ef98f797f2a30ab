"""Image-generation job spec and result: the contract between the CLI/panels and the art generator engine."""

from __future__ import annotations

import re
from dataclasses import dataclass

from genai_studio.core.jobs import DEVICES, JobSpec
from genai_studio.core.media import ImageBuffer

DEFAULT_GENERATOR = "art-emoji-vae"
DISPLAY_UPSCALER = "realesr-animevideov3-x4"  # enlarges native-size results to the requested size
MAX_COUNT = 64
SIZE_RANGE = (16, 1024)  # px of each displayed image (the model's native size is upscaled/downscaled to it)
TEMPERATURE_RANGE = (0.0, 3.0)
GUIDANCE_RANGE = (0.0, 5.0)


def prompt_words(prompt: str) -> list[str]:
    """Lowercase words of a prompt, in order, duplicates kept once ("Smiling CAT, cat!" → smiling, cat)."""
    seen: list[str] = []
    for w in re.split(r"[^a-z]+", prompt.lower()):
        if w and w not in seen:
            seen.append(w)
    return seen


@dataclass(frozen=True, eq=False)
class GenerateSpec(JobSpec):
    """Generate ``count`` images for ``prompt`` (words of the model's vocabulary) from ``seed``."""

    model_id: str = DEFAULT_GENERATOR
    prompt: str = ""
    count: int = 1
    seed: int = 0
    temperature: float = 1.0  # scales the latent noise: 0 = the prompt's mean image
    guidance: float = 1.0  # > 1 exaggerates the prompt, 0 ignores it
    size: int = 64  # output px per image (bicubic from the native resolution)
    around: ImageBuffer | None = None  # variations: sample near this image's latent code instead of the prior
    spread: float = 0.5  # variations: how far from ``around`` (in prior standard deviations)

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"count must be between 1 and {MAX_COUNT}, got {self.count}")
        if not 0 <= self.seed < 2 ** 63:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        low, high = TEMPERATURE_RANGE
        if not low <= self.temperature <= high:
            raise ValueError(f"temperature must be between {low:g} and {high:g}, got {self.temperature:g}")
        low, high = GUIDANCE_RANGE
        if not low <= self.guidance <= high:
            raise ValueError(f"guidance must be between {low:g} and {high:g}, got {self.guidance:g}")
        low, high = SIZE_RANGE
        if not low <= self.size <= high:
            raise ValueError(f"size must be between {low} and {high} pixels, got {self.size}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if len(self.prompt) > 500:
            raise ValueError("the prompt is longer than 500 characters")
        if not 0.0 <= self.spread <= 3.0:
            raise ValueError(f"spread must be between 0 and 3, got {self.spread:g}")

    @property
    def title(self) -> str:
        what = f"“{self.prompt}”" if self.prompt.strip() else "no prompt"
        return f"Generate {self.count} × {what} · seed {self.seed}"


@dataclass(frozen=True, eq=False)
class LatentWalkSpec(JobSpec):
    """``steps`` images moving smoothly from image ``a`` to image ``b`` through the generator's latent space."""

    a: ImageBuffer | None = None
    b: ImageBuffer | None = None
    prompt: str = ""
    steps: int = 8
    size: int = 64
    model_id: str = DEFAULT_GENERATOR

    def __post_init__(self) -> None:
        if self.a is None or self.b is None:
            raise ValueError("choose two images to walk between")
        if not 2 <= self.steps <= 64:
            raise ValueError(f"steps must be between 2 and 64, got {self.steps}")
        low, high = SIZE_RANGE
        if not low <= self.size <= high:
            raise ValueError(f"size must be between {low} and {high} pixels, got {self.size}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    @property
    def title(self) -> str:
        return f"Latent walk {self.a.name} → {self.b.name} ({self.steps} steps)"


@dataclass(frozen=True, eq=False)
class GenerateResult:
    images: tuple[ImageBuffer, ...]
    spec: JobSpec  # GenerateSpec or LatentWalkSpec
    device: str
    seconds: float
    used_words: tuple[str, ...] = ()  # prompt words the model knows
    unknown_words: tuple[str, ...] = ()  # prompt words it does not know (reported, never silently dropped)
    notes: tuple[str, ...] = ()

    def grid(self, columns: int | None = None) -> ImageBuffer:
        """All images in one picture, ``columns`` per row (default: about square)."""
        import numpy as np

        n = len(self.images)
        cols = columns or max(1, int(np.ceil(np.sqrt(n))))
        rows = int(np.ceil(n / cols))
        h, w, c = self.images[0].pixels.shape
        out = np.full((rows * h, cols * w, c), 255, np.uint8)
        for i, img in enumerate(self.images):
            r, q = divmod(i, cols)
            out[r * h:(r + 1) * h, q * w:(q + 1) * w] = img.pixels
        return ImageBuffer(out, name=f"grid of {n}")
