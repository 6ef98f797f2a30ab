"""End to end through the real window: open → upscale via the panel → result layer → compare → export."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from genai_studio.core.jobs import JobState, UpscaleSpec


def _photo(path, w=40, h=32):
    yy, xx = np.mgrid[0:h, 0:w]
    Image.fromarray(np.stack([128 + 90 * np.sin(xx / 5), 128 + 90 * np.cos(yy / 6), (xx + yy) * 3], 2)
                    .clip(0, 255).astype(np.uint8)).save(path)
    return path


def _wait_job(qtbot, window, state=None, timeout=60000):
    qtbot.waitUntil(lambda: window.controller.jobs and all(r.state.finished for r in window.controller.jobs.values()),
                    timeout=timeout)
    record = list(window.controller.jobs.values())[-1]
    if state is not None:
        assert record.state is state, record.message
    return record


def test_open_upscale_compare_export(qtbot, window, tmp_path):
    assert window.canvas.open_files([_photo(tmp_path / "photo.png")]) == 1
    base = window.canvas_state.active_layer()
    panel = window.upscale_panel
    assert panel.selected_model().id == "realesrgan-x4plus"  # the photo model is the default
    panel.select_model("realesr-animevideov3-x2")
    assert panel.scale_group.checkedId() == 2
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    record = _wait_job(qtbot, window, JobState.DONE)
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 2, timeout=5000)
    result = window.canvas_state.active_layer()
    assert result.kind == "result" and result.source_id == base.id
    assert (result.image.width, result.image.height) == (80, 64)
    row = window.jobs_panel.rows[record.job_id]
    assert row.bar.value() == 1000 and row.status.text().startswith("Done")
    pair = window.canvas_state.compare_pair()
    assert pair is not None and {pair[0].id, pair[1].id} == {base.id, result.id}
    window.canvas.set_compare(True)
    assert window.canvas.compare_enabled
    out = tmp_path / "exported.png"
    assert window.canvas.export_active(out)
    with Image.open(out) as im:
        assert im.size == (80, 64)
    window.canvas_state.undo_stack.undo()
    assert len(window.canvas_state.layers) == 1


def test_cancel_from_the_jobs_panel(qtbot, window, tmp_path):
    window.canvas.open_files([_photo(tmp_path / "big.png", 192, 192)])
    window.upscale_panel.select_model("realesrgan-x4plus")
    window.upscale_panel.tile_spin.setValue(48)
    window.upscale_panel.submit()
    job_id = max(window.controller.jobs)
    qtbot.waitUntil(lambda: window.controller.jobs[job_id].fraction > 0.1, timeout=60000)
    qtbot.mouseClick(window.jobs_panel.rows[job_id].cancel_button, Qt.MouseButton.LeftButton)
    _wait_job(qtbot, window, JobState.CANCELLED, timeout=30000)
    assert len(window.canvas_state.layers) == 1  # nothing half-made was added


def test_failed_job_shows_its_error_and_the_app_stays_usable(qtbot, window, tmp_path):
    window.canvas.open_files([_photo(tmp_path / "p.png")])
    image = window.canvas_state.active_layer().image
    window.submit_upscale(UpscaleSpec(image=image, model_id="no-such-model", scale=2))
    record = _wait_job(qtbot, window, JobState.FAILED)
    row = window.jobs_panel.rows[record.job_id]
    assert "Failed:" in row.status.text() and "no-such-model" in row.status.text()
    window.upscale_panel.select_model("realesr-animevideov3-x2")
    window.upscale_panel.submit()
    _wait_job(qtbot, window, JobState.DONE)
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 2, timeout=5000)


def test_bad_image_file_shows_an_error_not_a_crash(qtbot, window, tmp_path):
    bad = tmp_path / "empty.png"
    bad.write_bytes(b"")
    errors = []
    window.canvas.error.connect(lambda title, msg: errors.append(msg))
    window.canvas.open_files([bad])
    assert errors and "empty" in errors[0]
    assert window.canvas_state.is_empty


def test_upscale_without_an_image_explains_what_to_do(qtbot, window):
    errors = []
    window.upscale_panel.error.connect(lambda title, msg: errors.append(msg))
    window.upscale_panel.submit()
    assert errors == ["Open, drop or paste an image first."]
    assert not window.controller.jobs


def test_about_lists_every_model_with_its_license(window):
    from genai_studio.ui.dialogs.about import about_html

    html = about_html(window.store.list())
    for entry in window.store.list():
        assert entry.name in html.replace("&amp;", "&")
    assert "BSD-3-Clause" in html and "GNU General Public License" in html


def test_status_bar_shows_the_compute_device(window):
    assert window.device_label.text().startswith("Device: ")
    assert "CPU" in window.device_label.text() or "CUDA" in window.device_label.text()


def _cuda_item(combo):
    return combo.model().item(combo.findData("cuda"))


def test_without_a_gpu_the_cuda_choices_are_greyed_out(window):
    """What the warm-up reports on a machine with no usable NVIDIA GPU."""
    window.upscale_panel.device_combo.setCurrentIndex(window.upscale_panel.device_combo.findData("cuda"))
    window.engine_ready("cpu (2 threads)", False)
    assert window.device_label.text() == "Device: cpu (2 threads)"
    for combo in (window.upscale_panel.device_combo, window.train_panel.device):
        assert not _cuda_item(combo).isEnabled() and "no NVIDIA GPU" in _cuda_item(combo).text()
    assert window.upscale_panel.device_combo.currentData() == "auto"  # a job would only fail there
    window.refresh_upscale_models()  # the panel is rebuilt after a model import: still greyed out
    assert not _cuda_item(window.upscale_panel.device_combo).isEnabled()
    window.upscale_panel.set_device("cuda")  # as a Preferences file from a GPU machine asks
    assert window.upscale_panel.device_combo.currentData() == "auto"


def test_with_a_gpu_cuda_stays_a_choice(window):
    window.engine_ready("cuda:0 (NVIDIA H100)", True)
    assert _cuda_item(window.upscale_panel.device_combo).isEnabled()
    assert _cuda_item(window.train_panel.device).isEnabled()


def test_startup_says_when_the_preferences_file_was_damaged(qtbot, studio_home, monkeypatch):
    from genai_studio import paths

    paths.config_dir().mkdir(parents=True, exist_ok=True)
    (paths.config_dir() / "settings.json").write_text('{"theme": "light",', encoding="utf-8")
    _, message = _first_startup_error(qtbot, monkeypatch)
    assert "preferences file" in message and "defaults are used" in message and "settings.json.bad-" in message


def test_ctrl_z_undoes_in_the_focused_canvas(qtbot, window, tmp_path):
    from PySide6.QtGui import QKeySequence

    window.canvas.open_files([_photo(tmp_path / "a.png"), _photo(tmp_path / "b.png")])
    assert len(window.canvas_state.layers) == 2
    window.activateWindow()
    window.canvas.view.setFocus()
    shortcuts = [a for a in window.findChildren(type(window.menuBar().actions()[0]))
                 if a.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo) and a.isEnabled()]
    assert len(shortcuts) == 1, [a.text() for a in shortcuts]  # exactly one Ctrl+Z: no ambiguity
    shortcuts[0].trigger()
    assert len(window.canvas_state.layers) == 1


def _first_startup_error(qtbot, monkeypatch) -> tuple[str, str]:
    """Build the window as the app starts it and return the first error it shows (title, message)."""
    from genai_studio.app import create_main_window
    from genai_studio.ui.main_window import MainWindow

    shown = []
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, message: shown.append((title, message)))
    window = create_main_window()
    qtbot.addWidget(window)
    window.project.ask_save_changes = lambda: "discard"
    try:
        qtbot.waitUntil(lambda: bool(shown), timeout=3000)
        return shown[0]
    finally:
        window.controller.shutdown()
        window.project.shutdown()


def test_startup_names_models_it_had_to_skip(qtbot, studio_home, monkeypatch):
    from genai_studio import paths

    broken = paths.user_models_dir() / "half-written"
    broken.mkdir(parents=True)
    (broken / "manifest.json").write_text("{ not json", encoding="utf-8")
    title, message = _first_startup_error(qtbot, monkeypatch)
    assert title == "Some settings, models or folders cannot be used" and "half-written" in message


def test_space_presses_a_focused_control_and_plays_elsewhere(qtbot, window, tmp_path):
    import soundfile as sf
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    sf.write(tmp_path / "t.wav", np.zeros(8000), 8000)
    window.timeline.import_files([str(tmp_path / "t.wav")])
    played = []
    window.timeline.actions["play_stop"].triggered.connect(lambda *a: played.append(1))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    window.tools.setCurrentWidget(window.restore_panel)
    for widget in (window.restore_panel.only_mask, window.canvas.layers_panel.list):
        widget.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=3000)
        QTest.keyClick(widget, Qt.Key.Key_Space)
    assert window.restore_panel.only_mask.isChecked() and not played  # the check box toggled, nothing played
    window.canvas.view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.canvas.view, timeout=3000)
    QTest.keyClick(window.canvas.view, Qt.Key.Key_Space)
    assert played == [1]


def test_the_same_error_twice_shows_one_box(qtbot, window):
    from PySide6.QtWidgets import QMessageBox

    for _ in range(3):  # e.g. Play pressed three times with no audio device
        window.show_error("Audio playback", "No audio output device.")
    window.show_error("Other", "Something else.")
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert sorted(b.windowTitle() for b in boxes) == ["Audio playback", "Other"]
    boxes[0].close()
    qtbot.waitUntil(lambda: len(window._error_boxes) == 1)  # a closed box is forgotten: the error can show again


def test_ctrl_u_upscales_the_active_layer_from_any_tab(qtbot, window, tmp_path):
    from PySide6.QtGui import QAction, QKeySequence

    window.canvas.open_files([_photo(tmp_path / "a.png")])
    window.upscale_panel.select_model("realesr-animevideov3-x2")
    window.tools.setCurrentWidget(window.restore_panel)
    (action,) = [a for a in window.findChildren(QAction) if a.shortcut() == QKeySequence("Ctrl+U")]
    action.trigger()
    assert window.tools.currentWidget() is window.upscale_panel and len(window.controller.jobs) == 1
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 2, timeout=60000)


def test_m_toggles_the_mask_tool_from_anywhere_once_there_is_an_image(qtbot, window, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    mask_tool = window.canvas.actions["mask_tool"]
    assert not mask_tool.isEnabled()  # nothing to paint on yet
    window.canvas.open_files([_photo(tmp_path / "a.png")])
    assert mask_tool.isEnabled()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    button = window.restore_panel.run_button  # focus in the Tools dock, not on the canvas
    window.tools.setCurrentWidget(window.restore_panel)
    button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is button, timeout=3000)
    QTest.keyClick(button, Qt.Key.Key_M)
    assert mask_tool.isChecked()
    window.project.new()
    assert not mask_tool.isChecked() and not mask_tool.isEnabled()
