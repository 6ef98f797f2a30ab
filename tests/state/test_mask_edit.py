"""Mask edits: stroke pixels (hardness fall-off, eraser), clear/invert/grow/shrink/import, one undo step each."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.core.media import ImageBuffer
from genai_studio.state.canvas_state import CanvasState
from genai_studio.mediaio.masks import mask_from_image
from genai_studio.state.mask_edit import MaskEditor, grow, mask_values, paint_stroke

W, H = 64, 48


@pytest.fixture
def editor(qapp) -> MaskEditor:
    state = CanvasState()
    pixels = np.random.default_rng(3).integers(0, 256, (H, W, 3), dtype=np.uint8)
    state.load_document(ImageBuffer(pixels, name="photo"))
    return MaskEditor(state)


def values(editor: MaskEditor) -> np.ndarray:
    return editor.current_values()


def test_a_hard_stroke_fills_its_core_and_antialiases_one_pixel_of_rim():
    mask = paint_stroke(np.zeros((H, W), np.uint8), [(10.0, 20.0), (40.0, 20.0)], size=10, hardness=1.0)
    # pixel centres are at .5: row 20 is 0.5 px from the line, row 24 is 4.5 px (radius 5 → coverage 0.5)
    assert mask[20, 10:41].min() == 255 and mask[17, 25] == 255
    assert mask[24, 25] == 128 and mask[15, 25] == 128  # 4.5 px from the line, symmetric above and below
    assert mask[25, 25] == 0 and mask[14, 25] == 0
    # round cap: column 5's centre is hypot(4.5, 0.5) = 4.53 px from the first point, column 4's 5.52 px
    assert mask[20, 5] == round(255 * (5 - np.hypot(4.5, 0.5))) and mask[20, 4] == 0


def test_a_soft_stroke_falls_off_linearly_to_the_radius():
    mask = paint_stroke(np.zeros((H, W), np.uint8), [(32.0, 20.0)], size=20, hardness=0.5)
    # radius 10, hard core 5, then linear: coverage = (10 - d) / 5
    for row, distance in ((20, 0.5), (24, 4.5), (26, 6.5), (28, 8.5), (30, 10.5)):
        expected = round(255 * min(max((10 - distance) / 5, 0.0), 1.0))
        assert abs(int(mask[row, 31]) - expected) <= 1 + (expected * 0.02), (row, mask[row, 31], expected)
    softer = paint_stroke(np.zeros((H, W), np.uint8), [(32.0, 20.0)], size=20, hardness=0.0)
    assert softer[24, 31] < mask[24, 31] and softer[20, 31] > 200  # hardness 0: a cone


def test_the_eraser_takes_paint_away_with_the_same_fall_off():
    full = np.full((H, W), 255, np.uint8)
    erased = paint_stroke(full, [(10.0, 20.0), (40.0, 20.0)], size=10, hardness=1.0, erase=True)
    assert erased[20, 10:41].max() == 0
    assert erased[24, 25] == 128  # the half-covered rim keeps half (127.5 rounds to even)
    assert erased[30, 25] == 255


def test_grow_and_shrink_by_a_disc():
    dot = np.zeros((21, 21), np.uint8)
    dot[10, 10] = 255
    grown = grow(dot, 3)
    yy, xx = np.mgrid[0:21, 0:21]
    assert np.array_equal(grown > 0, (yy - 10) ** 2 + (xx - 10) ** 2 <= 9)  # 29 lattice points
    assert np.array_equal(grow(grown, -3), dot)  # shrinking undoes growing a convex shape exactly
    assert np.array_equal(grow(dot, -1), np.zeros_like(dot))


def test_first_stroke_makes_a_mask_and_each_stroke_is_one_undo_step(editor):
    stack = editor.state.undo_stack
    base = editor.state.active_layer()
    mask_id = editor.stroke([(5.0, 5.0), (30.0, 5.0)], size=6, hardness=1.0)
    mask = editor.state.layer(mask_id)
    assert mask.kind == "mask" and mask.source_id == base.id and mask.size == (W, H)
    first = values(editor).copy()
    assert first[5, 10] == 255 and first[30, 10] == 0
    editor.stroke([(10.0, 30.0), (10.0, 40.0)], size=6, hardness=1.0)
    assert values(editor)[35, 10] == 255
    stack.undo()
    assert np.array_equal(values(editor), first)
    stack.undo()  # the first stroke and the mask it created go together
    assert [layer.kind for layer in editor.state.layers] == ["image"]
    stack.redo()
    stack.redo()
    assert values(editor)[35, 10] == 255 and values(editor)[5, 10] == 255


@pytest.mark.parametrize("op,check", [
    (lambda e: e.clear(), lambda before, after: not after.any()),
    (lambda e: e.invert(), lambda before, after: np.array_equal(after, 255 - before)),
    (lambda e: e.grow(2), lambda before, after: (after >= before).all() and after.sum() > before.sum()),
    (lambda e: e.grow(-2), lambda before, after: (after <= before).all() and after.sum() < before.sum()),
])
def test_each_mask_op_is_one_undoable_step(editor, op, check):
    editor.stroke([(20.0, 20.0), (40.0, 25.0)], size=12, hardness=0.6)
    before = values(editor).copy()
    depth = editor.state.undo_stack.index()
    op(editor)
    after = values(editor).copy()
    assert check(before, after)
    assert editor.state.undo_stack.index() == depth + 1
    editor.state.undo_stack.undo()
    assert np.array_equal(values(editor), before)
    editor.state.undo_stack.redo()
    assert np.array_equal(values(editor), after)


def test_ops_without_a_mask_explain_what_to_do(editor):
    with pytest.raises(BadInput, match="mask tool"):
        editor.invert()


def test_import_uses_alpha_of_a_cutout_or_luminance_and_refuses_another_size(editor):
    gray = np.zeros((H, W, 3), np.uint8)
    gray[10:20, 10:30] = 255
    editor.import_image(ImageBuffer(gray, name="white-box.png"))
    assert values(editor)[15, 15] == 255 and values(editor)[30, 30] == 0
    cutout = np.zeros((H, W, 4), np.uint8)
    cutout[..., :3] = 255  # white everywhere: only the alpha says where
    cutout[30:40, 5:15, 3] = 200
    editor.import_image(ImageBuffer(cutout, name="cutout.png"))
    assert values(editor)[35, 10] == 200 and values(editor)[15, 15] == 0
    assert len([layer for layer in editor.state.layers if layer.kind == "mask"]) == 1  # replaced, not added
    editor.state.undo_stack.undo()
    assert values(editor)[15, 15] == 255
    with pytest.raises(BadInput) as info:
        editor.import_image(ImageBuffer(np.zeros((10, 20, 3), np.uint8), name="small.png"))
    assert "20×10" in info.value.message and f"{W}×{H}" in info.value.message
    with pytest.raises(BadInput, match="no alpha"):
        mask_from_image(ImageBuffer(gray, name="g"), (W, H), source="alpha")


def test_the_mask_follows_its_image_through_results(editor):
    state = editor.state
    base = state.active_layer()
    mask_id = editor.stroke([(5.0, 5.0)], size=4, hardness=1.0)
    assert editor.target_image().id == base.id  # an active mask targets the image it was made for
    result = state.add_layer(ImageBuffer(np.zeros((H, W, 3), np.uint8), name="denoised"), kind="result",
                             source_id=base.id)
    assert editor.target_image().id == result and editor.current_mask().id == mask_id  # same size: reused
    state.add_layer(ImageBuffer(np.zeros((H * 2, W * 2, 3), np.uint8), name="big"), kind="result")
    assert editor.current_mask() is None  # no mask of that size
    assert mask_values(state.layer(mask_id).image)[5, 5] == 255
