"""Dark and light themes: Fusion style with a full palette, so every widget (ours and Qt's dialogs) matches.

Widgets take their colours from the application palette, so switching theme at run time repaints them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEME_NAMES = ("dark", "light")


@dataclass(frozen=True)
class ThemeColors:
    window: QColor
    base: QColor  # text fields, lists
    alt_base: QColor
    text: QColor
    dim_text: QColor  # placeholders, disabled text, secondary labels
    accent: QColor  # selection, links, progress
    error: QColor
    button: QColor
    border: QColor  # tooltips, progress bar frames


DARK = ThemeColors(
    window=QColor(37, 38, 41), base=QColor(27, 28, 30), alt_base=QColor(44, 45, 49), text=QColor(222, 222, 226),
    dim_text=QColor(130, 132, 140), accent=QColor(88, 146, 255), error=QColor(255, 107, 107),
    button=QColor(52, 54, 59), border=QColor(74, 76, 82),
)
LIGHT = ThemeColors(
    window=QColor(239, 239, 242), base=QColor(255, 255, 255), alt_base=QColor(246, 246, 249),
    text=QColor(30, 31, 34), dim_text=QColor(118, 120, 128), accent=QColor(38, 110, 230),
    error=QColor(200, 40, 40), button=QColor(228, 229, 233), border=QColor(190, 192, 198),
)
THEMES = {"dark": DARK, "light": LIGHT}

# The dark colours under their original names: other modules and older code import these.
WINDOW, BASE, ALT_BASE, TEXT = DARK.window, DARK.base, DARK.alt_base, DARK.text
DIM_TEXT, ACCENT, ERROR, BUTTON = DARK.dim_text, DARK.accent, DARK.error, DARK.button

_STYLESHEET_TEMPLATE = """
QToolTip {{ color: {text}; background: {alt_base}; border: 1px solid {border}; }}
QDockWidget::title {{ padding: 4px 6px; background: {alt_base}; }}
QProgressBar {{ border: 1px solid {border}; border-radius: 3px; text-align: center; height: 14px; }}
QProgressBar::chunk {{ background: {accent}; border-radius: 2px; }}
QLabel[role="error"] {{ color: {error}; }}
QLabel[role="dim"] {{ color: {dim_text}; }}
QLabel[role="heading"] {{ font-weight: bold; }}
"""


def stylesheet(colors: ThemeColors) -> str:
    """The app style sheet for ``colors``: only what the palette cannot say (tooltips, docks, roles)."""
    names = ("text", "alt_base", "border", "accent", "error", "dim_text")
    return _STYLESHEET_TEMPLATE.format(**{n: getattr(colors, n).name() for n in names})


STYLESHEET = stylesheet(DARK)


def palette(colors: ThemeColors) -> QPalette:
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, colors.window)
    p.setColor(QPalette.ColorRole.WindowText, colors.text)
    p.setColor(QPalette.ColorRole.Base, colors.base)
    p.setColor(QPalette.ColorRole.AlternateBase, colors.alt_base)
    p.setColor(QPalette.ColorRole.ToolTipBase, colors.alt_base)
    p.setColor(QPalette.ColorRole.ToolTipText, colors.text)
    p.setColor(QPalette.ColorRole.PlaceholderText, colors.dim_text)
    p.setColor(QPalette.ColorRole.Text, colors.text)
    p.setColor(QPalette.ColorRole.Button, colors.button)
    p.setColor(QPalette.ColorRole.ButtonText, colors.text)
    p.setColor(QPalette.ColorRole.BrightText, colors.error)
    p.setColor(QPalette.ColorRole.Link, colors.accent)
    p.setColor(QPalette.ColorRole.Highlight, colors.accent)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, colors.dim_text)
    return p


def apply_theme(app: QApplication, name: str) -> str:
    """Apply the "dark" or "light" theme to the whole app; an unknown name gets the dark theme.

    Returns the name actually applied.
    """
    name = name if name in THEMES else "dark"
    colors = THEMES[name]
    app.setStyle("Fusion")
    app.setPalette(palette(colors))
    app.setStyleSheet(stylesheet(colors))
    app.setProperty("genai_studio_theme", name)  # lets widgets that paint by hand ask which theme is on
    return name


def current_theme(app: QApplication) -> str:
    """The theme last applied with apply_theme ("dark" when none was)."""
    name = app.property("genai_studio_theme")
    return name if name in THEMES else "dark"


def apply_dark_theme(app: QApplication) -> None:
    apply_theme(app, "dark")
