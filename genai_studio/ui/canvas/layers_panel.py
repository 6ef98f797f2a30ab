"""The layer list beside the canvas: top layer first, checkbox = visible, double-click = rename."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genai_studio.core.media import ImageBuffer
from genai_studio.state.canvas_state import CanvasState, Layer
from genai_studio.ui.canvas.qimage import thumbnail

THUMB_PX = 40
_ID_ROLE = Qt.ItemDataRole.UserRole
_KIND_LABEL = {"image": "", "result": "result", "mask": "mask"}


class LayersPanel(QWidget):
    """A QListWidget mirroring ``state.layers``; every user edit goes through the state (so it is undoable)."""

    delete_requested = Signal(int)  # layer id; the pane decides (it may want to confirm or report)

    def __init__(self, state: CanvasState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._icons: dict[int, tuple[ImageBuffer, QIcon]] = {}
        self._syncing = False  # True while we rebuild the list, so our own changes are not echoed back

        self.list = QListWidget(self)
        self.list.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.list.setToolTip("Tick to show a layer, double-click to rename it")

        style = self.style()
        self.delete_button = self._button(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon), "Delete layer")
        self.up_button = self._button(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp), "Move layer up")
        self.down_button = self._button(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Move layer down")
        self.delete_button.clicked.connect(self._delete_active)
        self.up_button.clicked.connect(lambda: self._move_active(+1))
        self.down_button.clicked.connect(lambda: self._move_active(-1))

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        self.list.currentItemChanged.connect(self._on_current_changed)
        self.list.itemChanged.connect(self._on_item_changed)
        state.layers_changed.connect(self.refresh)
        state.active_changed.connect(lambda _id: self._select_active())
        self.refresh()

    def _button(self, icon: QIcon, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(icon)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    # -------------------------------------------------------------------------------------- sync

    def refresh(self) -> None:
        """Rebuild the rows from the state (a canvas has few layers, so rebuilding is cheap)."""
        self._syncing = True
        try:
            layers = list(reversed(self._state.layers))  # top of the stack is shown first
            shown = [self.list.item(row).data(_ID_ROLE) for row in range(self.list.count())]
            if shown == [layer.id for layer in layers]:
                # Same rows: update in place. This runs inside itemChanged for visibility/rename edits,
                # where deleting the item that emitted the signal would be unsafe.
                for row, layer in enumerate(layers):
                    self._fill_item(self.list.item(row), layer)
            else:
                self.list.clear()
                for layer in layers:
                    item = QListWidgetItem()
                    item.setData(_ID_ROLE, layer.id)
                    self._fill_item(item, layer)
                    self.list.addItem(item)
            live = {layer.id for layer in layers}
            self._icons = {k: v for k, v in self._icons.items() if k in live}
        finally:
            self._syncing = False
        self._select_active()
        self._update_buttons()

    def _fill_item(self, item: QListWidgetItem, layer: Layer) -> None:
        item.setIcon(self._icon(layer))
        item.setText(layer.name)
        item.setFlags(
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemIsEditable
        )
        item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
        image = layer.image
        kind = _KIND_LABEL.get(layer.kind, layer.kind)
        details = f"{image.width}×{image.height}, {image.bit_depth}-bit{', alpha' if image.has_alpha else ''}"
        item.setToolTip(f"{layer.name}\n{kind + ' · ' if kind else ''}{details}")

    def _icon(self, layer: Layer) -> QIcon:
        cached = self._icons.get(layer.id)
        if cached is None or cached[0] is not layer.image:
            cached = (layer.image, QIcon(QPixmap.fromImage(thumbnail(layer.image, THUMB_PX))))
            self._icons[layer.id] = cached
        return cached[1]

    def _select_active(self) -> None:
        active = self._state.active_id
        self._syncing = True
        try:
            for row in range(self.list.count()):
                item = self.list.item(row)
                if item.data(_ID_ROLE) == active:
                    self.list.setCurrentItem(item)
                    break
            else:
                self.list.setCurrentRow(-1)
        finally:
            self._syncing = False
        self._update_buttons()

    def _update_buttons(self) -> None:
        active = self._state.active_id
        layers = self._state.layers
        index = self._state.index_of(active) if active is not None else -1
        self.delete_button.setEnabled(active is not None)
        self.up_button.setEnabled(0 <= index < len(layers) - 1)
        self.down_button.setEnabled(index > 0)

    # -------------------------------------------------------------------------------- user edits

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if self._syncing or current is None:
            return
        self._state.set_active(current.data(_ID_ROLE))
        self._update_buttons()

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._syncing:
            return
        layer_id = item.data(_ID_ROLE)
        if not self._state.has_layer(layer_id):
            return
        layer = self._state.layer(layer_id)
        visible = item.checkState() == Qt.CheckState.Checked
        if visible != layer.visible:
            self._state.set_visible(layer_id, visible)
        elif item.text() != layer.name:
            if item.text().strip():
                self._state.rename_layer(layer_id, item.text())
            else:
                self.refresh()  # an empty name is refused: show the old one again

    def _delete_active(self) -> None:
        if self._state.active_id is not None:
            self.delete_requested.emit(self._state.active_id)

    def _move_active(self, delta: int) -> None:
        active = self._state.active_id
        if active is not None:
            self._state.move_layer(active, self._state.index_of(active) + delta)
