"""The one undo command every document uses: swap between two immutable snapshots.

Documents keep their content in frozen values (tuples of frozen dataclasses sharing their pixel and
sample arrays), so an edit is "before → after" and undo is "after → before", with nothing copied.
"""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from PySide6.QtGui import QUndoCommand

T = TypeVar("T")


class SwapCommand(QUndoCommand, Generic[T]):
    def __init__(self, text: str, apply: Callable[[T], None], before: T, after: T) -> None:
        super().__init__(text)
        self._apply, self._before, self._after = apply, before, after

    def redo(self) -> None:
        self._apply(self._after)

    def undo(self) -> None:
        self._apply(self._before)
