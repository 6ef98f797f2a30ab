"""Style-transfer job spec: the typed contract between the Style panel, the CLI and the style engine.

Two ways to give a style: one of the 26 named painting styles of the bundled multi-style network, or any
picture (``style_image``) for the arbitrary-style network. The names are ours: the upstream network ships its
styles as indices 0–25 only, so each name describes what that style does to a photo (colours, strokes). The
same list is in the model manifest ``style-multistyle26.json`` (``defaults.styles``), in index order.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np

from genai_studio.core.jobs import DEVICES, JobSpec
from genai_studio.core.media import ImageBuffer
from genai_studio.core.restore_jobs import check_mask

# Index i of this tuple is channel i of the network's 26-way style-weights input.
STYLE_NAMES: tuple[str, ...] = (
    "soft-pastel", "yellow-poster", "pale-ink", "abstract-ribbons", "crimson-wash", "ember",
    "indigo-mosaic", "bold-primaries", "pencil-sketch", "folk-pattern", "terracotta", "golden-etching",
    "lavender-haze", "acid-expressionist", "ice-blue", "stained-glass", "windswept", "brick-grid",
    "sepia-engraving", "starry-swirls", "scarlet", "paper-cutout", "slate-gouache", "olive-oil",
    "blue-linocut", "night-mosaic",
)
DEFAULT_STYLE = "starry-swirls"
MIN_SIDE = 16  # px: smaller images have too little room for a single brush stroke of the networks
MAX_SIDE_RANGE = (64, 4096)  # working resolution of the network (longer side, px)


def style_index(name: str) -> int:
    """Index of a style given by name (case, spaces and underscores ignored) or by its number 0–25.

    ValueError names a few valid styles when the name is unknown.
    """
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    if key.isdigit() and int(key) < len(STYLE_NAMES):
        return int(key)
    if key in STYLE_NAMES:
        return STYLE_NAMES.index(key)
    close = [s for s in STYLE_NAMES if key and key in s] or difflib.get_close_matches(key, STYLE_NAMES, 3, 0.6)
    guess = f" (did you mean {' or '.join(close[:3])}?)" if close else ""
    raise ValueError(f"unknown style {name!r}{guess}; valid styles include {', '.join(STYLE_NAMES[:5])} … "
                     f"({len(STYLE_NAMES)} in all; `genai-studio style --list` shows them)")


@dataclass(frozen=True, eq=False)
class StyleSpec(JobSpec):
    """Stylize ``image`` with a named style or with the style of ``style_image`` (exactly one of the two)."""

    image: ImageBuffer | None = None
    style: str = ""  # one of STYLE_NAMES (or its index as text); "" when style_image is given
    style_image: ImageBuffer | None = None
    strength: float = 1.0  # 0 = the input exactly … 1 = fully stylized (a blend with the content)
    preserve_colors: bool = False  # keep the content's colours: only the stylized luminance is used
    # (H, W) uint8, 255 = stylize here (feathered at the edge); None = the whole image
    mask: np.ndarray | None = None
    max_side: int = 1024  # the named-style network works at most at this many pixels on the longer side

    def __post_init__(self) -> None:
        if self.image is None:
            raise ValueError("open an image to stylize")
        if min(self.image.width, self.image.height) < MIN_SIDE:
            raise ValueError(f"the image is {self.image.width}×{self.image.height}; style transfer needs at "
                             f"least {MIN_SIDE} pixels on each side")
        if bool(self.style) == (self.style_image is not None):
            raise ValueError("choose either a named style or a style image (exactly one)")
        if self.style:
            style_index(self.style)
        elif min(self.style_image.width, self.style_image.height) < MIN_SIDE:
            raise ValueError(f"the style image is {self.style_image.width}×{self.style_image.height}; it needs at "
                             f"least {MIN_SIDE} pixels on each side")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"strength must be between 0 and 1, got {self.strength:g}")
        low, high = MAX_SIDE_RANGE
        if not low <= self.max_side <= high:
            raise ValueError(f"max side must be between {low} and {high} pixels, got {self.max_side}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.mask is not None:
            check_mask(self.mask, self.image)

    @property
    def style_label(self) -> str:
        if self.style_image is not None:
            return f"style of {self.style_image.name}"
        return STYLE_NAMES[style_index(self.style)]

    @property
    def title(self) -> str:
        where = " in mask" if self.mask is not None else ""
        return f"Style {self.style_label}{where} · {self.image.name}"

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.mask is not None:
            out["mask"] = {"mask": "layer", "covered": round(float((self.mask > 127).mean()), 4)}
        return out
