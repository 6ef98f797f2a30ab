"""The Generate tab through the real window: a grid of results, unknown words shown, chosen images as layers."""

from __future__ import annotations

from dataclasses import replace

from genai_studio.core.jobs import JobState
from genai_studio.mediaio.images import read_provenance


def _wait_done(qtbot, window, count):
    qtbot.waitUntil(lambda: len(window.controller.jobs) >= count
                    and all(r.state.finished for r in window.controller.jobs.values()), timeout=60000)
    record = window.controller.jobs[max(window.controller.jobs)]
    assert record.state is JobState.DONE, record.message


def test_generate_shows_a_grid_and_adds_chosen_images_as_layers(qtbot, window):
    panel = window.generate_panel
    panel.prompt.setText("smiling cat zorblax")
    panel.count.setValue(4)
    panel.size.setValue(64)
    panel.generate()
    _wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: panel.results.count() == 4, timeout=5000)
    assert "Unknown (ignored): zorblax" in panel.words.text() and "cat" in panel.words.text()
    assert window.canvas_state.is_empty  # results wait in the panel until chosen
    assert not panel.add_button.isEnabled() and not panel.vary_button.isEnabled()  # nothing selected yet
    assert panel.gif_button.isEnabled() and panel.frames_button.isEnabled()
    panel.results.item(0).setSelected(True)
    assert panel.add_button.isEnabled() and panel.vary_button.isEnabled() and not panel.walk_button.isEnabled()
    panel.results.item(2).setSelected(True)
    assert panel.walk_button.isEnabled() and not panel.vary_button.isEnabled()
    panel.add_selected()
    layers = window.canvas_state.layers
    assert len(layers) == 2 and layers[0].image.width == 64
    # each layer carries the job that made it, so an exported file embeds its provenance
    assert layers[0].spec["type"] == "GenerateSpec" and layers[0].spec["prompt"] == "smiling cat zorblax"
    window.undo_stack.undo()
    assert window.canvas_state.is_empty  # both layers were one undo step


def test_bad_settings_and_empty_selection_are_reported(qtbot, window):
    errors = []
    window.generate_panel.error.connect(lambda title, message: errors.append(title))
    window.generate_panel.add_selected()
    window.generate_panel.prompt.setText("x" * 600)
    window.generate_panel.generate()
    assert errors == ["Nothing selected", "Cannot generate"] and not window.controller.jobs


def test_variations_stay_near_and_a_walk_exports_as_gif(qtbot, window, tmp_path):
    import numpy as np
    from PIL import Image

    panel = window.generate_panel
    panel.prompt.setText("red heart")
    panel.count.setValue(3)
    panel.size.setValue(64)
    panel.generate()
    _wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: panel.results.count() == 3, timeout=5000)
    first, third = panel._images[0], panel._images[2]
    panel.results.item(0).setSelected(True)
    panel.spread.setValue(0.2)
    panel.vary_selected()
    _wait_done(qtbot, window, 2)
    qtbot.waitUntil(lambda: panel._images[0] is not first, timeout=5000)
    near = np.mean([np.abs(im.to_float() - first.to_float()).mean() for im in panel._images])
    far = np.abs(third.to_float() - first.to_float()).mean()
    assert near < far / 2  # variations sit close to the chosen image
    panel.results.clearSelection()
    panel._images = [first, third]  # walk between the first and third originals
    shown = window.controller.jobs[max(window.controller.jobs)].result  # a real result, showing two images
    panel.show_result(replace(shown, images=(first, third)))
    panel.results.item(0).setSelected(True)
    panel.results.item(1).setSelected(True)
    panel.steps.setValue(5)
    panel.walk_selected()
    _wait_done(qtbot, window, 3)
    qtbot.waitUntil(lambda: panel.results.count() == 5, timeout=5000)
    assert panel.save_gif(str(tmp_path / "walk.gif"))
    assert Image.open(tmp_path / "walk.gif").n_frames == 8  # 5 frames there, 3 back
    assert panel.save_frames(str(tmp_path / "frames"))
    frames = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert frames == [f"frame-{i:03d}.png" for i in range(1, 6)]
    # each frame carries the walk that made it, as any export does
    assert read_provenance(tmp_path / "frames" / "frame-003.png")["job"]["type"] == "LatentWalkSpec"


def test_the_model_box_lists_built_in_generators_and_drives_the_job(qtbot, window):
    panel = window.generate_panel
    ids = [panel.model.itemData(i) for i in range(panel.model.count())]
    assert {"art-emoji-vae", "art-icons-vae"} <= set(ids)
    assert panel.model_id == "art-emoji-vae" and panel.guidance.value() == 3.0  # each model's own default
    panel.model.setCurrentIndex(ids.index("art-icons-vae"))
    assert panel.guidance.value() == 1.0
    assert "folder" in panel.prompt.toolTip()  # the hint lists the chosen model's words
    panel.prompt.setText("folder")
    panel.count.setValue(1)
    panel.size.setValue(64)
    panel.generate()
    _wait_done(qtbot, window, 1)
    assert window.controller.jobs[max(window.controller.jobs)].spec.model_id == "art-icons-vae"


def test_result_actions_wait_for_results(qtbot):
    from genai_studio.ui.panels.generate_panel import GeneratePanel

    panel = GeneratePanel()
    qtbot.addWidget(panel)
    buttons = (panel.add_button, panel.vary_button, panel.walk_button, panel.gif_button, panel.frames_button)
    assert not any(b.isEnabled() for b in buttons)
