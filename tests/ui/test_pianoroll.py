"""Piano roll: drawing, selecting and editing notes with the mouse and keys, one undo step per edit, key
highlighting, zoom and the loop region."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from genai_studio.core.music import Melody, Note
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.pianoroll import editing
from genai_studio.ui.pianoroll.geometry import GRIDS, KEYS_W, RULER_H, grid_lines, pitch_name
from genai_studio.ui.pianoroll.pane import OPEN_ERROR_TITLE, PianoRollPane
from genai_studio.ui.pianoroll.painting import row_colors

NoMod = Qt.KeyboardModifier.NoModifier
Shift = Qt.KeyboardModifier.ShiftModifier
Ctrl = Qt.KeyboardModifier.ControlModifier

MELODY = Melody((Note(62, 0.0, 1.0, 80), Note(64, 1.0, 0.5, 100), Note(66, 2.0, 1.0, 60)), name="tune")


@pytest.fixture
def roll(qtbot):
    state = TimelineState()
    state.set_key("D major")
    clip = state.add_midi_clip(MELODY, start_s=1.0)
    state.undo_stack.clear()
    pane = PianoRollPane(state)
    qtbot.addWidget(pane)
    pane.resize(900, 480)
    pane.show()
    qtbot.waitExposed(pane)
    assert pane.open_clip(clip)
    pane.view.center_on(0.0, 64)
    return pane


def melody(pane: PianoRollPane) -> Melody:
    return pane.timeline.midi_clip(pane.clip_id).melody


def point(pane: PianoRollPane, beat: float, pitch: int) -> QPoint:
    geo = pane.view.geometry_now()
    return QPoint(round(geo.x_of(beat)), round(geo.y_of(pitch) + geo.row_h / 2))


def drag(qtbot, pane: PianoRollPane, start: QPoint, end: QPoint, modifier=NoMod) -> None:
    vp = pane.view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, modifier, start)
    qtbot.mouseMove(vp, start + (end - start) / 2)
    qtbot.mouseMove(vp, end)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, end)


def one_undo_step(pane: PianoRollPane, edit, selected: set[int] | None = None) -> Melody:
    """Run ``edit``; check it made exactly one undo step (leaving ``selected`` selected, when given) and
    that undo/redo restore the exact melodies."""
    stack = pane.timeline.undo_stack
    before, index = melody(pane), stack.index()
    edit()
    after = melody(pane)
    if selected is not None:
        assert pane.view.selection == selected
    assert stack.index() == index + 1 and stack.count() == index + 1
    assert after != before
    stack.undo()
    assert melody(pane) is before
    stack.redo()
    assert melody(pane) is after
    return after


def key(pane: PianoRollPane, k: Qt.Key, mods=NoMod) -> None:
    QApplication.sendEvent(pane.view, QKeyEvent(QEvent.Type.KeyPress, k, mods))


# ----- drawing -----------------------------------------------------------------------------------------------
def test_drag_on_empty_space_draws_a_snapped_note(roll, qtbot):
    roll.set_grid("1/8")
    drag(qtbot, roll, point(roll, 4.1, 69), point(roll, 5.35, 69))
    assert roll.view.selection == {3}  # the new note is selected
    roll.view.set_velocity(45)  # so this edits it
    assert melody(roll).notes[3].velocity == 45
    roll.timeline.undo_stack.undo()
    roll.timeline.undo_stack.undo()
    assert melody(roll) == MELODY
    after = one_undo_step(roll, lambda: drag(qtbot, roll, point(roll, 4.1, 69), point(roll, 5.35, 69)))
    # start floors to the 1/8 grid (4.0); the end snaps to the nearest line (5.5): 1.5 beats long
    assert after.notes == MELODY.notes + (Note(69, 4.0, 1.5, 90),)

    roll.view.set_velocity(33)  # nothing selected: the velocity of notes drawn from now on
    vp = roll.view.viewport()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, NoMod, point(roll, 6.3, 71))  # a click: one grid step
    assert melody(roll).notes[-1] == Note(71, 6.0, 0.5, 33)


def test_draw_without_snap_keeps_the_exact_time(roll, qtbot):
    roll.actions["snap"].setChecked(False)
    roll.set_grid("1/4")
    x = roll.view.geometry_now().x_of(4.0) + 0.3 * roll.view.pixels_per_beat  # off every grid line
    start = QPoint(round(x), point(roll, 4, 60).y())
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, start)
    note = melody(roll).notes[-1]
    assert note.pitch == 60 and note.duration == 1.0
    assert note.start == pytest.approx(roll.view.geometry_now().beat_at(start.x()))
    assert note.start % 0.25 != 0


# ----- selecting ---------------------------------------------------------------------------------------------
def test_click_shift_click_and_rubber_band_select(roll, qtbot):
    vp = roll.view.viewport()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, NoMod, point(roll, 0.5, 62))
    assert roll.view.selection == {0}
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Shift, point(roll, 2.5, 66))
    assert roll.view.selection == {0, 2}
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Shift, point(roll, 0.5, 62))
    assert roll.view.selection == {2}
    roll.actions["tool_select"].trigger()
    drag(qtbot, roll, point(roll, 1.2, 67), point(roll, 2.2, 63))  # touches notes 1 and 2 only
    assert roll.view.selection == {1, 2}
    key(roll, Qt.Key.Key_Escape)
    assert roll.view.selection == frozenset()
    key(roll, Qt.Key.Key_A, Ctrl)
    assert roll.view.selection == {0, 1, 2}
    assert roll.timeline.undo_stack.count() == 0  # selecting is not an edit


# ----- editing: each one undo step ---------------------------------------------------------------------------
def test_move_by_drag_in_time_and_pitch(roll, qtbot):
    after = one_undo_step(roll, lambda: drag(qtbot, roll, point(roll, 0.3, 62), point(roll, 2.4, 65)))
    assert after.notes[0] == Note(65, 2.0, 1.0, 80)  # +2.1 beats snapped to +2, +3 semitones
    assert after.notes[1:] == MELODY.notes[1:]


def test_resize_by_dragging_the_right_edge(roll, qtbot):
    edge = point(roll, 1.0, 62) - QPoint(2, 0)  # just inside the end of note 0
    after = one_undo_step(roll, lambda: drag(qtbot, roll, edge, point(roll, 1.76, 62)))
    assert after.notes[0] == Note(62, 0.0, 1.75, 80)


def test_delete_with_key_and_right_click(roll, qtbot):
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, point(roll, 1.2, 64))
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_Delete))
    assert after.notes == (MELODY.notes[0], MELODY.notes[2])
    after = one_undo_step(roll, lambda: qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.RightButton, NoMod,
                                                         point(roll, 2.5, 66)))
    assert after.notes == (MELODY.notes[0],)


def test_copy_paste_after_selection_and_cut(roll, qtbot):
    roll.view._set_selection(frozenset({0, 1}))
    key(roll, Qt.Key.Key_C, Ctrl)
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_V, Ctrl), selected={3, 4})
    # pasted right after the selection's end (beat 1.5), keeping their spacing; the pasted notes are selected
    assert after.notes[3:] == (Note(62, 1.5, 1.0, 80), Note(64, 2.5, 0.5, 100))
    key(roll, Qt.Key.Key_Escape)
    roll.timeline.set_playhead(1.0 + 6 * 0.5)  # the clip starts at 1 s; 120 BPM: beat 6
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_V, Ctrl))
    assert after.notes[-2:] == (Note(62, 6.0, 1.0, 80), Note(64, 7.0, 0.5, 100))  # at the playhead
    roll.view._set_selection(frozenset({2}))
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_X, Ctrl))
    assert MELODY.notes[2] not in after.notes and len(after.notes) == 6


def test_quantize_with_strength(roll):
    roll.timeline.set_clip_melody(roll.clip_id, Melody((Note(60, 1.1, 0.5), Note(62, 2.3, 0.5))))
    roll.set_grid("1/16")
    roll.strength.setValue(50)
    roll.view._set_selection(frozenset({0, 1}))
    after = one_undo_step(roll, roll.actions["quantize"].trigger)
    assert [n.start for n in after.notes] == pytest.approx([1.05, 2.275])  # half-way to 1.0 and 2.25
    roll.set_grid("1/4")  # a quarter note (one beat); nothing selected: every note
    roll.view._set_selection(frozenset())
    after = one_undo_step(roll, lambda: roll.view.quantize(1.0))
    assert [n.start for n in after.notes] == [1.0, 2.0]
    assert [n.duration for n in after.notes] == [0.5, 0.5]


def test_transpose_semitone_octave_and_scale_lock(roll):
    roll.view._set_selection(frozenset({1}))  # E4 in D major
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_Up))
    assert after.notes[1].pitch == 65  # F: out of key, scale lock is off
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_Up, Shift))
    assert after.notes[1].pitch == 77 and after.notes[0] == MELODY.notes[0]
    roll.actions["scale_lock"].setChecked(True)
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_Up))
    assert after.notes[1].pitch == 78  # F#5 — the next note of D major
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_Down, Shift))
    assert after.notes[1].pitch == 66  # F#4: an octave keeps an in-key note in key
    roll.view._set_selection(frozenset({0}))
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_Down))
    assert after.notes[0].pitch == 61  # D down to C#, not C


def test_velocity_spin_box_edits_the_selection(roll):
    roll.view._set_selection(frozenset({0, 2}))
    assert roll.velocity.value() == 80  # shows the first selected note's velocity
    after = one_undo_step(roll, lambda: roll.velocity.setValue(33))
    assert [n.velocity for n in after.notes] == [33, 100, 33]


def test_nudge_moves_by_the_grid(roll):
    roll.set_grid("1/8T")
    roll.view._set_selection(frozenset({2}))
    after = one_undo_step(roll, lambda: key(roll, Qt.Key.Key_Right))
    assert after.notes[2].start == pytest.approx(2 + 1 / 3)


def test_undo_from_elsewhere_drops_the_selection_and_clip_removal_empties_the_roll(roll):
    roll.view._set_selection(frozenset({2}))
    roll.view.delete_selected()
    roll.view._set_selection(frozenset({0}))
    roll.timeline.undo_stack.undo()
    assert melody(roll).notes == MELODY.notes and roll.view.selection == frozenset()
    roll.timeline.remove_clip(roll.clip_id)
    assert roll.clip_id is None and roll.clip_label.text() == "No clip"
    errors = []
    roll.error.connect(lambda *args: errors.append(args))
    assert not roll.open_clip("clip-missing")
    assert errors[0][0] == OPEN_ERROR_TITLE


# ----- keys stay in the pane ---------------------------------------------------------------------------------
def test_edit_keys_override_window_shortcuts_and_actions_are_local(roll):
    for k, mods in ((Qt.Key.Key_Delete, NoMod), (Qt.Key.Key_V, Ctrl), (Qt.Key.Key_Up, Shift)):
        event = QKeyEvent(QEvent.Type.ShortcutOverride, k, mods)
        event.ignore()
        QApplication.sendEvent(roll.view, event)
        assert event.isAccepted(), k  # the roll takes the key before any window-wide shortcut
    event = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_Space, NoMod)
    event.ignore()
    QApplication.sendEvent(roll.view, event)
    assert not event.isAccepted()  # Space stays the transport's
    assert {a.shortcutContext() for a in roll.actions.values()} == {Qt.ShortcutContext.WidgetWithChildrenShortcut}


# ----- display -----------------------------------------------------------------------------------------------
def test_d_major_rows_are_highlighted(roll):
    geo = roll.view.geometry_now()
    img = roll.view.viewport().grab().toImage()
    x = round(geo.x_of(1.6))  # between grid lines, inside the clip, clear of the notes

    def row(pitch: int) -> int:
        return QColor(img.pixel(x, round(geo.y_of(pitch) + geo.row_h / 2))).rgb()

    colors = row_colors(roll.view.palette())
    in_key = [row(p) for p in (64, 66, 67, 69, 71, 73)]  # E F# G A B C#
    out = [row(p) for p in (63, 65, 68, 70, 72)]  # Eb F Ab Bb C
    assert set(in_key) == {colors.in_key.rgb()} and set(out) == {colors.out_of_key.rgb()}
    assert row(62) == row(74) == colors.tonic.rgb()  # D
    assert len({colors.tonic.rgb(), colors.in_key.rgb(), colors.out_of_key.rgb()}) == 3

    roll.timeline.set_key("F major")  # the rows follow the project key
    img = roll.view.viewport().grab().toImage()
    assert row(65) == colors.tonic.rgb() and row(66) == colors.out_of_key.rgb() and row(70) == colors.in_key.rgb()


def test_notes_are_drawn_with_velocity_colours(roll):
    img = roll.view.viewport().grab().toImage()
    centre = [roll.view.note_rect(i).center() for i in range(3)]
    colors = [QColor(img.pixel(c)) for c in centre]
    background = row_colors(roll.view.palette())
    assert all(c.rgb() not in (background.in_key.rgb(), background.tonic.rgb()) for c in colors)
    assert colors[1].value() > colors[0].value() > colors[2].value()  # velocities 100 > 80 > 60


def test_loop_region_by_dragging_in_the_ruler(roll, qtbot):
    regions = []
    roll.view.loop_region_changed.connect(regions.append)
    y = RULER_H // 2
    geo = roll.view.geometry_now()
    drag(qtbot, roll, QPoint(round(geo.x_of(1.1)), y), QPoint(round(geo.x_of(3.9)), y))
    assert roll.loop_region() == (1.0, 4.0) and regions == [(1.0, 4.0)]
    assert roll.timeline.undo_stack.count() == 0
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, QPoint(round(geo.x_of(2.0)), y))
    assert roll.loop_region() is None and regions[-1] is None
    assert roll.timeline.playhead_s == pytest.approx(1.0 + 2 * 0.5)  # a ruler click moves the playhead


def test_zoom_with_wheel_and_buttons(roll):
    view = roll.view
    ppb, row_h = view.pixels_per_beat, view.row_height
    anchor = QPointF(KEYS_W + 200, RULER_H + 100)
    beat = view.geometry_now().beat_at(anchor.x())

    def wheel(mods):
        view.wheelEvent(QWheelEvent(anchor, anchor, QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton, mods,
                                    Qt.ScrollPhase.NoScrollPhase, False))

    wheel(Ctrl)
    assert view.pixels_per_beat == pytest.approx(ppb * 1.25) and view.row_height == row_h
    assert view.geometry_now().beat_at(anchor.x()) == pytest.approx(beat, abs=0.02)
    wheel(Ctrl | Shift)
    assert view.row_height == pytest.approx(row_h * 1.25)
    roll.actions["zoom_out"].trigger()
    roll.actions["zoom_out_v"].trigger()
    assert view.pixels_per_beat == pytest.approx(ppb) and view.row_height == pytest.approx(row_h)


# ----- pure helpers ------------------------------------------------------------------------------------------
def test_grid_lines_follow_the_meter():
    from genai_studio.core.music import Meter

    lines = dict(grid_lines(0, 6, GRIDS["1/8"], Meter(6, 8), ppb=80))
    assert lines[0.0] == 0 and lines[3.0] == 0  # bars every 3 beats
    assert lines[1.5] == 1 and lines[4.5] == 1  # dotted-quarter pulses
    assert lines[0.5] == 2
    assert 0.5 not in dict(grid_lines(0, 6, GRIDS["1/8"], Meter(6, 8), ppb=4))  # too dense: bars only
    assert pitch_name(60) == "C4" and pitch_name(61) == "C#4"


def test_editing_functions_keep_melodies_valid():
    notes = (Note(1, 0.25, 0.5), Note(126, 1.0, 0.5))
    everything = frozenset({0, 1})
    assert editing.move(notes, everything, -5.0, 10) == (Note(2, 0.0, 0.5), Note(127, 0.75, 0.5))  # clamped
    assert editing.resize(notes, everything, -3.0, 0.25)[0].duration == 0.25
    assert editing.transpose(notes, everything, 12)[1] == notes[1]  # would leave 0..127: stays
    Melody(editing.set_velocity(notes, everything, 500))  # clamped to 127, still a valid melody
