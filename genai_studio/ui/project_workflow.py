"""New / Open / Save / Save As / Recent, the unsaved-changes prompt, autosave and crash recovery.

The window owns one of these. "Dirty" is the shared undo stack not being at its clean index (every
edit and every job result is an undo command), or a document that was recovered or imported and
never saved.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from genai_studio.core.errors import StudioError
from genai_studio.core.project import FILE_EXTENSION, ProjectDoc
from genai_studio.mediaio.project_file import load_project, save_project
from genai_studio.runtime.autosave import AutosaveService, RecoverableSession, find_recoverable
from genai_studio.state.canvas_state import CanvasState
from genai_studio.state.project_binding import apply_document, document_from_state
from genai_studio.state.timeline_state import TimelineState

PROJECT_FILTER = f"GenAI Studio projects (*{FILE_EXTENSION})"


class ProjectWorkflow(QObject):
    title_changed = Signal(str)  # "name.gstudio" or "Untitled"
    error = Signal(str, str)
    status = Signal(str)
    recent_changed = Signal(list)  # list[str], most recent first

    def __init__(self, window: QWidget, canvas: CanvasState, timeline: TimelineState, undo_stack: QUndoStack,
                 autosave_minutes: float = 2.0, recent: list[str] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.canvas, self.timeline, self.undo_stack = canvas, timeline, undo_stack
        self.path = ""
        self._unsaved_document = False  # recovered/loaded content that is not in any saved file yet
        self.recent: list[str] = list(recent or [])
        self.autosave = AutosaveService(self.snapshot, lambda: self.path, autosave_minutes, parent=self)
        self.autosave.failed.connect(lambda message: self.status.emit(message))
        undo_stack.indexChanged.connect(lambda _i: self.autosave.mark_changed())
        undo_stack.cleanChanged.connect(lambda _clean: self.title_changed.emit(self.title))
        # prompts are methods so tests can replace them with answers
        self.ask_save_changes: Callable[[], str] = self._ask_save_changes  # "save" | "discard" | "cancel"
        self.ask_open_path: Callable[[], str] = self._ask_open_path
        self.ask_save_path: Callable[[], str] = self._ask_save_path
        self.ask_recover: Callable[[RecoverableSession], bool] = self._ask_recover

    # ----- state ---------------------------------------------------------------------------------
    @property
    def title(self) -> str:
        return Path(self.path).name if self.path else "Untitled"

    @property
    def is_dirty(self) -> bool:
        return self._unsaved_document or not self.undo_stack.isClean()

    def snapshot(self) -> ProjectDoc:
        return document_from_state(self.canvas, self.timeline, {"saved_at": time.time()})

    # ----- commands ------------------------------------------------------------------------------
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.canvas.replace_all([], None)
        self.timeline.clear()
        self.undo_stack.clear()
        self._set_path("", unsaved=False)
        self.autosave.remove_files()
        self.status.emit("New project")
        return True

    def open_dialog(self) -> bool:
        path = self.ask_open_path()
        return self.open(path) if path else False

    def open(self, path: str | Path) -> bool:
        if not self.maybe_save():
            return False
        try:
            doc = load_project(path)
        except StudioError as exc:
            self.error.emit("Cannot open project", exc.message)
            return False
        apply_document(doc, self.canvas, self.timeline)
        self.undo_stack.setClean()
        self._set_path(str(Path(path).resolve()), unsaved=False)
        self._remember(self.path)
        self.status.emit(f"Opened {self.title}: {len(doc.layers)} layers, {len(doc.timeline.tracks)} tracks")
        return True

    def save(self) -> bool:
        return self.save_as() if not self.path else self._save_to(self.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        if not path:
            return False
        if not path.lower().endswith(FILE_EXTENSION):
            path += FILE_EXTENSION
        return self._save_to(str(Path(path).resolve()))

    def _save_to(self, path: str) -> bool:
        try:
            save_project(self.snapshot(), path)
        except StudioError as exc:
            self.error.emit("Cannot save project", f"{exc.message} Your work is still open; nothing was lost.")
            return False
        self.undo_stack.setClean()
        self._set_path(path, unsaved=False)
        self._remember(path)
        self.autosave.remove_files()
        self.status.emit(f"Saved {self.title}")
        return True

    def maybe_save(self) -> bool:
        """Before replacing or closing the document: True when it is fine to go on."""
        if not self.is_dirty:
            return True
        answer = self.ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    # ----- crash recovery ------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """At startup: offer the newest autosave left by a crashed or killed session. True if recovered.

        Only the session offered is recovered or discarded: older ones (two sessions were killed) stay on disk
        and are offered at the next start, one per start, so no unsaved work is deleted unseen."""
        sessions = find_recoverable(self.autosave.directory)
        if not sessions:
            return False
        newest, older = sessions[0], len(sessions) - 1
        kept = (f"; {older} older unsaved session{'s are' if older > 1 else ' is'} kept and offered at the next "
                "start") if older else ""
        if not self.ask_recover(newest):
            newest.discard()
            if older:
                self.status.emit(f"Discarded the last autosave{kept}")
            return False
        try:
            doc = load_project(newest.project_file)
        except StudioError as exc:
            self.error.emit("Cannot recover the autosave", exc.message)
            return False
        apply_document(doc, self.canvas, self.timeline)
        self._set_path(newest.original_path, unsaved=True)
        newest.discard()
        self.autosave.mark_changed()
        self.autosave.save_now()  # the recovered work is now this session's autosave
        self.status.emit(f"Recovered your unsaved work from the last autosave{kept}")
        return True

    def shutdown(self) -> None:
        self.autosave.discard()

    # ----- internals -----------------------------------------------------------------------------
    def _set_path(self, path: str, unsaved: bool) -> None:
        self.path, self._unsaved_document = path, unsaved
        self.title_changed.emit(self.title)

    def _remember(self, path: str) -> None:
        self.recent = [path] + [p for p in self.recent if p != path][:9]
        self.recent_changed.emit(list(self.recent))

    def _ask_save_changes(self) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to {self.title} before closing it?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self.window)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    def _ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project", str(Path.home()), PROJECT_FILTER)
        return path

    def _ask_save_path(self) -> str:
        start = self.path or str(Path.home() / f"Untitled{FILE_EXTENSION}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project", start, PROJECT_FILTER)
        return path

    def _ask_recover(self, session: RecoverableSession) -> bool:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.saved_at))
        what = Path(session.original_path).name if session.original_path else "an unsaved project"
        answer = QMessageBox.question(
            self.window, "Recover unsaved work?",
            f"GenAI Studio did not close normally. An autosave of {what} from {when} was found.\n\n"
            "Recover it? (Choosing No deletes the autosave.)")
        return answer == QMessageBox.StandardButton.Yes
