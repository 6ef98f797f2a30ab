"""The effects chain of one track: add, remove, reorder, bypass and edit effects.

Every change goes straight to the TimelineState as one undoable edit, so the result is heard at once (the
timeline re-mixes during playback) and Edit ▸ Undo takes it back; the dialog follows the state, so an undo
while it is open shows up here too. The dialog is modeless.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget,
    QListWidgetItem, QMenu, QPushButton, QVBoxLayout, QWidget,
)

from genai_studio.dsp.effects import EFFECT_KINDS, EffectSpec, ParamSpec
from genai_studio.state.timeline_state import TimelineState


class TrackEffectsDialog(QDialog):
    def __init__(self, state: TimelineState, track_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.track_id = track_id
        self.setMinimumSize(520, 300)
        self._form_for: tuple[int, str] | None = None  # (row, kind) the parameter form was built for
        self.spins: dict[str, QDoubleSpinBox] = {}

        self.list = QListWidget(self)
        self.list.setToolTip("Effects run top to bottom. Untick one to bypass it.")
        self.add_button = QPushButton("Add", self)
        add_menu = QMenu(self.add_button)
        for kind, spec in EFFECT_KINDS.items():
            add_menu.addAction(spec.label).triggered.connect(lambda _checked=False, k=kind: self.add_effect(k))
        self.add_button.setMenu(add_menu)
        self.remove_button = QPushButton("Remove", self)
        self.up_button = QPushButton("Up", self)
        self.down_button = QPushButton("Down", self)
        self.remove_button.clicked.connect(lambda: self.remove_effect(self.list.currentRow()))
        self.up_button.clicked.connect(lambda: self.move_effect(self.list.currentRow(), -1))
        self.down_button.clicked.connect(lambda: self.move_effect(self.list.currentRow(), 1))
        self.params_box = QGroupBox("Settings", self)
        self.form = QFormLayout(self.params_box)
        self.empty_hint = QLabel("Add an effect: reverb, echo, EQ, filters, compressor or gain.", self)
        self.empty_hint.setWordWrap(True)

        buttons = QVBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.empty_hint)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(buttons)
        body.addWidget(self.params_box, 3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(close)

        self.list.currentRowChanged.connect(lambda _row: self._sync_form())
        self.list.itemChanged.connect(self._on_item_changed)
        state.changed.connect(self.sync)
        self.sync()
        if self.list.count():
            self.list.setCurrentRow(0)

    # ----- reading --------------------------------------------------------------------------------------
    @property
    def chain(self) -> tuple[EffectSpec, ...]:
        return self._state.track(self.track_id).effects

    def _track_name(self) -> str:
        return self._state.track(self.track_id).name

    # ----- edits (each one undo step) -------------------------------------------------------------------
    def add_effect(self, kind: str) -> None:
        effect = EffectSpec(kind)
        self._commit(self.chain + (effect,), f"Add {effect.label} to {self._track_name()}")
        self.list.setCurrentRow(len(self.chain) - 1)

    def remove_effect(self, row: int) -> None:
        chain = self.chain
        if 0 <= row < len(chain):
            self._commit(chain[:row] + chain[row + 1:], f"Remove {chain[row].label} from {self._track_name()}")
            self.list.setCurrentRow(min(row, len(self.chain) - 1))

    def move_effect(self, row: int, delta: int) -> None:
        chain = list(self.chain)
        to = row + delta
        if 0 <= row < len(chain) and 0 <= to < len(chain):
            chain[row], chain[to] = chain[to], chain[row]
            self._commit(tuple(chain), f"Move {chain[to].label} {'up' if delta < 0 else 'down'}")
            self.list.setCurrentRow(to)

    def set_enabled(self, row: int, enabled: bool) -> None:
        chain = list(self.chain)
        if 0 <= row < len(chain) and chain[row].enabled != enabled:
            chain[row] = chain[row].with_enabled(enabled)
            self._commit(tuple(chain), f"{'Enable' if enabled else 'Bypass'} {chain[row].label}")

    def set_param(self, row: int, name: str, value: float) -> None:
        chain = list(self.chain)
        if 0 <= row < len(chain) and chain[row].value(name) != value:
            effect = chain[row]
            chain[row] = effect.with_values(**{name: value})
            label = next(p.label for p in EFFECT_KINDS[effect.kind].params if p.name == name)
            self._commit(tuple(chain), f"{effect.label} {label.lower()} {value:g}")

    def _commit(self, chain: tuple[EffectSpec, ...], text: str) -> None:
        self._state.set_track_effects(self.track_id, chain, text)

    # ----- following the state --------------------------------------------------------------------------
    def sync(self) -> None:
        """Show the track's chain as the state holds it (after any edit, undo or redo)."""
        try:
            chain = self.chain
        except KeyError:  # the track was removed (or its creation undone)
            self.close()
            return
        self.setWindowTitle(f"Effects — {self._track_name()}")
        row = self.list.currentRow()
        with QSignalBlocker(self.list):
            while self.list.count() > len(chain):
                self.list.takeItem(self.list.count() - 1)
            for i, effect in enumerate(chain):
                item = self.list.item(i)
                if item is None:
                    item = QListWidgetItem()
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    self.list.addItem(item)
                item.setText(f"{i + 1}. {effect.label}")
                item.setCheckState(Qt.CheckState.Checked if effect.enabled else Qt.CheckState.Unchecked)
            self.list.setCurrentRow(min(row, len(chain) - 1) if chain else -1)
        self.empty_hint.setVisible(not chain)
        self._sync_form()
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        row, count = self.list.currentRow(), self.list.count()
        self.remove_button.setEnabled(0 <= row < count)
        self.up_button.setEnabled(0 < row < count)
        self.down_button.setEnabled(0 <= row < count - 1)

    def _sync_form(self) -> None:
        """Parameter spin boxes of the selected effect: rebuilt when another effect is selected, otherwise
        only their values are updated (so a box being typed in is not destroyed)."""
        self._sync_buttons()
        chain, row = self.chain, self.list.currentRow()
        effect = chain[row] if 0 <= row < len(chain) else None
        wanted = (row, effect.kind) if effect is not None else None
        if wanted != self._form_for:
            self._form_for = wanted
            while self.form.rowCount():
                self.form.removeRow(0)
            self.spins = {}
            if effect is not None:
                for param in EFFECT_KINDS[effect.kind].params:
                    spin = _param_spin(param, self.params_box)
                    spin.valueChanged.connect(lambda v, r=row, n=param.name: self.set_param(r, n, v))
                    self.form.addRow(f"{param.label}:", spin)
                    self.spins[param.name] = spin
            self.params_box.setTitle(f"{effect.label} settings" if effect is not None else "Settings")
        if effect is not None:
            for name, spin in self.spins.items():
                with QSignalBlocker(spin):
                    spin.setValue(effect.value(name))
        self.params_box.setEnabled(effect is not None)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.set_enabled(self.list.row(item), item.checkState() == Qt.CheckState.Checked)


def _param_spin(param: ParamSpec, parent: QWidget) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(param.low, param.high)
    spin.setDecimals(param.decimals)
    spin.setSingleStep(param.step)
    if param.unit:
        spin.setSuffix(f" {param.unit}")
    spin.setKeyboardTracking(False)  # a typed value is one edit, not one per keystroke
    spin.setAccelerated(True)
    return spin
