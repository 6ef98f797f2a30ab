"""Animated GIFs of image sequences (latent walks), written atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

from genai_studio.core.errors import BadInput
from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio.atomic import write_bytes_atomic


def save_gif(images: list[ImageBuffer], path: str | os.PathLike[str], frame_ms: int = 120,
             bounce: bool = True) -> Path:
    """Frames as a looping GIF; with ``bounce`` it plays there and back again (A → B → A)."""
    from PIL import Image

    if len(images) < 2:
        raise BadInput("an animation needs at least two frames")
    frames = [Image.fromarray(im.to_uint8()[..., :3]) for im in images]
    if bounce and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    p = Path(path)
    write_bytes_atomic(p, buffer.getvalue())
    return p


def save_frames(images: list[ImageBuffer], folder: str | os.PathLike[str], stem: str = "frame",
                provenance: dict | None = None) -> list[Path]:
    """Each image as ``folder/stem-001.png`` … (numbered in order, zero-padded so they sort); returns the paths.
    ``provenance`` (the job that made them) is embedded in every frame, as in any export."""
    from genai_studio.mediaio.images import save_image

    if not images:
        raise BadInput("there are no frames to save")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    digits = max(3, len(str(len(images))))
    paths = []
    for i, image in enumerate(images):
        paths.append(out / f"{stem}-{i + 1:0{digits}d}.png")
        save_image(image, paths[-1], provenance=provenance)
    return paths
