"""Preferences dialog: shows the settings, edits them, refuses bad ones; and the theme switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialog

from genai_studio import paths
from genai_studio.settings import Settings
from genai_studio.ui.dialogs.preferences import PreferencesDialog
from genai_studio.ui.theme import DARK, LIGHT, apply_dark_theme, apply_theme, current_theme

SF2_HEADER = b"RIFF\x04\x00\x00\x00sfbk"
DEVICES = ["Speakers", "USB DAC"]


@pytest.fixture
def soundfont(tmp_path) -> Path:
    path = tmp_path / "Piano Ünicode.sf2"
    path.write_bytes(SF2_HEADER + b"LIST")
    return path


def _dialog(qtbot, settings: Settings, devices=DEVICES, **kw) -> tuple[PreferencesDialog, list[tuple[str, str]]]:
    dialog = PreferencesDialog(settings, list(devices), **kw)
    qtbot.addWidget(dialog)
    messages: list[tuple[str, str]] = []
    dialog.show_message = lambda title, text: messages.append((title, text))
    return dialog, messages


def test_shows_the_current_values(qtbot, soundfont, tmp_path, studio_home):
    s = Settings(device="cuda", models_dir=str(tmp_path / "models"), autosave_minutes=5.0, theme="light",
                 audio_output_device="USB DAC", soundfont_path=str(soundfont))
    dialog, _ = _dialog(qtbot, s)
    assert dialog.device_combo.currentText() == "CUDA (NVIDIA GPU)"
    assert dialog.models_edit.text() == str(tmp_path / "models")
    assert dialog.models_edit.placeholderText() == str(paths.user_models_dir())
    assert dialog.autosave_spin.value() == 5.0
    assert dialog.theme_combo.currentText() == "Light"
    assert dialog.audio_combo.currentText() == "USB DAC"
    assert [dialog.audio_combo.itemText(i) for i in range(dialog.audio_combo.count())] == \
        ["System default", "Speakers", "USB DAC"]
    assert dialog.soundfont_edit.text() == str(soundfont)
    assert dialog.result_settings() == s  # opening and pressing OK changes nothing


def test_defaults_show_auto_off_and_system_default(qtbot):
    dialog, _ = _dialog(qtbot, Settings(autosave_minutes=0.0), devices=[])
    assert dialog.device_combo.currentText() == "Auto"
    assert dialog.autosave_spin.text() == "Off"
    assert dialog.audio_combo.currentText() == "System default" and dialog.audio_combo.count() == 1
    assert dialog.result_settings() == Settings(autosave_minutes=0.0)


def test_a_saved_cuda_preference_stays_shown_without_a_gpu(qtbot):
    from genai_studio.ui.device_choices import mark_cuda_unavailable

    dialog = PreferencesDialog(Settings(device="cuda"), [])
    qtbot.addWidget(dialog)
    mark_cuda_unavailable(dialog.device_combo, keep_selection=True)
    combo = dialog.device_combo
    assert combo.currentData() == "cuda" and "no NVIDIA GPU" in combo.currentText()
    assert not combo.model().item(combo.currentIndex()).isEnabled()  # shown as set, but not choosable again
    assert dialog.result_settings().device == "cuda"  # OK without touching it changes nothing


def test_a_disconnected_device_stays_visible_and_is_kept(qtbot):
    dialog, _ = _dialog(qtbot, Settings(audio_output_device="Bluetooth Headphones"))
    assert dialog.audio_combo.currentText() == "Bluetooth Headphones (not connected)"
    assert dialog.result_settings().audio_output_device == "Bluetooth Headphones"


def test_the_reason_for_no_devices_is_shown(qtbot):
    dialog, _ = _dialog(qtbot, Settings(), devices=[], audio_status="No audio output device is available.")
    dialog.show()
    assert dialog.audio_note.isVisible() and dialog.audio_note.text() == "No audio output device is available."
    quiet, _ = _dialog(qtbot, Settings())
    quiet.show()
    assert not quiet.audio_note.isVisible()


def test_editing_and_ok_gives_the_new_settings(qtbot, soundfont, tmp_path):
    recent = (str(tmp_path / "a.gstudio"), str(tmp_path / "b.gstudio"))
    dialog, messages = _dialog(qtbot, Settings(recent_projects=recent))
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.choose_folder = lambda start: str(tmp_path / "my models")  # the Browse… dialog, answered
    dialog.models_browse.click()
    dialog.autosave_spin.setValue(10.5)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    dialog.audio_combo.setCurrentIndex(dialog.audio_combo.findData("Speakers"))
    dialog.choose_soundfont = lambda start: str(soundfont)
    dialog.soundfont_browse.click()
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert messages == []
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_settings() == Settings(
        device="cpu", models_dir=str(tmp_path / "my models"), autosave_minutes=10.5, theme="light",
        audio_output_device="Speakers", soundfont_path=str(soundfont), recent_projects=recent)


def test_reset_buttons_and_cancelled_browse(qtbot, soundfont, tmp_path):
    dialog, _ = _dialog(qtbot, Settings(models_dir=str(tmp_path), soundfont_path=str(soundfont)))
    dialog.choose_folder = lambda start: ""  # the user cancelled the folder dialog
    dialog.models_browse.click()
    assert dialog.models_edit.text() == str(tmp_path)
    dialog.models_default.click()
    dialog.soundfont_clear.click()
    s = dialog.result_settings()
    assert (s.models_dir, s.soundfont_path) == ("", "")


def test_bad_soundfont_blocks_ok_with_a_message(qtbot, tmp_path):
    dialog, messages = _dialog(qtbot, Settings())
    missing = tmp_path / "gone.sf2"
    dialog.soundfont_edit.setText(str(missing))
    with qtbot.assertNotEmitted(dialog.accepted, wait=50):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert messages == [("Preferences not saved", f"The SoundFont file “{missing}” does not exist.")]
    not_sf = tmp_path / "song.mid"
    not_sf.write_bytes(b"MThd\x00\x00\x00\x06")
    dialog.soundfont_edit.setText(str(not_sf))
    dialog.accept()
    assert "is not a SoundFont" in messages[-1][1]


def test_uncreatable_models_folder_blocks_ok(qtbot, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    dialog, messages = _dialog(qtbot, Settings())
    dialog.models_edit.setText(str(blocker / "models"))
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert len(messages) == 1 and "cannot be created" in messages[0][1]


def test_autosave_below_the_minimum_snaps_up(qtbot):
    dialog, messages = _dialog(qtbot, Settings())
    dialog.autosave_spin.setValue(0.1)
    dialog.accept()
    assert messages == [] and dialog.result_settings().autosave_minutes == 0.25
    dialog.autosave_spin.setValue(0.0)
    assert dialog.result_settings().autosave_minutes == 0.0


def test_apply_theme_switches_the_palette(qapp):
    app = QApplication.instance()
    try:
        assert apply_theme(app, "light") == "light"
        assert app.palette().color(QPalette.ColorRole.Window) == LIGHT.window
        assert app.palette().color(QPalette.ColorRole.Text) == LIGHT.text
        assert current_theme(app) == "light" and "#c82828" in app.styleSheet()  # light error colour
        assert apply_theme(app, "dark") == "dark"
        assert app.palette().color(QPalette.ColorRole.Window) == DARK.window
        assert apply_theme(app, "neon") == "dark"  # unknown names get the default theme
    finally:
        apply_dark_theme(app)
    assert app.palette().color(QPalette.ColorRole.Window) == DARK.window and current_theme(app) == "dark"


def test_dialog_module_needs_no_torch():
    import subprocess
    import sys

    code = "import sys, genai_studio.ui.dialogs.preferences; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
