"""Random edit sequences across canvas and timeline: undoing returns every exact prior state, redo replays them."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QUndoStack

from genai_studio.core.media import AudioBuffer, ImageBuffer
from genai_studio.dsp.effects import EffectSpec
from genai_studio.state.canvas_state import CanvasState
from genai_studio.state.timeline_state import TimelineState

OPS = ("add_layer", "remove_layer", "rename", "toggle_visible", "move_layer", "add_clip", "move_clip",
       "remove_clip", "mute", "gain", "pan", "solo", "fades", "effects")
TRACK_OPS = ("mute", "gain", "pan", "solo", "effects")


def _state(canvas: CanvasState, timeline: TimelineState) -> tuple:
    """Everything a user could see, with pixel/sample arrays compared by identity (they are never copied)."""
    layers = tuple((l.id, l.name, l.kind, l.visible, l.source_id, id(l.image.pixels)) for l in canvas.layers)
    tracks = tuple((t.id, t.name, t.muted, t.gain, t.pan, t.solo, t.effects,
                    tuple((c.id, c.name, c.start_s, c.fade_in_s, c.fade_out_s, c.fade_curve, id(c.audio.samples))
                          for c in t.clips)) for t in timeline.tracks)
    return layers, canvas.active_id, tracks


def _apply(op: str, pick: int, canvas: CanvasState, timeline: TimelineState) -> None:
    layers, clips, tracks = canvas.layers, timeline.clips(), timeline.tracks
    if op == "add_layer" or (op in ("remove_layer", "rename", "toggle_visible", "move_layer") and not layers):
        canvas.add_layer(ImageBuffer(np.full((2, 2, 3), pick % 256, np.uint8)), f"L{pick}")
    elif op == "remove_layer":
        canvas.remove_layer(layers[pick % len(layers)].id)
    elif op == "rename":
        canvas.rename_layer(layers[pick % len(layers)].id, f"renamed {pick}")
    elif op == "toggle_visible":
        layer = layers[pick % len(layers)]
        canvas.set_visible(layer.id, not layer.visible)
    elif op == "move_layer":
        canvas.move_layer(layers[pick % len(layers)].id, pick % 3)
    elif op == "add_clip" or (op in ("move_clip", "remove_clip", "fades") and not clips) or (
            op in TRACK_OPS and not tracks):
        timeline.add_audio_clip(AudioBuffer(np.zeros((10, 1), np.float32), 8000, f"c{pick}"), start_s=pick / 10)
    elif op == "move_clip":
        timeline.move_clip(clips[pick % len(clips)].id, (pick % 7) * 0.25)
    elif op == "remove_clip":
        timeline.remove_clip(clips[pick % len(clips)].id)
    elif op == "mute":
        track = tracks[pick % len(tracks)]
        timeline.set_track_muted(track.id, not track.muted)
    elif op == "gain":
        timeline.set_track_gain(tracks[pick % len(tracks)].id, (pick % 5) / 2)
    elif op == "pan":
        timeline.set_track_pan(tracks[pick % len(tracks)].id, (pick % 5) / 2 - 1)
    elif op == "solo":
        track = tracks[pick % len(tracks)]
        timeline.set_track_solo(track.id, not track.solo)
    elif op == "fades":
        timeline.set_clip_fades(clips[pick % len(clips)].id, 0.0005 * (pick % 3), 0.0005 * (pick % 2),
                                ("equal_power", "linear")[pick % 2])
    elif op == "effects":
        chain = (EffectSpec("gain", {"gain_db": pick % 7 - 3}),) if pick % 3 else ()
        timeline.set_track_effects(tracks[pick % len(tracks)].id, chain)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 50)), min_size=1, max_size=25))
def test_undo_and_redo_walk_back_and_forth_through_exact_states(qapp, ops):
    stack = QUndoStack()
    canvas, timeline = CanvasState(undo_stack=stack), TimelineState(undo_stack=stack)
    states = [_state(canvas, timeline)]
    for op, pick in ops:
        index = stack.index()
        _apply(op, pick, canvas, timeline)
        if stack.index() != index:  # a no-op edit (same name, same gain…) records nothing
            states.append(_state(canvas, timeline))
    assert stack.count() == len(states) - 1
    for expected in reversed(states[:-1]):
        stack.undo()
        assert _state(canvas, timeline) == expected
    for expected in states[1:]:
        stack.redo()
        assert _state(canvas, timeline) == expected
