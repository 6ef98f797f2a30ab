"""The progress-token protocol between engines and whoever runs them.

An engine calls ``token.report(done, total, preview)`` after each step (tile, diffusion step, bar…);
the call raises :class:`Cancelled` when cancel was requested, so cancellation needs no extra checks.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol

import numpy as np

from genai_studio.core.errors import Cancelled

ProgressCallback = Callable[[float, str, "np.ndarray | None"], None]


class ProgressToken(Protocol):
    def report(self, done: float, total: float, preview: np.ndarray | None = None, message: str = "") -> None: ...

    def check(self) -> None: ...

    def sub(self, start: float, end: float) -> "ProgressToken": ...

    @property
    def cancelled(self) -> bool: ...


class CancelToken:
    """Thread-safe token: fraction in [0, 1] goes to ``on_progress``; previews throttled to ≤ 10/s."""

    PREVIEW_INTERVAL_S = 0.1

    def __init__(self, on_progress: ProgressCallback | None = None) -> None:
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self._last_preview = 0.0
        self.fraction = 0.0

    def set_listener(self, on_progress: ProgressCallback | None) -> None:
        self._on_progress = on_progress

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: float, total: float, preview: np.ndarray | None = None, message: str = "") -> None:
        self.check()
        self._emit(done / total if total > 0 else 0.0, message, preview)

    def _emit(self, fraction: float, message: str, preview: np.ndarray | None) -> None:
        self.fraction = min(1.0, max(0.0, fraction))
        if preview is not None:
            now = time.monotonic()
            if now - self._last_preview < self.PREVIEW_INTERVAL_S:
                preview = None
            else:
                self._last_preview = now
        if self._on_progress is not None:
            self._on_progress(self.fraction, message, preview)

    def sub(self, start: float, end: float) -> "SubToken":
        return SubToken(self, start, end)


class SubToken:
    """Maps a sub-task's 0..1 progress onto [start, end] of its parent (e.g. model loading = 0..0.1)."""

    def __init__(self, parent: "CancelToken | SubToken", start: float, end: float) -> None:
        self._parent = parent
        self._start = start
        self._end = end

    @property
    def cancelled(self) -> bool:
        return self._parent.cancelled

    def check(self) -> None:
        self._parent.check()

    def report(self, done: float, total: float, preview: np.ndarray | None = None, message: str = "") -> None:
        fraction = done / total if total > 0 else 0.0
        self._parent.report(self._start + (self._end - self._start) * fraction, 1.0, preview, message)

    def sub(self, start: float, end: float) -> "SubToken":
        return SubToken(self, start, end)
