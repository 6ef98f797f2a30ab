"""The Preferences dialog: edits a Settings record and hands back a new one; it saves and applies nothing.

The caller (the main window) saves the result and applies what changed (theme, audio device, autosave).
Dialog boxes it would open (folder/file choosers, the problem message) are instance attributes, so tests
replace them instead of blocking on a modal window.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from genai_studio import paths
from genai_studio.settings import AUTOSAVE_MAX_MINUTES, AUTOSAVE_MIN_MINUTES, Settings, validate
from genai_studio.ui.device_choices import fill_device_combo

THEME_CHOICES = (("Dark", "dark"), ("Light", "light"))
SYSTEM_DEFAULT_OUTPUT = "System default"
NOT_CONNECTED_SUFFIX = " (not connected)"
SOUNDFONT_FILTER = "SoundFont (*.sf2 *.sf3);;All files (*)"


def _warn(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, output_devices: list[str], parent: QWidget | None = None, *,
                 audio_status: str = "") -> None:
        """``audio_status``: why ``output_devices`` is empty (from list_output_devices), shown under the combo."""
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(560)
        self._original = settings
        # Replaceable for tests: (title, text) → None; (current) → chosen path or "" when cancelled.
        self.show_message: Callable[[str, str], None] = lambda title, text: _warn(self, title, text)
        self.choose_folder: Callable[[str], str] = self._choose_folder
        self.choose_soundfont: Callable[[str], str] = self._choose_soundfont

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)

        self.device_combo = QComboBox()
        fill_device_combo(self.device_combo)
        self.device_combo.setToolTip("The device new jobs run on. Auto uses the NVIDIA GPU when there is one, "
                                     "else the CPU.")
        form.addRow("Compute &device:", self.device_combo)

        self.models_edit = QLineEdit()
        self.models_edit.setPlaceholderText(str(paths.user_models_dir()))
        self.models_edit.setToolTip("Where imported models are kept. Empty = the default folder shown.")
        self.models_browse = QPushButton("Browse…")
        self.models_browse.clicked.connect(self._browse_models)
        self.models_default = QPushButton("Default")
        self.models_default.setToolTip("Use the default models folder")
        self.models_default.clicked.connect(self.models_edit.clear)
        form.addRow("&Models folder:", _row(self.models_edit, self.models_browse, self.models_default))

        self.autosave_spin = QDoubleSpinBox()
        self.autosave_spin.setRange(0.0, AUTOSAVE_MAX_MINUTES)
        self.autosave_spin.setDecimals(2)
        self.autosave_spin.setSingleStep(AUTOSAVE_MIN_MINUTES)
        self.autosave_spin.setSpecialValueText("Off")  # shown at the minimum, 0
        self.autosave_spin.setSuffix(" min")
        self.autosave_spin.setToolTip(f"Save a recovery copy of the project this often; Off = never. "
                                      f"{AUTOSAVE_MIN_MINUTES:g} to {AUTOSAVE_MAX_MINUTES:g} minutes.")
        self.autosave_spin.editingFinished.connect(self._snap_autosave)
        form.addRow("&Autosave every:", self.autosave_spin)

        self.theme_combo = QComboBox()
        for text, value in THEME_CHOICES:
            self.theme_combo.addItem(text, value)
        form.addRow("&Theme:", self.theme_combo)

        self.audio_combo = QComboBox()
        self.audio_combo.addItem(SYSTEM_DEFAULT_OUTPUT, "")
        for name in output_devices:
            self.audio_combo.addItem(name, name)
        form.addRow("Audio &output:", self.audio_combo)
        # Its own row (not stacked under the combo): a word-wrapped label gets its full height only there.
        self.audio_note = QLabel(audio_status)
        self.audio_note.setProperty("role", "dim")
        self.audio_note.setWordWrap(True)
        form.addRow("", self.audio_note)
        form.setRowVisible(self.audio_note, bool(audio_status))

        self.soundfont_edit = QLineEdit()
        self.soundfont_edit.setPlaceholderText("None (optional .sf2 or .sf3 file)")
        self.soundfont_edit.setToolTip("A General MIDI SoundFont (.sf2 or .sf3) used to render melodies.")
        self.soundfont_browse = QPushButton("Browse…")
        self.soundfont_browse.clicked.connect(self._browse_soundfont)
        self.soundfont_clear = QPushButton("Clear")
        self.soundfont_clear.clicked.connect(self.soundfont_edit.clear)
        form.addRow("&SoundFont:", _row(self.soundfont_edit, self.soundfont_browse, self.soundfont_clear))

        for combo in (self.device_combo, self.theme_combo, self.audio_combo):
            combo.setMinimumWidth(240)  # one left-aligned column instead of three ragged widths

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._show(settings)

    # ----- settings ⇄ widgets ------------------------------------------------------------------------
    def _show(self, s: Settings) -> None:
        _select_data(self.device_combo, s.device)
        self.models_edit.setText(s.models_dir)
        self.autosave_spin.setValue(s.autosave_minutes)
        _select_data(self.theme_combo, s.theme)
        if s.audio_output_device and self.audio_combo.findData(s.audio_output_device) < 0:
            # Keep the user's choice visible (and kept on OK) while the device is unplugged.
            self.audio_combo.addItem(s.audio_output_device + NOT_CONNECTED_SUFFIX, s.audio_output_device)
        _select_data(self.audio_combo, s.audio_output_device)
        self.soundfont_edit.setText(s.soundfont_path)

    def result_settings(self) -> Settings:
        """The settings as edited (recent projects and anything not on this form are kept as they were)."""
        return dataclasses.replace(
            self._original,
            device=self.device_combo.currentData() or "auto",
            models_dir=self.models_edit.text().strip(),
            autosave_minutes=float(self.autosave_spin.value()),
            theme=self.theme_combo.currentData() or "dark",
            audio_output_device=self.audio_combo.currentData() or "",
            soundfont_path=self.soundfont_edit.text().strip(),
        )

    def accept(self) -> None:
        """OK: refuse with the problems listed when the edited settings are not usable."""
        self._snap_autosave()
        problems = validate(self.result_settings())
        if problems:
            self.show_message("Preferences not saved", "\n\n".join(problems))
            return
        super().accept()

    # ----- helpers ----------------------------------------------------------------------------------
    def _snap_autosave(self) -> None:
        value = self.autosave_spin.value()
        if 0 < value < AUTOSAVE_MIN_MINUTES:
            self.autosave_spin.setValue(AUTOSAVE_MIN_MINUTES)

    def _browse_models(self) -> None:
        chosen = self.choose_folder(self.models_edit.text().strip() or str(paths.user_models_dir()))
        if chosen:
            self.models_edit.setText(chosen)

    def _browse_soundfont(self) -> None:
        chosen = self.choose_soundfont(self.soundfont_edit.text().strip())
        if chosen:
            self.soundfont_edit.setText(chosen)

    def _choose_folder(self, start: str) -> str:
        return QFileDialog.getExistingDirectory(self, "Models folder", start)

    def _choose_soundfont(self, start: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a SoundFont", start, SOUNDFONT_FILTER)
        return path


def _row(*widgets: QWidget) -> QWidget:
    """Widgets side by side in one form cell; the first one stretches."""
    holder = QWidget()
    holder.setFocusProxy(widgets[0])  # the row label's mnemonic (Alt+M…) focuses the text field
    box = QHBoxLayout(holder)
    box.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        box.addWidget(widget, 1 if i == 0 else 0)
    return holder


def _select_data(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)
