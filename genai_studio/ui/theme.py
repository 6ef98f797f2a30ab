"""The dark theme: Fusion style with a dark palette, so every widget (ours and Qt's dialogs) matches."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

WINDOW = QColor(37, 38, 41)
BASE = QColor(27, 28, 30)
ALT_BASE = QColor(44, 45, 49)
TEXT = QColor(222, 222, 226)
DIM_TEXT = QColor(130, 132, 140)
ACCENT = QColor(88, 146, 255)
ERROR = QColor(255, 107, 107)
BUTTON = QColor(52, 54, 59)

STYLESHEET = """
QToolTip { color: #dedee2; background: #2c2d31; border: 1px solid #4a4c52; }
QDockWidget::title { padding: 4px 6px; background: #2c2d31; }
QProgressBar { border: 1px solid #4a4c52; border-radius: 3px; text-align: center; height: 14px; }
QProgressBar::chunk { background: #5892ff; border-radius: 2px; }
QLabel[role="error"] { color: #ff6b6b; }
QLabel[role="dim"] { color: #82848c; }
QLabel[role="heading"] { font-weight: bold; }
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, WINDOW)
    p.setColor(QPalette.ColorRole.WindowText, TEXT)
    p.setColor(QPalette.ColorRole.Base, BASE)
    p.setColor(QPalette.ColorRole.AlternateBase, ALT_BASE)
    p.setColor(QPalette.ColorRole.ToolTipBase, ALT_BASE)
    p.setColor(QPalette.ColorRole.ToolTipText, TEXT)
    p.setColor(QPalette.ColorRole.PlaceholderText, DIM_TEXT)
    p.setColor(QPalette.ColorRole.Text, TEXT)
    p.setColor(QPalette.ColorRole.Button, BUTTON)
    p.setColor(QPalette.ColorRole.ButtonText, TEXT)
    p.setColor(QPalette.ColorRole.BrightText, ERROR)
    p.setColor(QPalette.ColorRole.Link, ACCENT)
    p.setColor(QPalette.ColorRole.Highlight, ACCENT)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, DIM_TEXT)
    app.setPalette(p)
    app.setStyleSheet(STYLESHEET)
