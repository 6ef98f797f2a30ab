"""Which dropped files the timeline takes. Images and projects dropped on it are not its own: it leaves those
drops to the window, which opens each file where it belongs (a project as the document, images as layers)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

from genai_studio.core.project import FILE_EXTENSION
from genai_studio.mediaio.images import SUPPORTED_EXTENSIONS as IMAGE_EXTENSIONS


def belongs_elsewhere(path: str) -> bool:
    return path.lower().endswith((FILE_EXTENSION, *IMAGE_EXTENSIONS))


def timeline_paths(mime: QMimeData | None) -> list[str]:
    """The dropped local files, or none when any of them is an image or a project (the whole drop then goes to
    the window, so a mixed drop is not split between two places)."""
    if mime is None or not mime.hasUrls():
        return []
    paths = [str(Path(u.toLocalFile())) for u in mime.urls() if u.isLocalFile()]
    return [] if any(belongs_elsewhere(p) for p in paths) else paths
