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
