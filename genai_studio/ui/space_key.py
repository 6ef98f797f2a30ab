"""Space is the window's Play/Stop key, but a focused button, check box, list, tab bar or text field needs it
for itself (press, toggle, select, type). Those widgets claim Space before the shortcut fires; everywhere else
(the canvas, the timeline, the piano roll) it plays."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit,
    QTabBar, QTextEdit,
)

WIDGETS_THAT_USE_SPACE = (QAbstractButton, QAbstractItemView, QTabBar, QLineEdit, QTextEdit, QPlainTextEdit,
                          QAbstractSpinBox, QComboBox)


class SpaceForFocusedControls(QObject):
    """Installed on the application: accepting ShortcutOverride hands the key press to the focused widget."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
                and isinstance(QApplication.focusWidget(), WIDGETS_THAT_USE_SPACE)):
            event.accept()
        return False
