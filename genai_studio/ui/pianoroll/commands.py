"""The piano roll's note commands (delete, copy/cut/paste, select all, transpose, nudge, quantize,
velocity) and the keys that run them, mixed into PianoRollView.

Each command is one ``_commit`` (one undo step). The mixin relies on the view's notes, selection, grid,
snap, scale lock, clipboard and timeline.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

from genai_studio.ui.pianoroll import editing
from genai_studio.ui.pianoroll.gestures import Snap


class NoteCommands:
    def delete_selected(self) -> None:
        if self._selection:
            count = len(self._selection)
            self._commit(editing.delete(self._known_notes, self._selection), _n("Delete", count), frozenset())

    def copy(self) -> None:
        if self._selection:
            self._clipboard = editing.copy(self._known_notes, self._selection)
            self.status.emit(f"Copied {_n('', len(self._clipboard)).strip()}.")

    def cut(self) -> None:
        if self._selection:
            self._clipboard = editing.copy(self._known_notes, self._selection)
            self._commit(editing.delete(self._known_notes, self._selection), _n("Cut", len(self._selection)),
                         frozenset())

    def paste(self) -> None:
        """Paste after the selection, or at the playhead when nothing is selected; the pasted notes are
        selected, so pasting again continues the run."""
        clip = self.clip()
        if clip is None or not self._clipboard:
            self.status.emit("Nothing to paste: copy some notes first.")
            return
        if self._selection:
            at = editing.selection_end(self._known_notes, self._selection)
        else:
            at = Snap(self.grid, self.snap).floor(max(0.0, clip.beat_at(self._timeline.playhead_s)))
        notes, pasted = editing.paste(self._known_notes, self._clipboard, at)
        self._commit(notes, _n("Paste", len(pasted)), pasted)

    def select_all(self) -> None:
        self._set_selection(frozenset(range(len(self._known_notes))))

    def transpose(self, semitones: int) -> None:
        if self._selection and semitones:
            key = self.key() if self.scale_lock else None
            notes = editing.transpose(self._known_notes, self._selection, semitones, key)
            self._commit(notes, f"Transpose {semitones:+d}", self._selection)

    def nudge(self, steps: int) -> None:
        """Move the selection by ``steps`` grid steps in time."""
        if self._selection and steps:
            self._commit(editing.move(self._known_notes, self._selection, steps * self.grid, 0), "Nudge notes",
                         self._selection)

    def quantize(self, strength: float = 1.0) -> None:
        """Quantize the selected notes' starts (all notes when none is selected), ``strength`` 0..1."""
        sel = self._selection or frozenset(range(len(self._known_notes)))
        if sel:
            notes = editing.quantize(self._known_notes, sel, self.grid, strength)
            self._commit(notes, f"Quantize {round(strength * 100)}%", self._selection)

    def set_velocity(self, velocity: int) -> None:
        """Velocity of the selected notes; with none selected, of the notes drawn from now on."""
        if not self._selection:
            self.new_velocity = min(127, max(1, int(velocity)))
            return
        self._commit(editing.set_velocity(self._known_notes, self._selection, velocity), "Note velocity",
                     self._selection)

    def _key_command(self, event: QKeyEvent) -> Callable[[], None] | None:
        """The edit a key press asks for, or None. Shared by keyPressEvent and ShortcutOverride, so while the
        roll has focus these keys edit notes even if another pane has a window-wide shortcut on them."""
        standard = {QKeySequence.StandardKey.Copy: self.copy, QKeySequence.StandardKey.Cut: self.cut,
                    QKeySequence.StandardKey.Paste: self.paste, QKeySequence.StandardKey.SelectAll: self.select_all}
        for sequence, command in standard.items():
            if event.matches(sequence):
                return command
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = event.key()
        if mods == Qt.KeyboardModifier.NoModifier and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            return self.delete_selected
        if mods == Qt.KeyboardModifier.NoModifier and key == Qt.Key.Key_Escape:
            return lambda: self._set_selection(frozenset())
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and mods in (Qt.KeyboardModifier.NoModifier,
                                                                Qt.KeyboardModifier.ShiftModifier):
            step = 12 if mods == Qt.KeyboardModifier.ShiftModifier else 1
            return lambda: self.transpose(step if key == Qt.Key.Key_Up else -step)
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and mods == Qt.KeyboardModifier.NoModifier:
            return lambda: self.nudge(1 if key == Qt.Key.Key_Right else -1)
        return None


def _n(verb: str, count: int) -> str:
    return f"{verb} {count} note" + ("" if count == 1 else "s")
