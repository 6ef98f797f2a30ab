"""What an image drop or paste carries: local files, encoded image bytes, or a decoded QImage."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QImage

from genai_studio.core.errors import BadInput
from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio.images import decode_image_bytes
from genai_studio.ui.canvas.qimage import from_qimage

# Encoded formats tried before Qt's decoded image: decoding the bytes ourselves keeps 16-bit data.
_ENCODED_TYPES = ("image/png", "image/tiff", "image/webp", "image/jpeg", "image/bmp")


def local_files(mime: QMimeData | None) -> list[Path]:
    """Local file paths among the URLs (remote URLs are ignored: the app never downloads)."""
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def has_image_content(mime: QMimeData | None) -> bool:
    if mime is None:
        return False
    return bool(local_files(mime)) or mime.hasImage() or any(mime.hasFormat(t) for t in _ENCODED_TYPES)


def image_from_mime(mime: QMimeData | None, name: str) -> ImageBuffer | None:
    """The image data in ``mime``, or None when it has none. Raises BadInput for undecodable data."""
    if mime is None:
        return None
    problem: BadInput | None = None
    for mime_type in _ENCODED_TYPES:
        if mime.hasFormat(mime_type):
            data = bytes(mime.data(mime_type).data())
            if data:
                try:
                    return decode_image_bytes(data, name)
                except BadInput as exc:
                    problem = exc  # another representation may still be usable
    if mime.hasImage():
        qimage = mime.imageData()
        if isinstance(qimage, QImage) and not qimage.isNull():
            return from_qimage(qimage, name)
    if problem is not None:
        raise problem
    return None
