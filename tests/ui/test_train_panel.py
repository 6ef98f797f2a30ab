"""The Train tab through the real window: folder checks, live grid and losses, pause/resume, stop, install."""

from __future__ import annotations

import time

import pytest
from PIL import Image, ImageDraw

from genai_studio.core.jobs import JobState


def _shapes(folder, per_class=32, classes=("circles", "squares")):
    """A folder of small coloured shapes on white, one subfolder per shape (subfolders = prompt words)."""
    import random

    rng = random.Random(0)
    for label in classes:
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            im = Image.new("RGB", (40 + rng.randint(0, 24), 40), "white")  # mixed sizes on purpose
            d = ImageDraw.Draw(im)
            x, y, r = rng.randint(12, 26), rng.randint(12, 26), rng.randint(6, 11)
            colour = tuple(rng.randint(0, 200) for _ in range(3))
            (d.ellipse if label == "circles" else d.rectangle)([x - r, y - r, x + r, y + r], fill=colour)
            im.save(folder / label / f"{i}.png")
    return folder


def _configure(panel, folder, name, family, steps):
    """Fill the Train tab as a user would: folder, name, family, tiny preset, steps, CPU."""
    panel.folder.setText(str(folder))
    panel.name.setText(name)
    panel.family.setCurrentIndex(panel.family.findData(family))
    panel.preset.setCurrentIndex(panel.preset.findData("tiny"))
    panel.steps.setValue(steps)
    panel.device.setCurrentIndex(panel.device.findData("cpu"))


def _wait_finished(qtbot, window, timeout=180000):
    qtbot.waitUntil(lambda: window._train_job is None, timeout=timeout)
    record = window.controller.jobs[max(window.controller.jobs)]
    return record


def test_a_small_folder_is_explained_and_cannot_start(qtbot, window, tmp_path):
    errors = []
    panel = window.train_panel
    panel.error.connect(lambda title, message: errors.append(message))
    _shapes(tmp_path / "few", per_class=5)
    panel.folder.setText(str(tmp_path / "few"))
    assert "Only 10 image file(s)" in panel.folder_info.text() and not panel.train_button.isEnabled()
    panel.start()
    assert errors and "at least 50" in errors[0] and not window.controller.jobs
    panel.folder.setText(str(tmp_path / "missing"))
    assert "does not exist" in panel.folder_info.text()


def test_train_pause_resume_and_the_model_generates(qtbot, window, tmp_path):
    panel = window.train_panel
    _configure(panel, _shapes(tmp_path / "shapes"), "Shapes test", "vae", 20)
    assert "64 image files" in panel.folder_info.text() and "circles, squares" in panel.folder_info.text()
    panel.start()
    assert window._train_job is not None and not panel.train_button.isEnabled()
    qtbot.waitUntil(lambda: panel._last_step > 0, timeout=120000)
    panel.pause_button.setChecked(True)
    assert panel.control.paused
    time.sleep(1.0)
    panel.poll()
    held = panel._last_step
    time.sleep(1.0)
    panel.poll()
    assert panel._last_step == held and panel.status.text().startswith("Paused")  # nothing moves while paused
    panel.pause_button.setChecked(False)
    record = _wait_finished(qtbot, window)
    assert record.state is JobState.DONE, record.message
    assert panel.grid.pixmap() is not None and not panel.grid.pixmap().isNull()  # the live sample grid
    assert panel.losses.names and len(panel.losses.points(panel.losses.names[0])) >= 2
    entry = window.store.get("shapes-test")
    assert entry.task == "generate" and entry.removable
    gen = window.generate_panel
    assert gen.model_id == "shapes-test"  # the new model is picked in the Generate tab
    gen.prompt.setText("circles")
    gen.count.setValue(2)
    gen.size.setValue(64)
    gen.generate()
    qtbot.waitUntil(lambda: all(r.state.finished for r in window.controller.jobs.values()), timeout=60000)
    last = window.controller.jobs[max(window.controller.jobs)]
    assert last.state is JobState.DONE, last.message
    assert gen.results.count() == 2 and "circle" in gen.words.text()


def _another_generator(folder):
    """A generator folder with weights of its own (the shipped emoji model, slightly changed)."""
    import dataclasses
    import hashlib

    from safetensors import safe_open
    from safetensors.torch import save_file

    from genai_studio.core.manifest import read_manifest, write_manifest
    from genai_studio.paths import BUILTIN_MODELS_DIR

    src = BUILTIN_MODELS_DIR / "art-emoji-vae.safetensors"
    with safe_open(str(src), "pt") as fh:
        tensors, metadata = {k: fh.get_tensor(k) for k in fh.keys()}, fh.metadata()
    first = next(iter(tensors))
    tensors[first] = tensors[first] + 1e-3
    folder.mkdir()
    save_file(tensors, str(folder / src.name), metadata=metadata)
    data = (folder / src.name).read_bytes()
    manifest = read_manifest(BUILTIN_MODELS_DIR / "art-emoji-vae.json")
    files = tuple(dataclasses.replace(f, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
                  for f in manifest.files)
    write_manifest(dataclasses.replace(manifest, files=files), folder / "manifest.json")
    return folder


def test_stop_keeps_a_usable_model_beside_another_with_the_same_name(qtbot, window, tmp_path):
    # a different model already called "Stopped early" (installed from elsewhere) must survive this run
    other = window.store.install_trained(_another_generator(tmp_path / "other"), name="Stopped early")
    assert other.id == "stopped-early"
    panel = window.train_panel
    _configure(panel, _shapes(tmp_path / "shapes"), "Stopped early", "gan", 100000)
    panel.start()
    qtbot.waitUntil(lambda: panel._last_step > 0, timeout=120000)
    panel.stop()
    record = _wait_finished(qtbot, window)
    assert record.state is JobState.DONE, record.message
    assert record.result.stopped_early and record.result.steps_done < 100000
    assert window.store.get("stopped-early").weight_path == other.weight_path  # kept, untouched
    assert window.store.get("stopped-early-2").weight_path.is_file()
    assert "stopped early" in panel.status.text() and "this one is 'stopped-early-2'" in panel.status.text()


def test_cancel_keeps_the_checkpoint_for_continuing(qtbot, window, tmp_path):
    panel = window.train_panel
    _configure(panel, _shapes(tmp_path / "shapes"), "Cancelled run", "vae", 100000)
    panel.start()
    qtbot.waitUntil(lambda: panel._last_step > 0, timeout=120000)
    panel.cancel_requested.emit()
    record = _wait_finished(qtbot, window)
    assert record.state is JobState.CANCELLED
    assert "Cancelled" in panel.status.text()
    assert panel.resume.isEnabled()  # its checkpoint is there to continue from
    if window.store.find("cancelled-run") is not None:
        pytest.fail("a cancelled run must not install a model")
    import json

    from genai_studio.ui.panels.train_art_panel import work_dir_for

    saved = json.loads((work_dir_for("Cancelled run") / "checkpoint.json").read_text())["step"]
    assert saved >= 1
    panel.resume.setChecked(True)
    panel.steps.setValue(saved + 10)
    panel.start()
    record = _wait_finished(qtbot, window)
    assert record.state is JobState.DONE, record.message
    assert record.result.steps_done == saved + 10  # continued from the checkpoint, not from step 0
    assert window.store.get("cancelled-run").task == "generate"


def test_dropping_a_folder_fills_it_in(qtbot, window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    panel = window.train_panel
    folder = _shapes(tmp_path / "dropped", per_class=26)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    enter = QDragEnterEvent(QPointF(5, 5).toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    panel.dragEnterEvent(enter)
    assert enter.isAccepted()
    panel.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                               Qt.KeyboardModifier.NoModifier))
    assert panel.folder.text() == str(folder) and panel.train_button.isEnabled()
    assert "52 image files" in panel.folder_info.text()
    file_mime = QMimeData()
    file_mime.setUrls([QUrl.fromLocalFile(str(folder / "circles" / "0.png"))])
    refused = QDragEnterEvent(QPointF(5, 5).toPoint(), Qt.DropAction.CopyAction, file_mime,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    refused.ignore()
    panel.dragEnterEvent(refused)
    assert not refused.isAccepted()  # a single image is not a training folder


def test_loss_plot_keeps_each_curve_and_skips_gaps(qtbot):
    from genai_studio.ui.panels.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add(10, {"kl": 120.0, "recon": 0.05})
    plot.add(20, {"kl": 90.0})  # a loss missing at a step repeats its last value
    plot.add(30, {"kl": 80.0, "recon": float("nan")})
    plot.add(40, {})  # nothing to plot: ignored
    assert plot.names == ["kl", "recon"] and [s for s, _ in plot.points("kl")] == [10, 20, 30]
    assert plot.points("recon")[1] == (20, 0.05)
    plot.resize(300, 120)
    assert not plot.grab().isNull()  # paints with a NaN in a curve
