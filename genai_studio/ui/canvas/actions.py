"""The canvas pane's QActions, with standard shortcuts, for the main window's menus and toolbars."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle

if TYPE_CHECKING:
    from genai_studio.ui.canvas.pane import CanvasPane

StandardKey = QKeySequence.StandardKey


def build_actions(pane: CanvasPane) -> dict[str, QAction]:
    """Actions keyed by name: open, export, paste, zoom_in, zoom_out, fit, actual_size, compare, mask_tool,
    undo, redo.

    Shortcuts that other panes also use (zoom, paste, undo) are *local*: they fire only while focus is in
    the canvas pane, so the timeline's actions with the same keys never make a shortcut ambiguous.
    """
    style = pane.style()
    actions: dict[str, QAction] = {}

    def make(
        key: str,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | StandardKey | str | None,
        tip: str,
        local: bool = False,
        icon: QStyle.StandardPixmap | None = None,
    ) -> QAction:
        action = QAction(text, pane)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if local:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        if icon is not None:
            action.setIcon(style.standardIcon(icon))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        actions[key] = action
        return action

    make("open", "&Open Image…", pane.open_dialog, StandardKey.Open, "Open one or more images",
         icon=QStyle.StandardPixmap.SP_DialogOpenButton)
    make("export", "&Export Layer…", pane.export_dialog, "Ctrl+Shift+E", "Save the selected layer as an image file",
         icon=QStyle.StandardPixmap.SP_DialogSaveButton)
    make("paste", "&Paste Image", pane.paste_from_clipboard, StandardKey.Paste,
         "Paste an image or image files from the clipboard", local=True)
    make("zoom_in", "Zoom &In", pane.zoom_in, StandardKey.ZoomIn, "Zoom in", local=True)
    make("zoom_out", "Zoom &Out", pane.zoom_out, StandardKey.ZoomOut, "Zoom out", local=True)
    make("fit", "&Fit to Window", pane.fit, "Ctrl+0", "Show the whole image", local=True)
    make("actual_size", "&Actual Pixels (1:1)", pane.actual_size, "Ctrl+1", "One image pixel per screen pixel",
         local=True)

    compare = QAction("&Compare Before/After", pane)
    compare.setCheckable(True)
    compare.setShortcut(QKeySequence(Qt.Key.Key_Backslash))
    # window-wide like their menu entries say (no other pane uses \ or M; text fields keep typed letters)
    compare.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    compare.setToolTip("Split view: the source on the left, the result on the right (drag the divider)")
    compare.setStatusTip(compare.toolTip())
    compare.toggled.connect(pane.set_compare)
    actions["compare"] = compare

    mask_tool = QAction("&Mask Tool", pane)
    mask_tool.setCheckable(True)
    mask_tool.setShortcut(QKeySequence(Qt.Key.Key_M))
    mask_tool.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    mask_tool.setToolTip("Paint a mask on the image: where restoration or filling applies (M)")
    mask_tool.setStatusTip(mask_tool.toolTip())
    mask_tool.toggled.connect(pane.set_mask_tool)
    actions["mask_tool"] = mask_tool

    undo = pane.state.undo_stack.createUndoAction(pane, "&Undo")
    undo.setShortcut(QKeySequence(StandardKey.Undo))
    redo = pane.state.undo_stack.createRedoAction(pane, "&Redo")
    redo.setShortcut(QKeySequence(StandardKey.Redo))
    for action in (undo, redo):
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    actions["undo"], actions["redo"] = undo, redo

    for action in actions.values():
        pane.addAction(action)  # shortcuts work even before the main window puts them in menus
    return actions
