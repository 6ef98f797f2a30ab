"""Background autosave and crash recovery.

Every running app owns ``autosave/session-<pid>.gstudio`` plus a small ``.json`` beside it (which
project it belongs to, when it was saved). A clean quit deletes both; after a crash or a kill they
stay, and the next launch offers to recover them — so at most one autosave interval is lost.

Saving runs on a background thread: the document is an immutable snapshot (see
state/project_binding.py), so the user keeps editing while it is written.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from genai_studio import paths
from genai_studio.core.errors import StudioError
from genai_studio.core.project import ProjectDoc
from genai_studio.mediaio.atomic import write_bytes_atomic
from genai_studio.mediaio.project_file import save_project

log = logging.getLogger(__name__)


def autosave_dir() -> Path:
    return paths.data_dir() / "autosave"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class RecoverableSession:
    project_file: Path  # the autosaved .gstudio
    info_file: Path
    original_path: str  # the project it was autosaving ("" for an unsaved one)
    saved_at: float  # seconds since the epoch

    def discard(self) -> None:
        for f in (self.project_file, self.info_file):
            f.unlink(missing_ok=True)


def find_recoverable(directory: Path | None = None) -> list[RecoverableSession]:
    """Autosaves left by app instances that are no longer running, newest first."""
    directory = directory or autosave_dir()
    found = []
    for info_file in directory.glob("session-*.json"):
        try:
            info = json.loads(info_file.read_text(encoding="utf-8"))
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        project_file = info_file.with_suffix(".gstudio")
        if pid == os.getpid() or _pid_alive(pid) or not project_file.is_file():
            continue
        found.append(RecoverableSession(project_file, info_file, str(info.get("project_path", "")),
                                        float(info.get("saved_at", project_file.stat().st_mtime))))
    return sorted(found, key=lambda s: s.saved_at, reverse=True)


class AutosaveService(QObject):
    """Saves ``snapshot()`` every ``interval_minutes`` when something changed since the last autosave."""

    saved = Signal(str)  # autosave file path
    failed = Signal(str)  # message

    def __init__(self, snapshot: Callable[[], ProjectDoc], project_path: Callable[[], str],
                 interval_minutes: float = 2.0, directory: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self._project_path = project_path
        self.directory = directory or autosave_dir()
        stem = f"session-{os.getpid()}"
        self.project_file = self.directory / f"{stem}.gstudio"
        self.info_file = self.directory / f"{stem}.json"
        self._changed = False
        self.keep_on_exit = False  # set when quitting for the system: the autosave is the recovery copy
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.autosave_if_changed)
        self.set_interval(interval_minutes)

    def set_interval(self, minutes: float) -> None:
        self._timer.stop()
        if minutes > 0:
            self._timer.start(int(minutes * 60_000))

    @property
    def interval_ms(self) -> int:
        return self._timer.interval() if self._timer.isActive() else 0

    def mark_changed(self) -> None:
        self._changed = True

    def autosave_if_changed(self) -> bool:
        return self.save_now(background=True) if self._changed else False

    def save_now(self, background: bool = True) -> bool:
        """Start (or, with background=False, run) an autosave; False when one is already running."""
        if self._thread is not None and self._thread.is_alive():
            return False
        doc, original = self._snapshot(), self._project_path()
        self._changed = False
        if background:
            self._thread = threading.Thread(target=self._write, args=(doc, original), name="autosave", daemon=True)
            self._thread.start()
        else:
            self._write(doc, original)
        return True

    def wait(self, timeout_s: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _write(self, doc: ProjectDoc, original: str) -> None:
        with self._lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                save_project(doc, self.project_file)
                info = {"pid": os.getpid(), "project_path": original, "saved_at": time.time()}
                write_bytes_atomic(self.info_file, json.dumps(info).encode("utf-8"))
            except (StudioError, OSError) as exc:
                self._changed = True  # try again next interval
                message = exc.message if isinstance(exc, StudioError) else str(exc)
                log.warning("autosave failed: %s", message)
                self.failed.emit(f"Autosave failed: {message}")
                return
        log.info("autosaved to %s", self.project_file)
        self.saved.emit(str(self.project_file))

    def remove_files(self) -> None:
        """The work was saved for real: the autosave would only offer a stale copy after a crash."""
        self.wait()
        with self._lock:
            for f in (self.project_file, self.info_file):
                f.unlink(missing_ok=True)

    def discard(self) -> None:
        """Quit: stop autosaving and remove our files (unless they are the recovery copy)."""
        self._timer.stop()
        if self.keep_on_exit:
            self.wait()
            return
        self.remove_files()
