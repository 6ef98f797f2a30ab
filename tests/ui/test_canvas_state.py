"""CanvasState: layer edits, undo/redo, active layer bookkeeping and the compare pair."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.media import ImageBuffer
from genai_studio.state.canvas_state import NO_LAYER, CanvasState


def img(name: str = "img", w: int = 4, h: int = 3, value: int = 0) -> ImageBuffer:
    return ImageBuffer(np.full((h, w, 3), value, np.uint8), name=name)


@pytest.fixture
def state(qapp) -> CanvasState:
    return CanvasState()


def names(state: CanvasState) -> list[str]:
    return [layer.name for layer in state.layers]


def test_starts_empty(state):
    assert state.is_empty and state.layers == [] and state.active_id is None
    assert state.active_layer() is None and state.compare_pair() is None


def test_add_and_undo_redo(state):
    changes, actives = [], []
    state.layers_changed.connect(lambda: changes.append(1))
    state.active_changed.connect(actives.append)
    base = state.load_document(img("base.png"))
    top = state.add_layer(img("top"), kind="result", source_id=base)
    assert names(state) == ["base.png", "top"]
    assert state.active_id == top and actives == [base, top]
    assert state.layer(top).source_id == base and state.layer(top).kind == "result"
    assert len(changes) == 2

    state.undo_stack.undo()
    assert names(state) == ["base.png"] and state.active_id == base
    state.undo_stack.undo()
    assert state.is_empty and state.active_id is None and actives[-1] == NO_LAYER
    state.undo_stack.redo()
    state.undo_stack.redo()
    assert names(state) == ["base.png", "top"] and state.active_id == top
    assert state.layer(top).id == top  # ids survive undo/redo


def test_load_document_replaces_everything_undoably(state):
    state.load_document(img("a"))
    state.add_layer(img("b"))
    new = state.load_document(img("c"))
    assert names(state) == ["c"] and state.active_id == new
    state.undo_stack.undo()
    assert names(state) == ["a", "b"]


def test_remove_selects_neighbour_and_undo_restores(state):
    a = state.load_document(img("a"))
    b = state.add_layer(img("b"))
    c = state.add_layer(img("c"))
    state.set_active(b)
    state.remove_layer(b)
    assert names(state) == ["a", "c"] and state.active_id == c
    state.remove_layer(c)  # top layer removed -> the one below becomes active
    assert state.active_id == a
    state.undo_stack.undo()
    state.undo_stack.undo()
    assert names(state) == ["a", "b", "c"] and state.active_id == b
    with pytest.raises(KeyError):
        state.remove_layer(999)


def test_active_is_consistent_inside_layers_changed(state):
    seen = []
    state.layers_changed.connect(lambda: seen.append(state.active_layer()))
    a = state.load_document(img("a"))
    state.remove_layer(a)  # a slot must never see an active id whose layer is gone
    assert seen[-1] is None


def test_rename_visibility_and_move_are_undoable(state):
    a = state.load_document(img("a"))
    b = state.add_layer(img("b"))
    state.rename_layer(a, "  renamed ")
    state.set_visible(b, False)
    state.move_layer(b, 0)
    assert names(state) == ["b", "renamed"]
    assert state.layer(b).visible is False
    state.rename_layer(a, "   ")  # blank names are ignored, no undo step
    assert state.undo_stack.count() == 5
    state.undo_stack.undo()
    assert names(state) == ["renamed", "b"]
    state.undo_stack.undo()
    assert state.layer(b).visible is True
    state.undo_stack.undo()
    assert state.layer(a).name == "a"


def test_set_active_validates(state):
    a = state.load_document(img("a"))
    state.add_layer(img("b"))
    state.set_active(a)
    assert state.active_layer().name == "a"
    with pytest.raises(KeyError):
        state.set_active(42)


def test_compare_pair_prefers_source_of_active(state):
    base = state.load_document(img("base"))
    other = state.add_layer(img("other"))
    result = state.add_layer(img("result"), kind="result", source_id=base)
    before, after = state.compare_pair()
    assert (before.id, after.id) == (base, result)
    # Without a source link: the two top-most visible layers.
    state.set_active(other)
    before, after = state.compare_pair()
    assert (before.id, after.id) == (other, result)
    state.set_visible(other, False)
    before, after = state.compare_pair()
    assert (before.id, after.id) == (base, result)


def test_compare_pair_never_shows_a_mask_layer(state):
    base = state.load_document(img("base"))
    result = state.add_layer(img("result"), kind="result", source_id=base)
    state.add_layer(img("mask"), kind="mask", source_id=result)  # e.g. detected scratches on the result
    before, after = state.compare_pair()
    assert (before.id, after.id) == (base, result)  # the mask's image layer stands in for it


def test_compare_pair_none_with_one_visible_layer(state):
    state.load_document(img("a"))
    assert state.compare_pair() is None
    b = state.add_layer(img("b"))
    state.set_visible(b, False)
    assert state.compare_pair() is None


def test_compare_pair_after_source_removed(state):
    base = state.load_document(img("base"))
    result = state.add_layer(img("r"), kind="result", source_id=base)
    state.remove_layer(base)
    assert state.compare_pair() is None
    assert state.layer(result).source_id == base  # the link is kept for when the source is restored
    state.undo_stack.undo()
    assert state.compare_pair()[0].id == base


def test_bad_arguments(state):
    with pytest.raises(ValueError, match="kind"):
        state.add_layer(img(), kind="sticker")
    with pytest.raises(KeyError):
        state.add_layer(img(), source_id=7)
    assert state.is_empty and state.undo_stack.count() == 0
