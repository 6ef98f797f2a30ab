"""The Style panel builds the right StyleSpec; the window mixin lands the real result as a compared layer."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from genai_studio.core.art_jobs import STYLE_NAMES, StyleSpec
from genai_studio.core.jobs import JobState
from genai_studio.core.media import ImageBuffer
from genai_studio.runtime.controller import JobController
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore
from genai_studio.settings import Settings
from genai_studio.ui.main_window import MainWindow
from genai_studio.ui.panels.style_panel import FROM_IMAGE, StylePanel

PHOTO = ImageBuffer(np.ascontiguousarray(data.astronaut()[::8, ::8]), name="astronaut")  # 64×64


@pytest.fixture
def panel(qtbot) -> StylePanel:
    widget = StylePanel()
    qtbot.addWidget(widget)
    widget.image_provider = lambda: PHOTO
    return widget


def errors_of(widget) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    widget.error.connect(lambda title, message: errors.append((title, message)))
    return errors


def test_the_combo_lists_the_26_styles_and_from_an_image(panel):
    data_items = [panel.style_combo.itemData(i) for i in range(panel.style_combo.count())]
    assert [d for d in data_items if d in STYLE_NAMES] == list(STYLE_NAMES)
    assert data_items[-1] == FROM_IMAGE
    assert not panel.image_row.isVisibleTo(panel)


def test_named_style_strength_and_preserve_colours(panel, qtbot):
    panel.set_style("ember")
    panel.strength.setValue(40)
    panel.preserve_colors.setChecked(True)
    panel.device = "cpu"
    with qtbot.waitSignal(panel.submit_requested) as sent:
        panel.run_button.click()
    spec = sent.args[0]
    assert isinstance(spec, StyleSpec)
    assert (spec.image, spec.style, spec.style_image, spec.strength) == (PHOTO, "ember", None, 0.4)
    assert spec.preserve_colors and spec.mask is None and spec.device == "cpu"


def test_style_from_an_image(panel, tmp_path):
    errors = errors_of(panel)
    style = ImageBuffer(data.coffee()[::10, ::10].copy(), name="coffee")
    panel.set_style_image(style)
    assert panel.from_image and panel.image_row.isVisibleTo(panel)
    assert not panel.thumb.pixmap().isNull() and max(panel.thumb.pixmap().width(), panel.thumb.pixmap().height()) == 64
    spec = panel.build_spec()
    assert spec.style == "" and spec.style_image is style
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert not panel.load_style_image(str(bad))
    assert errors and "bad.png" in errors[0][1]
    assert panel.build_spec().style_image is style  # the previous style image is kept


def test_only_inside_the_mask_and_missing_inputs(panel):
    errors = errors_of(panel)
    panel.only_mask.setChecked(True)
    panel.submit()
    assert "no mask" in errors[-1][1]
    mask = np.zeros((64, 64), np.uint8)
    mask[10:30, 10:30] = 255
    panel.mask_provider = lambda: mask
    assert panel.build_spec().mask is mask
    panel.image_provider = lambda: None
    panel.submit()
    assert "Open, drop or paste an image" in errors[-1][1]
    panel.image_provider = lambda: PHOTO
    panel.style_combo.setCurrentIndex(panel.style_combo.findData(FROM_IMAGE))
    panel.submit()
    assert "Choose a style image" in errors[-1][1]


def test_the_result_lands_as_a_layer_compared_with_its_source(qtbot, tmp_path, studio_home):
    window = MainWindow(JobController(JobRunner(ModelStore())), ModelStore(), "CPU", str(tmp_path), Settings())
    qtbot.addWidget(window)
    window.project.ask_save_changes = lambda: "discard"
    try:
        window.canvas_state.load_document(PHOTO)
        base = window.canvas_state.active_layer()
        window.canvas.mask_editor.stroke([(20.0, 20.0)], size=12, hardness=1.0)
        window._show_style()
        window.style_panel.set_style("bold-primaries")
        window.style_panel.only_mask.setChecked(True)
        window.style_panel.run_button.click()
        qtbot.waitUntil(lambda: window.controller.jobs and all(r.state.finished
                                                               for r in window.controller.jobs.values()),
                        timeout=30000)
        record = window.controller.jobs[max(window.controller.jobs)]
        assert record.state is JobState.DONE, record.message
        qtbot.waitUntil(lambda: window.canvas_state.active_layer().kind == "result", timeout=5000)
        result = window.canvas_state.active_layer()
        assert result.source_id == base.id and result.spec["type"] == "StyleSpec"
        assert result.spec["style"] == "bold-primaries" and result.spec["mask"]["mask"] == "layer"
        changed = np.any(result.image.pixels != base.image.pixels, axis=2)
        assert changed[20, 20] and not changed[50:, 50:].any()
    finally:
        window.controller.shutdown()
        window.project.shutdown()
