"""A searchable chooser of the 128 General MIDI instruments, grouped under their 16 family headings.

The drop-down lists every family as a bold heading that cannot be chosen, followed by its eight
instruments. Typing filters by any part of an instrument's or its family's name ("viol", "brass") in a
completion pop-up. Only a user's choice emits ``program_chosen``; :meth:`set_program` shows a value quietly.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from genai_studio.core.gm_instruments import (
    FAMILIES, INSTRUMENTS, display_number, family_of, family_programs, program_of,
)

PROGRAM_ROLE = Qt.ItemDataRole.UserRole + 1  # the GM program (0..127) of an instrument row; None on headings
_SEPARATOR = " — "  # between an instrument and its family in the completion list


def completion_text(program: int) -> str:
    """'Violin — Strings': what the search pop-up lists, so a family name finds its instruments too."""
    return f"{INSTRUMENTS[program]}{_SEPARATOR}{family_of(program)}"


class InstrumentCombo(QComboBox):
    program_chosen = Signal(int)  # GM program the user picked (from the list, the search, or typed + Enter)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # typing searches; it never adds an instrument
        self.setMaxVisibleItems(24)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(18)
        self.setToolTip("General MIDI instrument of this clip (type to search, e.g. “violin” or “brass”)")
        self._rows: dict[int, int] = {}  # program → row in the model
        self.setModel(self._build_model())
        # The searcher lists instruments only (no headings), each with its family, matching anywhere.
        self.searcher = QCompleter(QStringListModel([completion_text(p) for p in range(len(INSTRUMENTS))], self),
                                   self)
        self.searcher.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.searcher.setFilterMode(Qt.MatchFlag.MatchContains)
        self.searcher.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.searcher.setMaxVisibleItems(16)
        # Attached to the line edit directly: QComboBox.setCompleter would map choices onto its own model rows.
        self.lineEdit().setCompleter(self.searcher)
        self.searcher.activated[str].connect(self._on_search_chosen)
        self.activated.connect(self._on_row_chosen)
        self.lineEdit().editingFinished.connect(self._on_editing_finished)
        self._program = 0
        self.set_program(0)

    # ----- public -------------------------------------------------------------------------------------
    @property
    def program(self) -> int:
        return self._program

    def set_program(self, program: int) -> None:
        """Show ``program`` without emitting ``program_chosen``."""
        self._program = int(program)
        with QSignalBlocker(self):
            self.setCurrentIndex(self._rows[self._program])
        self.lineEdit().setText(INSTRUMENTS[self._program])  # also when a search left other text there
        self.setToolTip(f"{INSTRUMENTS[self._program]} ({family_of(self._program)}, GM program "
                        f"{display_number(self._program)}): type to search, e.g. “violin” or “brass”")

    def choose(self, program: int) -> None:
        """Act as if the user picked ``program``; picking the instrument already shown emits nothing (Enter
        reaches both the combo and the line edit, and must not make two edits)."""
        changed = int(program) != self._program
        self.set_program(program)
        if changed:
            self.program_chosen.emit(self._program)

    # ----- construction -------------------------------------------------------------------------------
    def _build_model(self) -> QStandardItemModel:
        model = QStandardItemModel(self)
        bold = QFont(self.font())
        bold.setBold(True)
        for family in FAMILIES:
            heading = QStandardItem(family)
            heading.setFlags(Qt.ItemFlag.NoItemFlags)  # neither selectable nor enabled: a label
            heading.setFont(bold)
            model.appendRow(heading)
            for program in family_programs(family):
                item = QStandardItem(INSTRUMENTS[program])
                item.setData(program, PROGRAM_ROLE)
                item.setToolTip(f"GM program {display_number(program)}")
                self._rows[program] = model.rowCount()
                model.appendRow(item)
        return model

    # ----- user choices -------------------------------------------------------------------------------
    def _on_row_chosen(self, row: int) -> None:
        program = self.itemData(row, PROGRAM_ROLE)
        if program is None:  # a heading matched what was typed: keep the instrument we had
            self.set_program(self._program)
        else:
            self.choose(int(program))

    def _on_search_chosen(self, text: str) -> None:
        program = _program_in(text)
        if program is not None:
            self.choose(program)
        # The line edit writes the search result ("Viola — Strings") into itself after this slot: show the
        # plain name once it is done.
        QTimer.singleShot(0, self, lambda: self.set_program(self._program))  # self: not after deletion

    def _on_editing_finished(self) -> None:
        """Enter or focus out: an exact instrument name is chosen; anything else reverts to the current one."""
        popup = self.searcher.popup()
        if popup.isVisible() and popup.selectionModel().isSelected(popup.currentIndex()):
            # Enter on a highlighted search result: the line edit hears it first, then the completer emits
            # `activated` for that row. Resetting the text now would re-filter the list under it.
            return
        program = _program_in(self.lineEdit().text())
        if program is not None and program != self._program:
            self.choose(program)
        elif self.lineEdit().text() != INSTRUMENTS[self._program]:
            self.set_program(self._program)


def _program_in(text: str) -> int | None:
    """The program named by an instrument name or a search result ('Viola — Strings'), or None."""
    return program_of(text.split(_SEPARATOR)[0])
