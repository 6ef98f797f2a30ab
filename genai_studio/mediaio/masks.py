"""Reading a mask from a picture: (H, W) uint8, 255 = work here. Shared by the CLI and the mask editor."""

from __future__ import annotations

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.media import ImageBuffer

MASK_SOURCES = ("auto", "alpha", "luminance")


def luminance(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3+) uint8 → (H, W) uint8, Rec. 601 weights."""
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.rint(rgb[..., :3].astype(np.float32) @ weights), 0, 255).astype(np.uint8)


def mask_from_image(image: ImageBuffer, size: tuple[int, int], source: str = "auto",
                    target_name: str = "the image") -> np.ndarray:
    """(H, W) uint8 from a picture: ``source`` "alpha", "luminance" or "auto".

    "auto" takes the alpha channel when the picture has a non-opaque one (a cut-out), else luminance
    (white = apply). ``size`` is the (width, height) the mask must have; other sizes are refused, since
    resizing would silently move the masked area.
    """
    if source not in MASK_SOURCES:
        raise ValueError(f"source must be auto, alpha or luminance, got {source!r}")
    if (image.width, image.height) != tuple(size):
        raise BadInput(f"The mask image {image.name} is {image.width}×{image.height} but {target_name} is "
                       f"{size[0]}×{size[1]}; they must be the same size.")
    pixels = image.to_uint8()
    if source == "alpha" and not image.has_alpha:
        raise BadInput(f"The mask image {image.name} has no alpha channel; import it by luminance instead.")
    use_alpha = source == "alpha" or (source == "auto" and image.has_alpha and bool((pixels[..., 3] < 255).any()))
    return np.ascontiguousarray(pixels[..., 3]) if use_alpha else luminance(pixels)
