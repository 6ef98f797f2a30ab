"""Restoration GUI: the mask brush on the canvas, the Restore and Recipe panels, and results in the window."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from genai_studio.core.jobs import ImageResult, JobState
from genai_studio.core.media import ImageBuffer
from genai_studio.core.restore_jobs import (
    CLASSICAL, BatchReport, RecipeBatchSpec, RecipeResult, RecipeSpec, RestoreSpec,
)
from genai_studio.runtime.controller import JobController
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore
from genai_studio.settings import Settings
from genai_studio.state.canvas_state import CanvasState
from genai_studio.state.mask_edit import mask_values
from genai_studio.ui.canvas.pane import CanvasPane
from genai_studio.ui.main_window import MainWindow
from genai_studio.ui.panels.recipe_panel import RecipePanel
from genai_studio.ui.panels.restore_panel import RestoreModelChoice, RestorePanel
from genai_studio.ui.panels.upscale_panel import UpscaleModelChoice, UpscalePanel

W, H = 80, 60
MODELS = {"denoise": [RestoreModelChoice("drunet-test", "DRUNet (test)", "")], "colorize": []}
UPSCALERS = [UpscaleModelChoice("sharp-x4", "Sharp x4", 4, 192, "", ("photo",)),
             UpscaleModelChoice("faithful-x2", "Faithful x2", 2, 256, "", ("photo", "fidelity"))]


def photo(w: int = W, h: int = H, name: str = "photo") -> ImageBuffer:
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([128 + 90 * np.sin(xx / 5), 128 + 90 * np.cos(yy / 6), (xx + yy) * 2], 2)
    return ImageBuffer(rgb.clip(0, 255).astype(np.uint8), name=name)


def send_mouse(view, kind, pos: QPointF, button=Qt.MouseButton.LeftButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else button
    QApplication.sendEvent(view, QMouseEvent(kind, pos, view.mapToGlobal(pos), button, buttons,
                                             Qt.KeyboardModifier.NoModifier))


def press_key(view, key, modifiers=Qt.KeyboardModifier.NoModifier, text: str = "") -> None:
    QApplication.sendEvent(view, QKeyEvent(QKeyEvent.Type.KeyPress, key, modifiers, text))


@pytest.fixture
def pane(qtbot) -> CanvasPane:
    widget = CanvasPane(CanvasState())
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    widget.state.load_document(photo())
    return widget


@pytest.fixture
def restore(pane, qtbot) -> RestorePanel:
    panel = RestorePanel(MODELS, pane.mask_tool)
    qtbot.addWidget(panel)
    return panel


def errors_of(widget) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    widget.error.connect(lambda title, message: errors.append((title, message)))
    return errors


# ----- the mask brush ------------------------------------------------------------------------------

def test_a_mouse_stroke_paints_the_mask_as_one_undo_step(pane, qtbot):
    view, tool = pane.view, pane.mask_tool
    pane.actions["mask_tool"].trigger()  # M
    assert tool.active and pane.actions["mask_tool"].isChecked()
    tool.set_size(10)
    tool.set_hardness(1.0)
    to_view = lambda x, y: view.map_from_canvas(QPointF(x, y))  # noqa: E731 - canvas == image pixels here
    depth = pane.state.undo_stack.index()
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, to_view(20, 30))
    assert tool.editing_layer_id is None and tool._stroke is not None  # first stroke: no mask layer yet
    for x in range(22, 62, 4):
        send_mouse(view, QMouseEvent.Type.MouseMove, to_view(x, 30))
    view.grab()  # the preview paints without error mid-stroke
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, to_view(60, 30))
    assert pane.state.undo_stack.index() == depth + 1
    mask = pane.mask_editor.current_mask()
    values = mask_values(mask.image)
    assert values[30, 20:60].min() == 255 and values[40, 40] == 0 and values[30, 10] == 0
    # a second stroke with the eraser takes part of it away, and undo brings it back
    press_key(view, Qt.Key.Key_X, text="x")
    assert tool.erase
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, to_view(40, 30))
    assert tool.editing_layer_id == mask.id  # the pane hides the layer while the tool draws its preview
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, to_view(40, 30))
    assert mask_values(pane.mask_editor.current_mask().image)[30, 40] == 0
    pane.state.undo_stack.undo()
    assert mask_values(pane.mask_editor.current_mask().image)[30, 40] == 255


def test_brush_keys_change_size_hardness_and_mode_and_the_panel_follows(pane, restore):
    tool, view = pane.mask_tool, pane.view
    pane.set_mask_tool(True)
    assert restore.tool_button.isChecked()
    tool.set_size(40)
    tool.set_hardness(0.5)
    press_key(view, Qt.Key.Key_BracketRight, text="]")
    assert tool.size == 50 and restore.size_spin.value() == 50
    press_key(view, Qt.Key.Key_BracketLeft, text="[")
    assert tool.size == 40
    press_key(view, Qt.Key.Key_BraceRight, Qt.KeyboardModifier.ShiftModifier, "}")
    assert tool.hardness == pytest.approx(0.6) and restore.hardness.value() == 60
    press_key(view, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ShiftModifier, "{")
    assert tool.hardness == pytest.approx(0.5)
    press_key(view, Qt.Key.Key_X, text="x")
    assert tool.erase and restore.eraser_button.isChecked()
    restore.brush_button.setChecked(True)
    assert not tool.erase
    restore.tool_button.setChecked(False)
    assert not tool.active and view.tool is None


def test_mask_buttons_invert_grow_hide_and_import(pane, restore, tmp_path):
    errors = errors_of(restore)
    editor = pane.mask_editor
    editor.stroke([(40.0, 30.0)], size=10, hardness=1.0)
    before = editor.current_values().copy()
    restore.invert_button.click()
    assert np.array_equal(editor.current_values(), 255 - before)
    restore.invert_button.click()
    restore.grow_spin.setValue(3)
    restore.grow_button.click()
    assert editor.current_values().sum() > before.sum()
    restore.shrink_button.click()
    assert np.array_equal(editor.current_values(), before)  # a disc grown then shrunk is the same disc
    restore.show_mask.setChecked(False)
    assert not editor.current_mask().visible
    pane.state.undo_stack.undo()
    assert restore.show_mask.isChecked()
    wrong = tmp_path / "wrong.png"
    Image.new("L", (40, 30), 255).save(wrong)
    assert not restore.import_mask(str(wrong))
    assert errors and "40×30" in errors[-1][1] and f"{W}×{H}" in errors[-1][1]
    right = tmp_path / "right.png"
    Image.new("L", (W, H), 255).save(right)
    assert restore.import_mask(str(right)) and editor.current_values().min() == 255
    restore.clear_button.click()
    assert not editor.current_values().any()


# ----- the Restore panel ---------------------------------------------------------------------------

def test_run_builds_the_spec_with_the_mask_only_when_asked(pane, restore):
    specs = []
    restore.submit_requested.connect(specs.append)
    errors = errors_of(restore)
    restore.set_task("denoise")
    assert [restore.model_combo.itemData(i) for i in range(restore.model_combo.count())] == ["drunet-test",
                                                                                             CLASSICAL]
    restore.strength.setValue(40)
    restore.submit()
    spec = specs[-1]
    assert isinstance(spec, RestoreSpec) and spec.mask is None and spec.model_id == "drunet-test"
    assert spec.strength == pytest.approx(0.4) and spec.image is pane.state.active_layer().image
    restore.only_mask.setChecked(True)
    restore.submit()  # no mask yet
    assert len(specs) == 1 and "mask tool" in errors[-1][1]
    pane.mask_editor.new_mask()
    restore.submit()  # an empty mask
    assert len(specs) == 1 and "the mask is empty" in errors[-1][1]
    pane.mask_editor.stroke([(10.0, 10.0)], size=6, hardness=1.0)
    restore.submit()
    assert specs[-1].mask is not None and specs[-1].mask[10, 10] == 255 and specs[-1].mask.shape == (H, W)
    restore.only_mask.setChecked(False)
    restore.model_combo.setCurrentIndex(restore.model_combo.findData(CLASSICAL))
    restore.submit()
    assert specs[-1].mask is None and specs[-1].model_id == CLASSICAL


def test_fill_always_uses_the_mask_and_colorize_without_a_model_says_so(pane, restore):
    specs = []
    restore.submit_requested.connect(specs.append)
    restore.set_task("inpaint")
    assert restore.only_mask.isChecked() and not restore.only_mask.isEnabled() and restore.run_button.text() == "Fill"
    pane.mask_editor.stroke([(30.0, 30.0)], size=8, hardness=1.0)
    restore.submit()
    assert specs[-1].task == "inpaint" and specs[-1].mask is not None
    restore.set_task("colorize")
    assert restore.strength_name.text() == "Color strength"
    assert not restore.run_button.isEnabled() and "No model" in restore.hint.text()


def test_run_without_an_image_explains(qtbot):
    pane = CanvasPane(CanvasState())
    qtbot.addWidget(pane)
    panel = RestorePanel(MODELS, pane.mask_tool)
    errors = errors_of(panel)
    panel.submit()
    assert errors == [("Cannot denoise", "Open, drop or paste an image first.")]


# ----- the Recipe panel ----------------------------------------------------------------------------

@pytest.fixture
def recipe(qtbot) -> RecipePanel:
    panel = RecipePanel(MODELS, UPSCALERS)
    qtbot.addWidget(panel)
    return panel


def build_chain(panel: RecipePanel) -> None:
    for task in ("scratches", "denoise", "colorize", "upscale"):
        panel.add_step(task)


def test_recipe_round_trips_through_save_and_load(recipe, tmp_path, monkeypatch):
    build_chain(recipe)
    recipe.name_edit.setText("old photo")
    recipe.steps.setCurrentRow(1)
    recipe.strength.setValue(60)
    recipe.steps.setCurrentRow(3)
    recipe.quality_combo.setCurrentIndex(recipe.quality_combo.findData("fidelity"))
    assert [recipe.model_combo.itemText(i) for i in range(recipe.model_combo.count())] == ["Default", "Faithful x2"]
    recipe.scale_combo.setCurrentIndex(recipe.scale_combo.findData(2))
    recipe.steps.item(2).setCheckState(Qt.CheckState.Unchecked)
    saved = recipe.build_recipe()
    path = tmp_path / "old-photo.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    recipe.save_button.click()
    data = json.loads(path.read_text())
    assert [s["task"] for s in data["steps"]] == ["scratches", "denoise", "colorize", "upscale"]
    assert data["steps"][1]["settings"] == {"strength": 0.6}
    assert data["steps"][3]["settings"] == {"scale": 2, "quality": "fidelity"} and not data["steps"][2]["enabled"]
    other = RecipePanel(MODELS, UPSCALERS)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    other.load_button.click()
    assert other.build_recipe() == saved and other.name_edit.text() == "old photo"
    assert other.steps.item(1).text() == "Denoise · 60 %"


def test_reorder_and_toggle_change_the_recipe(recipe):
    build_chain(recipe)
    recipe.steps.setCurrentRow(3)
    recipe.up_button.click()
    recipe.up_button.click()
    assert [s.task for s in recipe.build_recipe().steps] == ["scratches", "upscale", "denoise", "colorize"]
    recipe.down_button.click()
    assert [s.task for s in recipe.build_recipe().steps] == ["scratches", "denoise", "upscale", "colorize"]
    recipe.steps.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert [s.enabled for s in recipe.build_recipe().steps] == [False, True, True, True]
    recipe.steps.setCurrentRow(0)
    recipe.remove_button.click()
    assert [s.task for s in recipe.build_recipe().steps] == ["denoise", "upscale", "colorize"]


def test_a_bad_recipe_file_names_the_step_and_keeps_the_current_steps(recipe, tmp_path, monkeypatch):
    recipe.add_step("denoise")
    errors = errors_of(recipe)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"steps": [{"task": "denoise"}, {"task": "denoise", "settings": {"strength": 2}}]}))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    recipe.load_button.click()
    assert errors and "step 2 (denoise)" in errors[-1][1] and "strength" in errors[-1][1]
    assert recipe.steps.count() == 1
    bad.write_text("{not json")
    recipe.load_button.click()
    assert "not valid JSON" in errors[-1][1]


def test_apply_builds_recipe_specs_and_refuses_what_cannot_run(recipe, tmp_path):
    specs = []
    recipe.submit_requested.connect(specs.append)
    errors = errors_of(recipe)
    image = photo()
    recipe.image_provider = lambda: image
    recipe.mask_provider = lambda: None
    recipe.add_step("denoise")
    recipe.apply_button.click()
    assert isinstance(specs[-1], RecipeSpec) and specs[-1].image is image and specs[-1].mask is None
    recipe.add_step("inpaint")
    recipe.apply_button.click()
    assert len(specs) == 1 and "Step 2" in errors[-1][1] and "mask" in errors[-1][1]
    assert not recipe.apply_to_folder(str(tmp_path), str(tmp_path))
    recipe.steps.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert recipe.apply_to_folder(str(tmp_path / "in"), str(tmp_path / "out"))
    assert isinstance(specs[-1], RecipeBatchSpec) and specs[-1].output_dir == str(tmp_path / "out")


# ----- Faithful / Sharp upscaling --------------------------------------------------------------------

def test_upscale_look_filters_models_by_the_fidelity_tag(qtbot):
    panel = UpscalePanel(UPSCALERS)
    qtbot.addWidget(panel)
    assert panel.quality == "" and panel.selected_model().id == "sharp-x4"
    panel.set_quality("fidelity")
    assert [panel.model_combo.itemData(i) for i in range(panel.model_combo.count())] == ["faithful-x2"]
    assert panel.scale_group.checkedId() == 2
    panel.set_quality("perceptual")
    assert panel.selected_model().id == "sharp-x4"
    panel.select_model("faithful-x2")  # hidden by the filter: it widens to All
    assert panel.quality == "" and panel.selected_model().id == "faithful-x2"


# ----- through the window ----------------------------------------------------------------------------

def fake_engine(spec, token):
    """Stands in for the restoration engines: inverts (inside the mask), finds a bright line as scratches."""
    token.report(1, 2)
    if isinstance(spec, RestoreSpec):
        pixels = spec.image.pixels.copy()
        where = spec.mask > 127 if spec.mask is not None else np.ones(pixels.shape[:2], bool)
        pixels[where] = 255 - pixels[where]
        metadata = {"defect_mask": np.where(spec.image.pixels[..., 1] == 255, 255, 0).astype(np.uint8)}
        return ImageResult(ImageBuffer(pixels, f"{spec.image.name} {spec.task}", metadata), spec, "cpu", 0.01)
    if isinstance(spec, RecipeSpec):
        image, steps = spec.image, []
        for step in spec.recipe.steps:
            if step.enabled:
                image = ImageBuffer(255 - image.pixels, name=step.task)
                steps.append((step, image))
        return RecipeResult(tuple(steps), spec, 0.01)
    if isinstance(spec, RecipeBatchSpec):
        written, failed = [], []
        for path in sorted(Path(spec.input_dir).iterdir()):
            if path.name.startswith("bad"):
                failed.append((str(path), f"{path.name} is damaged"))
            else:
                written.append(str(Path(spec.output_dir) / path.name))
        return BatchReport(tuple(written), tuple(failed), spec, 0.02)
    raise TypeError(type(spec).__name__)


def make_window(qtbot, tmp_path, runner) -> MainWindow:
    window = MainWindow(JobController(runner), ModelStore(), "CPU", str(tmp_path), Settings())
    qtbot.addWidget(window)
    window.project.ask_save_changes = lambda: "discard"
    window.show()
    return window


@pytest.fixture
def window(qtbot, tmp_path, studio_home):
    w = make_window(qtbot, tmp_path, fake_engine)
    yield w
    w.controller.shutdown()
    w.project.shutdown()


def wait_jobs(qtbot, window, count: int) -> None:
    qtbot.waitUntil(lambda: len(window.controller.jobs) >= count
                    and all(r.state.finished for r in window.controller.jobs.values()), timeout=30000)
    record = window.controller.jobs[max(window.controller.jobs)]
    assert record.state is JobState.DONE, record.message


def test_restore_result_is_a_layer_compared_with_its_source(qtbot, window):
    window.canvas_state.load_document(photo())
    base = window.canvas_state.active_layer()
    window.canvas.mask_editor.stroke([(20.0, 20.0)], size=8, hardness=1.0)  # the mask is active now
    panel = window.restore_panel
    panel.only_mask.setChecked(True)
    panel.run_button.click()
    wait_jobs(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.canvas_state.active_layer().kind == "result", timeout=5000)
    result = window.canvas_state.active_layer()
    assert result.source_id == base.id and result.spec["type"] == "RestoreSpec"
    assert window.canvas_state.compare_pair() == (base, result)
    changed = np.any(result.image.pixels != base.image.pixels, axis=2)
    assert changed[20, 20] and not changed[40, 60]  # only inside the mask
    json.dumps(result.spec)  # saved with the project


def test_detected_scratches_become_an_editable_mask(qtbot, window):
    pixels = photo().pixels.copy()
    pixels[:, 33, 1] = 255  # a vertical "scratch"
    window.canvas_state.load_document(ImageBuffer(pixels, name="old"))
    base = window.canvas_state.active_layer()
    window.restore_panel.detect_button.click()
    wait_jobs(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.canvas_state.active_layer().kind == "mask", timeout=5000)
    mask = window.canvas_state.active_layer()
    assert mask.source_id == base.id and mask.name == "Scratches"
    assert mask_values(mask.image)[:, 33].min() == 255
    assert len(window.canvas_state.layers) == 2  # the filled photo of a detect run is not kept
    # Run now fills the mask as edited (detecting again would undo the user's edits)
    assert window.restore_panel.task == "inpaint" and window.restore_panel.run_button.text() == "Fill"


def test_recipe_steps_land_as_chained_layers_in_one_undo_step(qtbot, window):
    window.canvas_state.load_document(photo())
    base = window.canvas_state.active_layer()
    panel = window.recipe_panel
    for task in ("denoise", "jpeg", "colorize"):
        panel.add_step(task)
    panel.steps.item(1).setCheckState(Qt.CheckState.Unchecked)
    depth = window.undo_stack.index()
    panel.apply_button.click()
    wait_jobs(qtbot, window, 1)
    qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 3, timeout=5000)
    first, second = window.canvas_state.layers[1:]
    assert first.source_id == base.id and second.source_id == first.id  # compare shows each step alone
    # numbered as in the recipe: step 2 was skipped, so colorize is step 3
    assert second.name.endswith("3: Colorize (black & white photo)") and second.spec["step"] == 3
    json.dumps(second.spec)
    assert window.undo_stack.index() == depth + 1
    window.undo_stack.undo()
    assert len(window.canvas_state.layers) == 1


def test_folder_run_reports_each_failed_file(qtbot, window, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    for name in ("a.png", "bad.png", "c.png"):
        (source / name).write_bytes(b"")
    panel = window.recipe_panel
    panel.add_step("denoise")
    assert panel.apply_to_folder(str(source), str(tmp_path / "out"))
    wait_jobs(qtbot, window, 1)
    qtbot.waitUntil(lambda: getattr(window, "_last_batch_dialog", None) is not None, timeout=5000)
    dialog = window._last_batch_dialog
    assert "2 of 3" in dialog.summary.text()
    assert dialog.failures.topLevelItemCount() == 1
    assert dialog.failures.topLevelItem(0).text(0) == "bad.png"
    assert dialog.failures.topLevelItem(0).text(1) == "bad.png is damaged"


def test_classical_denoise_in_a_mask_through_the_real_engine(qtbot, tmp_path, studio_home):
    store = ModelStore()
    window = make_window(qtbot, tmp_path, JobRunner(store))
    try:
        noisy = photo().pixels.astype(np.int16) + np.random.default_rng(1).normal(0, 25, (H, W, 3)).astype(np.int16)
        window.canvas_state.load_document(ImageBuffer(noisy.clip(0, 255).astype(np.uint8), name="noisy"))
        base = window.canvas_state.active_layer()
        window.canvas.mask_editor.stroke([(10.0, 30.0), (40.0, 30.0)], size=16, hardness=1.0)
        panel = window.restore_panel
        panel.set_task("denoise")
        panel.model_combo.setCurrentIndex(panel.model_combo.findData(CLASSICAL))
        panel.only_mask.setChecked(True)
        panel.run_button.click()
        wait_jobs(qtbot, window, 1)
        qtbot.waitUntil(lambda: window.canvas_state.active_layer().kind == "result", timeout=5000)
        result = window.canvas_state.active_layer()
        assert result.source_id == base.id
        diff = np.abs(result.image.pixels.astype(int) - base.image.pixels.astype(int)).sum(axis=2)
        assert diff[28:33, 15:35].mean() > 10 and diff[50:, 60:].max() == 0  # changed inside, untouched far outside
    finally:
        window.controller.shutdown()
        window.project.shutdown()


def test_imported_generic_models_are_offered_and_the_recipe_panel_follows_model_changes(qtbot):
    """`models import` gives a same-size community model the task "restore" (spandrel cannot tell what it
    was trained for): it must be offered for every image-to-image task, but never for filling holes."""
    from types import SimpleNamespace

    from genai_studio.ui.window_restore import restore_choices

    def entry(model_id, task, default=False):
        manifest = SimpleNamespace(defaults={"default_for_task": default}, description=f"{model_id} model")
        return SimpleNamespace(id=model_id, name=model_id, task=task, builtin=default, manifest=manifest)

    entries = [entry("restore-denoise", "denoise", True), entry("my-scunet", "restore"),
               entry("restore-inpaint", "inpaint", True)]
    store = SimpleNamespace(list=lambda: list(entries))
    choices = restore_choices(store)
    assert [m.id for m in choices["denoise"]] == ["restore-denoise", "my-scunet"]  # the default stays first
    assert [m.id for m in choices["jpeg"]] == [m.id for m in choices["colorize"]] == ["my-scunet"]
    assert [m.id for m in choices["inpaint"]] == [m.id for m in choices["scratches"]] == ["restore-inpaint"]

    panel = RecipePanel(MODELS, UPSCALERS)
    qtbot.addWidget(panel)
    panel.add_step("jpeg")
    assert [panel.model_combo.itemData(i) for i in range(panel.model_combo.count())] == ["", CLASSICAL]
    panel.set_models(choices, UPSCALERS)  # what the window does after the Model Manager closes
    assert [panel.model_combo.itemData(i) for i in range(panel.model_combo.count())] == ["", "my-scunet", CLASSICAL]


def test_the_restore_panel_passes_the_scratch_sensitivity(qtbot):
    tool_state = CanvasState()
    from genai_studio.ui.canvas.pane import CanvasPane as Pane

    pane = Pane(tool_state)
    qtbot.addWidget(pane)
    tool_state.load_document(photo())
    panel = RestorePanel(MODELS, pane.mask_tool)
    qtbot.addWidget(panel)
    panel.editor = pane.mask_editor
    panel.set_task("scratches")
    panel.sensitivity.setValue(80)
    assert panel.build_spec().sensitivity == pytest.approx(0.8)


def test_a_result_never_lands_in_a_document_opened_while_its_job_ran(qtbot, tmp_path, studio_home):
    import threading

    release = threading.Event()

    def slow_engine(spec, token):
        release.wait(20)
        return fake_engine(spec, token)

    window = make_window(qtbot, tmp_path, slow_engine)
    try:
        window.canvas_state.load_document(photo(name="first"))
        window.restore_panel.run_button.click()  # denoise the whole first image
        window.canvas_state.load_document(photo(name="second"))  # the user opens another image meanwhile
        release.set()
        wait_jobs(qtbot, window, 1)
        qtbot.wait(50)
        assert [layer.name for layer in window.canvas_state.layers] == ["second"]
        assert "its result was not added" in window.statusBar().currentMessage()
        window.restore_panel.run_button.click()  # on the document it was started on, it lands as before
        wait_jobs(qtbot, window, 2)
        qtbot.waitUntil(lambda: len(window.canvas_state.layers) == 2, timeout=5000)
    finally:
        window.controller.shutdown()
        window.project.shutdown()
