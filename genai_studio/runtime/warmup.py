"""Warms the engines on a background thread after the window is shown (see engines/warmup.py)."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from genai_studio.engines import registry

log = logging.getLogger(__name__)


class EngineWarmup(QObject):
    """``finished(device_description, cuda_usable)`` arrives on the GUI thread; ``failed(message)`` if torch is
    unusable."""

    finished = Signal(str, bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self.done = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="engine-warmup", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            description, cuda_usable = registry.call("engines.warmup")
        except Exception as exc:  # noqa: BLE001 - reported, never fatal: jobs will say what is wrong
            log.exception("engine warm-up failed")
            self.done.set()
            self.failed.emit(f"The AI engine could not be loaded: {exc}")
            return
        self.done.set()
        self.finished.emit(description, cuda_usable)
