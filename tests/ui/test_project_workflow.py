"""Projects in the window: save/open, dirty state and prompts, shared undo, history, autosave and recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from genai_studio.app import create_main_window, ensure_application


def _png(path, w=20, h=16, seed=0):
    Image.fromarray((np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)).save(path)
    return str(path)


def _wav(path, seconds=0.5, rate=22050):
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate)
    return str(path)


def _fill(window, tmp_path):
    window.canvas.open_files([_png(tmp_path / "a.png"), _png(tmp_path / "b.png", seed=1)])
    window.timeline.import_files([_wav(tmp_path / "tone.wav")])


def test_save_and_reopen_restores_canvas_and_timeline(window, tmp_path):
    _fill(window, tmp_path)
    assert window.project.is_dirty and window.isWindowModified()
    path = tmp_path / "my project.gstudio"
    window.project.ask_save_path = lambda: str(path)
    assert window.project.save()
    assert not window.project.is_dirty and window.windowTitle().startswith("my project.gstudio")
    before_layers = [(l.name, l.image.pixels.copy()) for l in window.canvas_state.layers]
    before_clips = [(c.name, c.audio.samples.copy(), c.start_s) for c in window.timeline_state.clips()]

    assert window.project.new()
    assert window.canvas_state.is_empty and not window.timeline_state.clips()
    assert window.project.open(path)
    assert [(l.name) for l in window.canvas_state.layers] == [n for n, _ in before_layers]
    for layer, (_, pixels) in zip(window.canvas_state.layers, before_layers):
        assert np.array_equal(layer.image.pixels, pixels)
    clips = window.timeline_state.clips()
    assert [(c.name, c.start_s) for c in clips] == [(n, s) for n, _, s in before_clips]
    assert np.array_equal(clips[0].audio.samples, before_clips[0][1])
    assert window.project.recent[0] == str(path.resolve())
    assert not window.project.is_dirty


def test_midi_clips_tempo_key_and_meter_survive_save_and_open(window, tmp_path):
    from genai_studio.core.music import Melody, Note

    st = window.timeline_state
    chord = Melody((Note(62, 0.0, 2.0, 70), Note(66, 0.0, 2.0, 80), Note(69, 0.5, 1 / 3, 127)), name="chord")
    clip_id = st.add_midi_clip(chord, start_s=0.75, name="Pad")
    st.set_tempo(84.5)
    st.set_key("B minor")
    st.set_time_signature("3/4")
    path = tmp_path / "midi.gstudio"
    window.project.ask_save_path = lambda: str(path)
    assert window.project.save()
    assert window.project.new() and not st.clips() and st.tempo_bpm == 120
    assert window.project.open(path)
    clip = st.clip(clip_id)
    assert (clip.name, clip.start_s, st.tempo_bpm, st.key, st.time_signature) == ("Pad", 0.75, 84.5, "B minor", "3/4")
    assert clip.melody.notes == chord.notes and clip.melody.tempo_bpm == 84.5  # chords and triplets exact
    assert clip.duration_s == pytest.approx(2.0 * 60 / 84.5)


def test_unsaved_changes_prompt_can_cancel_a_close(window, tmp_path):
    _fill(window, tmp_path)
    answers = []
    window.project.ask_save_changes = lambda: answers.append("asked") or "cancel"
    assert not window.project.new()
    assert answers == ["asked"] and not window.canvas_state.is_empty
    window.close()
    assert window.isVisible()  # cancel kept the window open


def test_one_undo_history_across_canvas_and_timeline(window, tmp_path):
    window.canvas.open_files([_png(tmp_path / "a.png")])
    window.timeline.import_files([_wav(tmp_path / "t.wav")])
    assert window.history.model().rowCount() == 3  # <opened> + two edits, in the order they happened
    window.undo_stack.undo()
    assert not window.timeline_state.clips() and not window.canvas_state.is_empty
    window.undo_stack.undo()
    assert window.canvas_state.is_empty
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert window.timeline_state.clips() and not window.canvas_state.is_empty


def test_failed_save_keeps_the_previous_file_and_the_work(window, tmp_path, monkeypatch):
    _fill(window, tmp_path)
    path = tmp_path / "p.gstudio"
    window.project.ask_save_path = lambda: str(path)
    assert window.project.save()
    original = path.read_bytes()
    window.canvas.open_files([_png(tmp_path / "c.png", seed=3)])
    from genai_studio.core.errors import DiskFull
    import genai_studio.ui.project_workflow as workflow

    def full_disk(doc, target):
        raise DiskFull("Not enough disk space to save p.gstudio.")

    monkeypatch.setattr(workflow, "save_project", full_disk)
    errors = []
    window.project.error.connect(lambda title, msg: errors.append(msg))
    assert not window.project.save()
    assert path.read_bytes() == original
    assert errors and "nothing was lost" in errors[0]
    assert window.project.is_dirty


def test_dropping_a_project_file_opens_it(window, tmp_path):
    _fill(window, tmp_path)
    path = tmp_path / "drop.gstudio"
    window.project.ask_save_path = lambda: str(path)
    window.project.save()
    window.project.new()
    window.open_paths([str(path)])
    assert len(window.canvas_state.layers) == 2


def test_dropping_an_image_beside_the_canvas_adds_a_layer(window, tmp_path):
    """A drop on a panel or the jobs list does what a drop on the canvas does: your picture stays."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    window.canvas.open_files([_png(tmp_path / "a.png")])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(_png(tmp_path / "b.png"))])
    window.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))
    assert [layer.name for layer in window.canvas_state.layers] == ["a.png", "b.png"]


def test_result_layers_keep_their_job_spec(window, tmp_path, qtbot):
    window.canvas.open_files([_png(tmp_path / "a.png")])
    window.upscale_panel.select_model("realesr-animevideov3-x2")
    window.upscale_panel.submit()
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 2, timeout=60000)
    spec = window.canvas_state.active_layer().spec
    assert spec["type"] == "UpscaleSpec" and spec["model_id"] == "realesr-animevideov3-x2" and spec["scale"] == 2
    out = tmp_path / "result.png"
    assert window.canvas.export_active(out)
    from genai_studio.mediaio.images import read_provenance

    assert read_provenance(out)["job"]["model_id"] == "realesr-animevideov3-x2"


def test_killed_session_leaves_a_recoverable_autosave(qtbot, studio_home, tmp_path):
    image, audio = _png(tmp_path / "k.png"), _wav(tmp_path / "k.wav")
    child = textwrap.dedent(f"""
        import time
        from genai_studio.app import create_main_window, ensure_application
        app = ensure_application()
        w = create_main_window()
        w.show()
        w.canvas.open_files([{image!r}])
        w.timeline.import_files([{audio!r}])
        w.project.autosave.save_now(background=False)
        print("AUTOSAVED", flush=True)
        time.sleep(120)
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "AUTOSAVED", proc.stderr.read() if proc.poll() is not None else line
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    ensure_application()
    w = create_main_window()
    qtbot.addWidget(w)
    offered = []
    w.project.ask_recover = lambda session: offered.append(session) or True
    assert w.project.offer_recovery()
    assert len(offered) == 1
    assert len(w.canvas_state.layers) == 1 and len(w.timeline_state.clips()) == 1
    assert w.project.is_dirty  # recovered work is not saved anywhere yet
    w.project.ask_save_changes = lambda: "discard"
    w.controller.shutdown()
    w.project.shutdown()
    from genai_studio.runtime.autosave import find_recoverable

    assert find_recoverable() == []  # a clean quit leaves nothing to recover


def test_preferences_take_effect_and_persist(window, tmp_path):
    from dataclasses import replace

    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from genai_studio.settings import load_settings

    before = QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness()
    models = tmp_path / "my models"
    new = replace(window.settings, theme="light", autosave_minutes=5.0, device="cpu", models_dir=str(models))
    window.apply_settings(new)
    try:
        assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() > before
        assert window.project.autosave.interval_ms == 5 * 60_000
        assert window.upscale_panel.device_combo.currentData() == "cpu"
        # every panel's next job runs on the new device, without a restart
        assert {p.device for p in (window.restore_panel, window.recipe_panel, window.style_panel,
                                   window.generate_panel)} == {"cpu"}
        assert window.generate_panel.build_spec().device == "cpu"
        assert window.store.user_dir == models
        stored = load_settings()
        assert (stored.theme, stored.autosave_minutes, stored.device, stored.models_dir) == \
            ("light", 5.0, "cpu", str(models))
    finally:
        window.apply_settings(replace(new, theme="dark"))


def test_recent_projects_are_remembered_in_settings(window, tmp_path):
    from genai_studio.settings import load_settings

    window.canvas.open_files([_png(tmp_path / "a.png")])
    path = tmp_path / "recent.gstudio"
    window.project.ask_save_path = lambda: str(path)
    assert window.project.save()
    assert load_settings().recent_projects[0] == str(path.resolve())
    assert window.recent_menu.actions()[0].text() == str(path.resolve())


def test_cli_opens_a_project_file_in_the_gui(monkeypatch):
    import genai_studio.app as app_module
    from genai_studio.cli import main

    opened = []
    monkeypatch.setattr(app_module, "run_app", lambda files: opened.append(files) or 0)
    assert main(["My Song.gstudio"]) == 0
    assert opened == [["My Song.gstudio"]]


@pytest.mark.parametrize("ext", [".wav", ".flac"])
def test_export_audio_mix(window, tmp_path, ext):
    window.timeline.import_files([_wav(tmp_path / "tone.wav", seconds=0.5, rate=22050)])
    out = tmp_path / f"mix{ext}"
    assert window.export_mix(str(out))
    data, rate = sf.read(out)
    assert rate == window.timeline_state.sample_rate and data.shape[1] == 2
    assert abs(len(data) / rate - 0.5) < 0.01
    spectrum = np.abs(np.fft.rfft(data[:, 0]))
    assert abs(np.argmax(spectrum) * rate / len(data) - 330) < 3  # the tone survives mixing and resampling


def test_sigterm_autosaves_and_the_next_launch_recovers(qtbot, studio_home, tmp_path):
    image = _png(tmp_path / "t.png")
    child = textwrap.dedent(f"""
        import sys
        from PySide6.QtCore import QTimer
        from genai_studio.app import create_main_window, ensure_application, install_termination_handler
        app = ensure_application()
        w = create_main_window()
        w.show()
        install_termination_handler(w)
        w.canvas.open_files([{image!r}])
        QTimer.singleShot(100, lambda: print("READY", flush=True))
        sys.exit(app.exec())
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout.readline().strip() == "READY"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0, proc.stderr.read()  # quit cleanly, no prompt waited for an answer

    ensure_application()
    w = create_main_window()
    qtbot.addWidget(w)
    w.project.ask_recover = lambda session: True
    w.project.ask_save_changes = lambda: "discard"
    assert w.project.offer_recovery()
    assert [l.name for l in w.canvas_state.layers] == ["t.png"]
    w.controller.shutdown()
    w.project.shutdown()


def test_a_saved_result_can_be_rerun_after_reopening(window, tmp_path, qtbot):
    window.canvas.open_files([_png(tmp_path / "a.png")])
    window.upscale_panel.select_model("realesr-animevideov3-x2")
    window.upscale_panel.submit()
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 2, timeout=60000)
    path = tmp_path / "rerun.gstudio"
    window.project.ask_save_path = lambda: str(path)
    assert window.project.save()
    assert window.project.new() and window.project.open(path)
    result = window.canvas_state.layers[-1]
    window.canvas_state.set_active(result.id)
    assert window.rerun_active_result() is not None
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 3, timeout=60000)
    again = window.canvas_state.layers[-1]
    assert again.spec == result.spec and again.source_id == result.source_id
    assert np.array_equal(again.image.pixels, result.image.pixels)  # same job, same pixels


def test_recovering_one_session_keeps_the_other_crashed_sessions(window, tmp_path):
    """Two sessions were killed: the newest is offered; the older one is neither recovered over it nor deleted
    unseen, but stays to be offered at the next start (also when the user declines the newest)."""
    import json
    import shutil

    from genai_studio.runtime.autosave import find_recoverable

    window.canvas.open_files([_png(tmp_path / "a.png")])
    autosave = window.project.autosave
    autosave.save_now(background=False)
    own = autosave.directory / f"session-{os.getpid()}"
    for fake_pid, saved_at in ((2**22 + 101, 100.0), (2**22 + 102, 200.0), (2**22 + 103, 300.0)):
        info = json.loads(own.with_suffix(".json").read_text(encoding="utf-8"))
        info.update(pid=fake_pid, saved_at=saved_at)
        (autosave.directory / f"session-{fake_pid}.json").write_text(json.dumps(info), encoding="utf-8")
        shutil.copyfile(own.with_suffix(".gstudio"), autosave.directory / f"session-{fake_pid}.gstudio")
    offered = []
    window.project.ask_recover = lambda session: offered.append(session.saved_at) or False  # declined
    assert not window.project.offer_recovery()
    window.project.ask_recover = lambda session: offered.append(session.saved_at) or True
    assert window.project.offer_recovery()
    assert offered == [300.0, 200.0]
    assert [s.saved_at for s in find_recoverable(autosave.directory)] == [100.0]  # still there for next time


def test_restore_results_rerun_and_a_masked_job_says_why_it_cannot(window, tmp_path, qtbot):
    from genai_studio.core.restore_jobs import CLASSICAL

    window.canvas.open_files([_png(tmp_path / "a.png", w=48, h=40)])
    panel = window.restore_panel
    panel.set_task("denoise")
    panel.model_combo.setCurrentIndex(panel.model_combo.findData(CLASSICAL))
    panel.strength.setValue(70)
    panel.submit()
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 2, timeout=60000)
    result = window.canvas_state.layers[-1]
    assert window.rerun_active_result() is not None
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 3, timeout=60000)
    again = window.canvas_state.layers[-1]
    assert again.spec["strength"] == 0.7 and again.source_id == result.source_id
    assert np.array_equal(again.image.pixels, result.image.pixels)  # same job, same pixels
    errors = []
    window.show_error = lambda title, message: errors.append(message)
    masked = {**again.spec, "mask": {"mask": "layer", "covered": 0.25}}  # as a masked run records it
    window.canvas_state.add_layer(again.image, "masked", kind="result", source_id=again.source_id, spec=masked)
    assert window.rerun_active_result() is None and "used a mask" in errors[-1]


def test_a_model_list_refresh_keeps_the_upscale_settings_and_the_open_tab(window):
    panel = window.upscale_panel
    panel.select_model("realesr-animevideov3-x2")
    panel.tile_spin.setValue(128)
    panel.device_combo.setCurrentIndex(panel.device_combo.findData("cpu"))
    window.tools.setCurrentWidget(window.voice_panel)
    window.refresh_upscale_models()  # what closing the Model Manager does
    panel = window.upscale_panel
    assert panel.selected_model().id == "realesr-animevideov3-x2" and panel.tile_spin.value() == 128
    assert panel.device_combo.currentData() == "cpu" and window.tools.currentWidget() is window.voice_panel
