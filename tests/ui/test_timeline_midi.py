"""MIDI clips on the timeline: state (tempo, key, meter, undo), mixing through the synth, drawing, dragging,
opening in the piano roll, and the transport's tempo/key/meter controls."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette

from genai_studio.core.errors import BadInput
from genai_studio.core.music import Melody, Note
from genai_studio.runtime.playback import AudioPlayer
from genai_studio.state.project_binding import apply_document, document_from_state
from genai_studio.state.canvas_state import CanvasState
from genai_studio.state.timeline_state import EMPTY_CLIP_BEATS, MidiClip, TimelineState
from genai_studio.ui.timeline.midi_painting import midi_color
from genai_studio.ui.timeline.pane import TimelinePane

A4 = Melody((Note(69, 0.0, 2.0, 100),), name="a4")  # 440 Hz for two beats


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    mono = samples.mean(axis=1) * np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(mono))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[np.argmax(spectrum)])


# ----- state ---------------------------------------------------------------------------------------------
def test_midi_clip_follows_the_project_tempo_and_is_undoable():
    st = TimelineState(sample_rate=16000)
    clip_id = st.add_midi_clip(A4, start_s=0.5)
    clip = st.clip(clip_id)
    assert isinstance(clip, MidiClip) and st.midi_clips() == [clip] and st.audio_clips() == []
    assert clip.duration_s == pytest.approx(1.0) and st.duration_s == pytest.approx(1.5)  # 2 beats at 120
    st.set_tempo(60)
    assert st.clip(clip_id).melody.tempo_bpm == 60 and st.clip(clip_id).duration_s == pytest.approx(2.0)
    assert st.duration_s == pytest.approx(2.5)
    st.undo_stack.undo()
    assert st.tempo_bpm == 120 and st.clip(clip_id).melody is clip.melody

    edited = Melody(A4.notes + (Note(72, 2.0, 1.0),))
    st.set_clip_melody(clip_id, edited, "Add a C")
    assert st.undo_stack.undoText() == "Add a C" and st.clip(clip_id).melody.notes == edited.notes
    count = st.undo_stack.count()
    st.set_clip_melody(clip_id, st.clip(clip_id).melody)  # no change: no undo step
    assert st.undo_stack.count() == count
    st.undo_stack.undo()
    assert st.clip(clip_id).melody is clip.melody

    st.set_key("d maj")
    st.set_time_signature(" 6 / 8 ")
    assert (st.key, st.time_signature) == ("D major", "6/8")
    for bad in (lambda: st.set_key("H major"), lambda: st.set_time_signature("4/3"), lambda: st.set_tempo(0)):
        with pytest.raises(BadInput):
            bad()
    st.undo_stack.undo()
    st.undo_stack.undo()
    assert (st.key, st.time_signature) == ("C major", "4/4")
    audio_id = st.add_audio_clip(_tone())
    for wrong in (audio_id, "clip-none"):  # not a MIDI clip / no such clip
        with pytest.raises(KeyError):
            st.set_clip_melody(wrong, A4)


def test_empty_midi_clip_has_a_visible_length():
    st = TimelineState()
    clip = st.clip(st.add_midi_clip(Melody(name="empty")))
    assert clip.length_beats == EMPTY_CLIP_BEATS and clip.duration_s == pytest.approx(2.0)


def test_project_document_round_trip_keeps_midi_clips(qapp):
    canvas, st = CanvasState(), TimelineState()
    st.set_tempo(90)
    clip_id = st.add_midi_clip(A4, start_s=1.25, name="lead")
    doc = document_from_state(canvas, st)
    other = TimelineState()
    apply_document(doc, CanvasState(), other)
    clip = other.clip(clip_id)
    assert isinstance(clip, MidiClip) and clip.name == "lead" and clip.start_s == 1.25
    assert clip.melody == st.clip(clip_id).melody and other.tempo_bpm == 90


# ----- mixing (needs the synth) ------------------------------------------------------------------------------
def test_mix_renders_midi_clips_at_the_project_tempo():
    pytest.importorskip("genai_studio.dsp.synth")
    st = TimelineState(sample_rate=16000)
    st.add_midi_clip(A4, start_s=0.25)
    mix = st.mix()
    assert mix.shape == (int(1.25 * 16000), 2)
    assert np.abs(mix[: int(0.2 * 16000)]).max() < 1e-4  # silent before the clip
    assert dominant_hz(mix[int(0.35 * 16000): int(1.1 * 16000)], 16000) == pytest.approx(440, abs=6)
    st.set_tempo(60)  # two beats now last two seconds
    assert len(st.mix()) == int(2.25 * 16000)
    st.set_track_muted(st.tracks[0].id, True)
    assert np.abs(st.mix()).max() == 0.0


def test_metronome_clicks_on_the_beats():
    pytest.importorskip("genai_studio.dsp.synth")
    st = TimelineState(sample_rate=16000)
    st.add_midi_clip(Melody((Note(60, 0.0, 4.0, 1),)))
    plain, clicked = st.mix(), st.mix(metronome=True)
    assert plain.shape == clicked.shape
    extra = np.abs(clicked - plain).max(axis=1)
    beat = 8000  # frames per beat at 120 BPM
    for k in range(4):  # a click starts on every beat
        assert extra[k * beat: k * beat + 400].max() > 0.05
    assert extra[beat // 2 - 800: beat // 2 + 800].max() < 0.01  # and not between them


# ----- pane ------------------------------------------------------------------------------------------------
@pytest.fixture
def pane(qtbot):
    p = TimelinePane(TimelineState(), AudioPlayer())
    qtbot.addWidget(p)
    p.resize(1000, 320)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_midi_clip_is_drawn_with_its_notes_and_drags(pane, qtbot):
    melody = Melody((Note(60, 0.0, 1.0), Note(72, 1.0, 1.0), Note(60, 2.0, 2.0)))
    clip_id = pane.state.add_midi_clip(melody)
    qtbot.wait(10)
    rect = pane.view.clip_rect(clip_id)
    assert rect.width() == pytest.approx(200, abs=2)  # 4 beats at 120 BPM = 2 s at 100 px/s
    img = pane.view.viewport().grab().toImage()
    base = QColor(pane.view.palette().color(QPalette.ColorRole.Base)).rgb()
    assert QColor(img.pixel(rect.center().x(), rect.bottom() - 2)).rgb() != base  # the body is drawn
    high_row = rect.top() + 17  # the top pitch (72) sits right under the label
    low_row = rect.bottom() - 6  # the bottom pitch (60) near the bottom edge
    x_first, x_second = rect.left() + 25, rect.left() + 75  # inside note 0 and note 1 (beats 0.5 and 1.5)

    body = QColor(img.pixel(rect.left() + 25, rect.top() + 30)).lightness()

    def bar(x, y):  # how far the lightness near (x, y) differs from the clip body: a note bar stands out
        return max(abs(QColor(img.pixel(x, yy)).lightness() - body) for yy in range(y - 3, y + 4))

    assert bar(x_second, high_row) > 30 and bar(x_first, low_row) > 30
    assert bar(x_first, high_row) < 10  # no note there

    vp = pane.view.viewport()
    start = QPoint(rect.left() + 30, rect.center().y())
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, start + QPoint(60, 0))
    qtbot.mouseMove(vp, start + QPoint(100, 0))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(100, 0))
    assert pane.state.clip(clip_id).start_s == pytest.approx(1.0, abs=0.011)
    pane.state.undo_stack.undo()
    assert pane.state.clip(clip_id).start_s == 0.0
    assert midi_color(pane.palette()) != pane.palette().color(QPalette.ColorRole.Highlight)


def test_double_click_or_enter_opens_a_midi_clip(pane, qtbot):
    audio_id = pane.state.add_audio_clip(_tone())
    clip_id = pane.state.add_midi_clip(A4, start_s=0.5)
    opened = []
    pane.midi_clip_activated.connect(opened.append)
    vp = pane.view.viewport()
    qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=pane.view.clip_rect(clip_id).center())
    assert opened == [clip_id] and pane.view.selected_clip == clip_id
    qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=pane.view.clip_rect(audio_id).center())
    assert opened == [clip_id]  # audio clips have no piano roll
    pane.view.select_clip(clip_id)
    qtbot.keyClick(pane.view, Qt.Key.Key_Return)
    assert opened == [clip_id, clip_id]
    new_id = pane.new_midi_clip()
    assert opened[-1] == new_id and isinstance(pane.state.clip(new_id), MidiClip)


def test_new_midi_clips_never_share_a_name(pane):
    first = pane.new_midi_clip()
    pane.new_midi_clip()
    pane.state.remove_clip(first)
    pane.new_midi_clip()
    names = [c.name for c in pane.state.midi_clips()]
    assert len(set(names)) == len(names) == 2


def test_transport_tempo_key_and_meter_are_undoable_edits(pane):
    music, st = pane.music, pane.state
    music.tempo.setValue(96)
    assert st.tempo_bpm == 96 and st.undo_stack.count() == 1
    music.key.setCurrentText("E minor")
    music.key.activated.emit(music.key.currentIndex())
    music.meter.setCurrentText("6/8")
    music.meter.lineEdit().editingFinished.emit()
    assert (st.key, st.time_signature, st.undo_stack.count()) == ("E minor", "6/8", 3)
    errors = []
    pane.error.connect(lambda title, message: errors.append(message))
    music.meter.setCurrentText("5/3")
    music.meter.lineEdit().editingFinished.emit()
    assert errors and "'5/3' is not a usable time signature" in errors[0]
    assert music.meter.currentText() == "6/8"  # the refused text is replaced by what the project holds
    for _ in range(3):
        st.undo_stack.undo()
    assert (music.tempo.value(), music.key.currentText(), music.meter.currentText()) == (120, "C major", "4/4")
    assert "metronome" in pane.actions and pane.actions["metronome"].isCheckable()


def _tone():
    from genai_studio.core.media import AudioBuffer

    t = np.arange(48000) / 48000
    return AudioBuffer((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[:, None], 48000, "tone")
