"""Piano roll and sound: the loop region drives looped playback, the GM instrument chooser, note previews."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from genai_studio.core import gm_instruments as gm
from genai_studio.core.music import Melody
from genai_studio.dsp import synth
from genai_studio.runtime import playback
from genai_studio.runtime.playback import AudioPlayer
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.pianoroll import preview as preview_mod
from genai_studio.ui.pianoroll.geometry import RULER_H
from genai_studio.ui.pianoroll.instrument_combo import PROGRAM_ROLE
from genai_studio.ui.pianoroll.pane import PianoRollPane
from genai_studio.ui.timeline.pane import TimelinePane
from tests.runtime.test_playback import _fake_sd
from tests.ui.test_pianoroll import MELODY, drag, melody, point

NoMod = Qt.KeyboardModifier.NoModifier
SR = 48000  # the project rate
CLIP_START_S = 1.0  # the clip sits at 1 s; 120 BPM → 0.5 s per beat


@pytest.fixture
def studio(qtbot, monkeypatch):
    """A timeline and a piano roll on one shared player (a fake sound device), wired like the main window."""
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    state = TimelineState()
    clip = state.add_midi_clip(MELODY, start_s=CLIP_START_S)
    state.undo_stack.clear()
    window = QWidget()
    player = AudioPlayer(window)
    timeline = TimelinePane(state, player)
    roll = PianoRollPane(state)
    layout = QVBoxLayout(window)
    layout.addWidget(timeline)
    layout.addWidget(roll)
    for action in timeline.actions.values():
        window.addAction(action)  # as the main window does: Space works wherever focus is
    # The main-window hookup under test:
    roll.loop_seconds_changed.connect(timeline.set_loop_seconds)
    roll.set_preview_player(player)
    qtbot.addWidget(window)
    window.resize(1000, 800)
    window.show()
    qtbot.waitExposed(window)
    assert roll.open_clip(clip)
    roll.view.center_on(0.0, 64)
    return _Studio(state, timeline, roll, player, sd, window)


class _Studio:
    def __init__(self, state, timeline, roll, player, sd, window):
        self.state, self.timeline, self.roll, self.player, self.sd, self.window = (
            state, timeline, roll, player, sd, window)

    @property
    def stream(self):
        return self.sd.OutputStream.instances[-1]


def ruler_drag(qtbot, roll: PianoRollPane, first_beat: float, last_beat: float) -> None:
    geo, y = roll.view.geometry_now(), RULER_H // 2
    drag(qtbot, roll, QPoint(round(geo.x_of(first_beat)), y), QPoint(round(geo.x_of(last_beat)), y))


# ----- the GM table ------------------------------------------------------------------------------------------
def test_gm_table_has_128_instruments_in_16_families_and_agrees_with_pretty_midi():
    pretty_midi = pytest.importorskip("pretty_midi")
    assert len(gm.INSTRUMENTS) == 128 and len(set(gm.INSTRUMENTS)) == 128 and len(gm.FAMILIES) == 16

    def plain(name: str) -> str:  # pretty_midi spells two names differently ("Lead 4 chiff", "Blown bottle")
        return name.replace("(", "").replace(")", "").casefold()

    for program in range(128):
        assert plain(gm.instrument_name(program)) == plain(pretty_midi.program_to_instrument_name(program))
        assert gm.family_of(program) == pretty_midi.program_to_instrument_class(program)
        assert gm.program_of(f"  {gm.instrument_name(program).upper()} ") == program
    assert gm.family_programs("Strings") == range(40, 48) and gm.display_number(40) == 41
    assert gm.program_of("Kazoo") is None
    with pytest.raises(ValueError):
        gm.instrument_name(128)


# ----- loop playback -----------------------------------------------------------------------------------------
def test_loop_drawn_in_the_piano_roll_repeats_on_space_and_clearing_it_plays_on(studio, qtbot):
    st, roll, timeline, player = studio.state, studio.roll, studio.timeline, studio.player
    loops = []
    roll.loop_seconds_changed.connect(lambda a, b: loops.append((a, b)))
    ruler_drag(qtbot, roll, 1.1, 2.9)  # beats 1..3 of the clip
    lo, hi = CLIP_START_S + 1 * 0.5, CLIP_START_S + 3 * 0.5  # = 1.5 s .. 2.5 s of project time
    assert roll.loop_seconds() == (lo, hi) and loops == [(lo, hi)]
    assert timeline.loop_s == (lo, hi)

    roll.view.setFocus()
    qtbot.keyClick(roll.view, Qt.Key.Key_Space)  # Play, pressed in the piano roll
    assert timeline.is_playing and player.loop_s == (lo, hi)
    assert st.playhead_s == pytest.approx(lo)  # the playhead (0 s) was outside the loop: starts at its start
    mix = st.mix()
    a, b = round(lo * SR), round(hi * SR)
    heard = np.concatenate([studio.stream.pull(n) for n in (30000, 40000, 50000)])  # 2.5 s: two jumps back
    k = np.arange(len(heard)) + a
    np.testing.assert_array_equal(heard, mix[np.where(k < b, k, a + (k - b) % (b - a))])
    with qtbot.waitSignal(st.playhead_changed, timeout=1000):
        pass
    assert lo <= st.playhead_s < hi  # the playhead follows the wrapped position

    stream = studio.stream
    geo = roll.view.geometry_now()
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod,
                     QPoint(round(geo.x_of(1.9)), RULER_H // 2))  # a click in the ruler clears the loop
    assert loops[-1] == (None, None) and timeline.loop_s is None and player.loop_s is None
    assert studio.stream is stream and timeline.is_playing  # no restart: it just plays on from where it is
    position = player.position_s
    np.testing.assert_array_equal(stream.pull(4800), mix[round(position * SR): round(position * SR) + 4800])
    timeline.stop()


def test_a_loop_set_or_moved_during_playback_and_one_past_the_end(studio, qtbot):
    st, roll, timeline, player = studio.state, studio.roll, studio.timeline, studio.player
    timeline.play()
    first = studio.stream
    ruler_drag(qtbot, roll, 0.1, 1.9)  # set while playing: 1.0 s .. 2.0 s, inside the mix
    assert player.loop_s == (1.0, 2.0) and studio.stream is first  # applied to the stream, no restart
    st.set_tempo(60.0)  # 1 s per beat: the same beats are now 1.0 s .. 3.0 s
    assert timeline.loop_s == (1.0, 3.0) and player.loop_s == (1.0, 3.0)
    beyond = st.midi_clips()[0].length_beats + 3.5  # beats of silence past the last note
    roll.view.set_loop_region((2.0, beyond))
    end_s = CLIP_START_S + beyond * 1.0
    assert end_s > st.mix_end_s and player.loop_s == (3.0, end_s)
    assert studio.stream is not first  # restarted with a mix long enough to hold the loop
    to_end = round((end_s - player.position_s) * SR)
    out = studio.stream.pull(to_end + 4800)  # through the silence up to the loop's end, and back to its start
    assert studio.stream.active
    np.testing.assert_array_equal(out[to_end:], st.mix()[3 * SR: 3 * SR + 4800])
    timeline.stop()
    st.set_playhead(0.0)
    timeline.play()
    assert st.playhead_s == pytest.approx(3.0) and player.loop_s == (3.0, end_s)
    timeline.stop()
    st.set_playhead(4.0)  # inside the loop: play starts at the playhead, not at the loop start
    timeline.play()
    assert player.position_s == pytest.approx(4.0)
    timeline.stop()


def test_a_hidden_piano_roll_does_not_loop(studio, qtbot):
    roll, timeline = studio.roll, studio.timeline
    ruler_drag(qtbot, roll, 1.1, 2.9)
    assert timeline.loop_s == (1.5, 2.5)
    roll.hide()
    assert timeline.loop_s is None and roll.loop_region() == (1.0, 3.0)  # kept, just not playing
    roll.show()
    assert timeline.loop_s == (1.5, 2.5)
    roll.open_clip(None)
    assert timeline.loop_s is None


# ----- instrument --------------------------------------------------------------------------------------------
def test_instrument_change_is_one_undo_step_and_rerenders_the_clip(studio):
    st, roll = studio.state, studio.roll
    combo = roll.instrument
    assert combo.program == 0 and combo.currentText() == "Acoustic Grand Piano"
    before_mix, stack = st.mix(), st.undo_stack
    combo.choose(40)
    assert melody(roll).program == 40 and melody(roll).notes == MELODY.notes
    assert stack.count() == 1 and stack.undoText() == "Change instrument"
    assert not np.allclose(st.mix(), before_mix, atol=1e-3)  # heard with the new instrument
    assert "Violin" in roll.clip_label.toolTip()
    stack.undo()
    assert melody(roll).program == 0 and combo.currentText() == "Acoustic Grand Piano"  # the combo follows
    np.testing.assert_array_equal(st.mix(), before_mix)
    stack.redo()
    assert combo.program == 40 and combo.currentText() == "Violin"
    combo.choose(40)  # the same instrument again: no edit
    assert stack.count() == 1


def test_instrument_combo_is_grouped_and_searchable(studio, qtbot):
    roll, stack = studio.roll, studio.state.undo_stack
    combo = roll.instrument
    model = combo.model()
    assert model.rowCount() == 128 + 16
    assert model.item(0).text() == "Piano" and not model.item(0).isEnabled()  # a heading, not a choice
    assert combo.itemData(combo.findText("Violin"), PROGRAM_ROLE) == 40
    strings = [combo.itemText(r) for r in range(combo.findText("Strings"), combo.findText("Strings") + 9)]
    assert strings == ["Strings", *gm.INSTRUMENTS[40:48]]

    search = combo.searcher
    search.setCompletionPrefix("brass")  # a family name finds its instruments; anywhere in the text
    found = [search.completionModel().index(r, 0).data() for r in range(search.completionModel().rowCount())]
    assert "Trumpet — Brass" in found and "Synth Brass 1 — Brass" in found and len(found) == 8

    line = combo.lineEdit()
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, "viola")
    popup = search.popup()
    assert popup.isVisible() and popup.model().index(0, 0).data() == "Viola — Strings"
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert melody(roll).program == 41 and stack.count() == 1
    qtbot.waitUntil(lambda: combo.currentText() == "Viola", timeout=1000)  # the plain name, not the result

    line.selectAll()
    qtbot.keyClicks(line, "cello")  # the search list shows "Cello — Strings", nothing highlighted
    qtbot.keyClick(search.popup() if search.popup().isVisible() else line, Qt.Key.Key_Return)  # exact name + Enter
    assert melody(roll).program == 42 and stack.count() == 2  # one edit, though Enter reaches two handlers
    line.selectAll()
    qtbot.keyClicks(line, "no such thing")
    search.popup().hide()
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert melody(roll).program == 42 and stack.count() == 2 and combo.currentText() == "Cello"


# ----- note preview ------------------------------------------------------------------------------------------
class _FakePlayer:
    """Records what would be played; ``busy`` makes it look like the transport is playing."""

    def __init__(self, busy: bool = False, busy_with_preview: bool = False) -> None:
        self.is_playing, self.is_preview = busy or busy_with_preview, busy_with_preview
        self.plays: list[tuple[np.ndarray, int, dict]] = []

    def play(self, samples, sample_rate, start_s=0.0, **kw):
        self.plays.append((samples, sample_rate, kw))
        self.is_playing, self.is_preview = True, bool(kw.get("preview"))
        return True


@pytest.fixture
def renders(monkeypatch):
    """Every render the preview asks for (made with the numpy synth, so the test needs no SoundFont)."""
    calls: list[Melody] = []

    def render(melody, sample_rate=48000, program=None, soundfont=None):
        calls.append(melody)
        return synth.render_builtin(melody, sample_rate, program)

    monkeypatch.setattr(preview_mod, "render_melody", render)
    return calls


def test_drawing_a_note_plays_one_short_preview_of_its_pitch_with_the_clips_instrument(studio, qtbot, renders):
    roll = studio.roll
    roll.instrument.choose(73)  # Flute
    fake = _FakePlayer()
    roll.set_preview_player(fake)
    drag(qtbot, roll, point(roll, 4.1, 69), point(roll, 5.6, 69))  # draw and lengthen: still one note
    assert melody(roll).notes[-1].pitch == 69
    assert len(renders) == 1 and len(fake.plays) == 1
    (note,) = renders[0].notes
    assert note.pitch == 69 and renders[0].program == 73
    samples, rate, kw = fake.plays[0]
    assert rate == SR and kw == {"preview": True} and samples.shape[1] == 2
    assert len(samples) == pytest.approx((preview_mod.PREVIEW_S + preview_mod.TAIL_S) * SR, abs=2)
    assert np.abs(samples[: int(0.2 * SR)]).max() > 0.01 and np.abs(samples[-10:]).max() < 1e-3  # faded out

    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, point(roll, 7.1, 69))
    assert len(fake.plays) == 2 and len(renders) == 1  # same pitch and instrument: the cached render


def test_dragging_a_note_to_other_pitches_previews_each_new_pitch_only(studio, qtbot, renders):
    roll = studio.roll
    fake = _FakePlayer()
    roll.set_preview_player(fake)
    drag(qtbot, roll, point(roll, 0.3, 62), point(roll, 2.3, 62))  # in time only: silent
    assert fake.plays == [] and melody(roll).notes[0].start == 2.0
    drag(qtbot, roll, point(roll, 2.3, 62), point(roll, 2.3, 64))  # via 63 (half-way) to 64
    assert [m.notes[0].pitch for m in renders] == [63, 64] and len(fake.plays) == 2
    assert melody(roll).notes[0].pitch == 64


@pytest.mark.parametrize("case", ["transport playing", "toggle off", "no player"])
def test_no_preview_while_playing_or_when_switched_off(studio, qtbot, renders, case):
    roll = studio.roll
    fake = _FakePlayer(busy=case == "transport playing")
    roll.set_preview_player(None if case == "no player" else fake)
    if case == "toggle off":
        roll.preview_check.click()
        assert not roll.preview_check.isChecked()
    drag(qtbot, roll, point(roll, 4.1, 69), point(roll, 5.6, 69))
    assert melody(roll).notes[-1].pitch == 69  # the note is drawn all the same
    assert renders == [] and fake.plays == []


def test_a_preview_may_cut_a_preview_short(studio, qtbot, renders):
    fake = _FakePlayer(busy_with_preview=True)
    studio.roll.set_preview_player(fake)
    qtbot.mouseClick(studio.roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, point(studio.roll, 4.1, 60))
    assert len(fake.plays) == 1


def test_a_preview_on_the_shared_player_leaves_the_transport_alone(studio, qtbot, renders):
    st, roll, timeline, player = studio.state, studio.roll, studio.timeline, studio.player
    st.set_playhead(3.0)
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, point(roll, 4.1, 60))
    assert player.is_playing and player.is_preview and not timeline.is_playing
    assert timeline.actions["play_stop"].text() == "&Play"
    studio.stream.pull(4800)
    qtbot.wait(80)  # position ticks arrive; the playhead must not follow a preview
    studio.stream.pull(SR)  # to its end
    with qtbot.waitSignal(player.finished, timeout=1000):
        pass
    assert st.playhead_s == 3.0
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, point(roll, 5.1, 62))
    assert player.is_preview
    timeline.toggle_play()  # Play during a preview: the transport takes over
    assert timeline.is_playing and not player.is_preview
    assert st.playhead_s == 3.0 and player.position_s == pytest.approx(3.0)
    timeline.stop()


def test_a_preview_without_sound_output_says_why_once_and_switches_itself_off(studio, qtbot, monkeypatch, renders):
    roll, timeline = studio.roll, studio.timeline
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _fake_sd(devices_ok=False))
    statuses, boxes = [], []
    roll.status.connect(statuses.append)
    timeline.error.connect(lambda title, message: boxes.append(message))
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, point(roll, 4.1, 60))
    assert statuses == [f"Note preview: {playback.NO_DEVICE_MESSAGE}"] and boxes == []  # no message box
    assert not roll.preview_check.isChecked() and not studio.player.is_playing
    qtbot.mouseClick(roll.view.viewport(), Qt.MouseButton.LeftButton, NoMod, point(roll, 5.1, 62))
    assert len(renders) == 1 and len(statuses) == 1  # not tried again on every note
    assert len(melody(roll).notes) == len(MELODY.notes) + 2  # drawing works all the same
