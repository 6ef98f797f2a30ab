"""Timeline state (edits, undo, mix) and pane (import, waveform drawing, dragging, playhead, playback)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage, QPalette, QWheelEvent

from genai_studio.core.media import AudioBuffer
from genai_studio.runtime import playback
from genai_studio.runtime.playback import NO_DEVICE_MESSAGE, AudioPlayer
from genai_studio.state.timeline_clips import pan_gains
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.timeline.geometry import HEADER_W, LANE_H, RULER_H
from genai_studio.ui.timeline.painting import PLAYHEAD_COLOR
from genai_studio.ui.timeline.pane import IMPORT_ERROR_TITLE, PLAYBACK_ERROR_TITLE, TimelinePane


CENTRE = pan_gains(0.0)[0]  # a centred track reaches each side at unity


def buf(value, seconds: float, sr: int, channels: int = 1) -> AudioBuffer:
    frames = int(round(seconds * sr))
    data = np.broadcast_to(np.asarray(value, dtype=np.float32), (frames, channels)).copy()
    return AudioBuffer(data, sr)


# ----- state -------------------------------------------------------------------------------------------------
def test_mix_sums_two_clips_at_offsets():
    st = TimelineState(sample_rate=8000)
    a = st.add_audio_clip(buf(0.25, 1.0, 8000))  # mono -> both sides
    b = st.add_audio_clip(buf([0.1, -0.1], 1.0, 8000, channels=2), start_s=0.5)
    assert st.track_of_clip(a).id != st.track_of_clip(b).id
    assert st.duration_s == pytest.approx(1.5)
    mix = st.mix()
    assert mix.shape == (12000, 2) and mix.dtype == np.float32
    np.testing.assert_allclose(mix[:4000], 0.25 * CENTRE, rtol=1e-6)
    np.testing.assert_allclose(mix[4000:8000], [[0.35 * CENTRE, 0.15 * CENTRE]] * 4000, atol=1e-6)
    np.testing.assert_allclose(mix[8000:], [[0.1 * CENTRE, -0.1 * CENTRE]] * 4000, atol=1e-6)
    np.testing.assert_allclose(st.mix(start_s=1.0), mix[8000:])  # mix from an offset

    st.set_track_muted(st.track_of_clip(a).id, True)
    np.testing.assert_allclose(st.mix()[:4000], 0.0)
    st.undo_stack.undo()
    st.set_track_gain(st.track_of_clip(b).id, 20.0)
    assert st.mix()[5000, 0] == 1.0 and st.mix()[9000, 1] == -1.0  # clipped to [-1, 1]


def test_mix_resamples_clips_at_other_rates():
    st = TimelineState()  # 48 kHz project
    t = np.arange(44100) / 44100
    tone = AudioBuffer((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[:, None], 44100)
    st.add_audio_clip(tone, start_s=0.25)
    mix = st.mix()
    assert len(mix) == 48000 + 12000
    seg = mix[12000 + 4800: 12000 + 43200, 0]
    ref = 0.5 * CENTRE * np.sin(2 * np.pi * 1000 * np.arange(4800, 43200) / 48000)
    assert np.abs(seg - ref).max() < 1e-3


def test_edits_are_undoable():
    st = TimelineState()
    changes = []
    st.changed.connect(lambda: changes.append(1))
    track = st.add_track("Drums")
    clip = st.add_audio_clip(buf(0.1, 1.0, 48000), track_id=track, start_s=2.0)
    st.move_clip(clip, 3.5)
    assert st.clip(clip).start_s == 3.5
    st.move_clip(clip, -4.0)  # clamps at 0
    assert st.clip(clip).start_s == 0.0
    st.undo_stack.undo()
    assert st.clip(clip).start_s == 3.5
    other = st.add_track()
    st.move_clip(clip, 1.0, track_id=other)
    assert st.track_of_clip(clip).id == other and st.track(track).clips == ()
    st.remove_clip(clip)
    assert st.clips() == []
    st.remove_track(track)
    assert [t.id for t in st.tracks] == [other]
    while st.undo_stack.canUndo():
        st.undo_stack.undo()
    assert st.tracks == () and st.duration_s == 0.0
    while st.undo_stack.canRedo():
        st.undo_stack.redo()
    assert [t.id for t in st.tracks] == [other] and st.clips() == []
    assert len(changes) > 10
    with pytest.raises(KeyError):
        st.move_clip("clip-nope", 1.0)


def test_playhead_signal_and_clamp(qtbot):
    st = TimelineState()
    with qtbot.waitSignal(st.playhead_changed) as blocker:
        st.set_playhead(1.5)
    assert blocker.args == [1.5]
    st.set_playhead(-3)
    assert st.playhead_s == 0.0


# ----- pane --------------------------------------------------------------------------------------------------
def _fake_sd(devices_ok: bool = True) -> SimpleNamespace:
    class CallbackStop(Exception):
        pass

    class Stream:
        last = None

        def __init__(self, samplerate, channels, dtype, callback, finished_callback):
            self.callback, self.finished_callback, self.channels = callback, finished_callback, channels
            self.active, self.latency = False, 0.0
            Stream.last = self

        def start(self):
            self.active = True

        def pull(self, frames):
            try:
                self.callback(np.zeros((frames, self.channels), np.float32), frames, None, None)
            except CallbackStop:
                self.active = False
                self.finished_callback()

        def abort(self, ignore_errors=True):
            self.active = False

        def close(self, ignore_errors=True):
            pass

    def query_devices(kind=None):
        if not devices_ok:
            raise RuntimeError("Error querying device -1")
        return {"name": "Fake", "max_output_channels": 2, "default_samplerate": 48000.0}

    return SimpleNamespace(CallbackStop=CallbackStop, OutputStream=Stream, query_devices=query_devices,
                           check_output_settings=lambda **kw: None)


@pytest.fixture
def pane(qtbot):
    state = TimelineState()
    p = TimelinePane(state, AudioPlayer())
    qtbot.addWidget(p)
    p.resize(900, 320)
    p.show()
    qtbot.waitExposed(p)
    return p


def _write(path, data, sr, subtype="PCM_16"):
    sf.write(path, data, sr, subtype=subtype)
    return str(path)


def test_import_good_and_bad_files(pane, qtbot, tmp_path):
    t = np.arange(22050) / 22050
    good_wav = _write(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 22050)
    good_flac = _write(tmp_path / "pad.flac", np.stack([0.3 * np.sin(2 * np.pi * 220 * t)] * 2, 1), 22050)
    (tmp_path / "song.mp3").write_bytes(b"ID3" + bytes(100))
    (tmp_path / "empty.wav").write_bytes(b"")
    errors, statuses = [], []
    pane.error.connect(lambda title, msg: errors.append((title, msg)))
    pane.status.connect(statuses.append)

    ids = pane.import_files([good_wav, str(tmp_path / "song.mp3"), good_flac, str(tmp_path / "empty.wav")])
    assert len(ids) == 2 and len(pane.state.tracks) == 2
    assert [t.name for t in pane.state.tracks] == ["tone", "pad"]
    assert len(errors) == 1 and errors[0][0] == IMPORT_ERROR_TITLE
    assert "'song.mp3' cannot go on the timeline" in errors[0][1] and "MIDI" in errors[0][1]  # all it takes
    assert "'empty.wav' is empty (0 bytes)" in errors[0][1]
    assert statuses == ["Imported 2 audio files."]
    pane.state.undo_stack.undo()  # one import = one undo step
    assert pane.state.tracks == ()

    errors.clear()
    assert pane.import_files([str(tmp_path / "missing.ogg")]) == []
    assert errors == [(IMPORT_ERROR_TITLE, f"'missing.ogg' does not exist (looked for {tmp_path / 'missing.ogg'}).")]


def test_drop_file_onto_the_timeline(pane, tmp_path):
    path = _write(tmp_path / "drop.wav", np.full(8000, 0.2), 8000)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    view = pane.view
    x = view.geometry_now().x_of(2.0)
    event = QDropEvent(QPointF(x, RULER_H + 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)
    (clip,) = pane.state.clips()
    assert clip.start_s == pytest.approx(2.0, abs=0.02)


@pytest.mark.parametrize("names", [["photo.png"], ["song.gstudio"], ["a.wav", "photo.jpg"]])
def test_images_and_projects_dropped_on_the_timeline_go_on_to_the_window(pane, tmp_path, names):
    """The timeline ignores such a drop, so Qt hands it to the window, which opens each file where it belongs."""
    from PySide6.QtGui import QDragEnterEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / n)) for n in names])
    for target in (pane, pane.view):
        enter = QDragEnterEvent(QPointF(20, RULER_H + 10).toPoint(), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        target.dragEnterEvent(enter)
        assert not enter.isAccepted()
        drop = QDropEvent(QPointF(20, RULER_H + 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                          Qt.KeyboardModifier.NoModifier)
        target.dropEvent(drop)
        assert not drop.isAccepted()
    assert pane.state.tracks == ()


def _view_image(pane) -> QImage:
    return pane.view.viewport().grab().toImage()


def test_clip_shows_its_waveform_and_empty_timeline_shows_hint(pane, qtbot):
    empty = _view_image(pane)
    lanes = empty.copy(HEADER_W + 10, RULER_H + 10, empty.width() - HEADER_W - 20, empty.height() - RULER_H - 20)
    assert len({lanes.pixel(x, y) for x in range(0, lanes.width(), 3) for y in range(0, lanes.height(), 3)}) > 2

    sr = 8000
    quiet_then_loud = np.zeros((sr * 2, 1), dtype=np.float32)
    quiet_then_loud[sr:, 0] = 0.9 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)
    clip = pane.state.add_audio_clip(AudioBuffer(quiet_then_loud, sr, name="quiet-loud"))
    qtbot.wait(10)
    img = _view_image(pane)
    rect = pane.view.clip_rect(clip)
    assert rect.width() == pytest.approx(200, abs=2)  # 2 s at 100 px/s
    background = QColor(pane.view.palette().color(QPalette.ColorRole.Base)).rgb()
    inside = {img.pixel(x, rect.center().y()) for x in range(rect.left() + 5, rect.right() - 5)}
    assert background not in inside  # the clip body is drawn over the whole rect
    # The wave band: rows well above the centre line are lit only where the audio is loud.
    y_high = rect.top() + 16 + int((rect.height() - 19) * 0.2)
    quiet = {img.pixel(x, y_high) for x in range(rect.left() + 10, rect.center().x() - 10)}
    loud = {img.pixel(x, y_high) for x in range(rect.center().x() + 10, rect.right() - 10)}
    assert len(quiet) == 1 and not quiet & loud


def test_drag_clip_moves_it_and_undo_restores(pane, qtbot):
    clip = pane.state.add_audio_clip(buf(0.3, 1.0, 48000))
    vp = pane.view.viewport()
    rect = pane.view.clip_rect(clip)
    start = QPoint(rect.left() + 20, rect.center().y())
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, start + QPoint(60, 0))
    qtbot.mouseMove(vp, start + QPoint(150, 0))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(150, 0))
    assert pane.state.clip(clip).start_s == pytest.approx(1.5, abs=0.011)  # 150 px at 100 px/s
    assert pane.view.selected_clip == clip
    pane.state.undo_stack.undo()
    assert pane.state.clip(clip).start_s == 0.0
    pane.state.undo_stack.redo()
    assert pane.state.clip(clip).start_s == pytest.approx(1.5, abs=0.011)

    assert set(pane.actions) == {"import_audio", "play_stop", "stop", "new_midi_clip", "metronome", "export_mix"}
    pane.local_actions["delete_clip"].trigger()
    assert pane.state.clips() == []


def test_drag_clip_to_another_track(pane, qtbot):
    st = pane.state
    first = st.add_audio_clip(buf(0.3, 1.0, 48000))
    st.add_track("Empty")
    vp = pane.view.viewport()
    rect = pane.view.clip_rect(first)
    start = QPoint(rect.left() + 20, rect.center().y())
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, start + QPoint(0, LANE_H))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(0, LANE_H))
    assert st.track_of_clip(first).name == "Empty" and st.clip(first).start_s == 0.0


def test_ruler_click_sets_playhead_and_ctrl_wheel_zooms(pane, qtbot):
    vp = pane.view.viewport()
    x = int(pane.view.geometry_now().x_of(2.5))
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(x, RULER_H // 2))
    assert pane.state.playhead_s == pytest.approx(2.5, abs=0.011)
    assert "0:02.500" in pane.time_label.text()

    anchor = QPointF(HEADER_W + 300, RULER_H + 20)
    t_before = pane.view.geometry_now().time_at(anchor.x())
    pps = pane.view.pixels_per_second
    wheel = QWheelEvent(anchor, vp.mapToGlobal(anchor), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    pane.view.wheelEvent(wheel)
    assert pane.view.pixels_per_second == pytest.approx(pps * 1.25)
    assert pane.view.geometry_now().time_at(anchor.x()) == pytest.approx(t_before, abs=0.02)


def test_playhead_follows_playback_and_returns_at_the_end(pane, qtbot, monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    pane.state.add_audio_clip(buf(0.3, 3.0, 48000))
    pane.state.set_playhead(0.5)
    pane.toggle_play()
    assert pane.player.is_playing and pane.actions["play_stop"].text() == "&Stop"
    sd.OutputStream.last.pull(48000)  # one second consumed: position 1.5 s
    with qtbot.waitSignal(pane.state.playhead_changed, timeout=1000):
        pass
    assert pane.state.playhead_s == pytest.approx(1.5)
    qtbot.wait(10)
    img = _view_image(pane)
    x = int(round(pane.view.geometry_now().x_of(1.5)))
    column = {QColor(img.pixel(xx, y)).rgb() for xx in (x - 1, x, x + 1) for y in range(RULER_H + 5, RULER_H + 60)}
    assert any(abs(QColor(c).red() - PLAYHEAD_COLOR.red()) < 40 and QColor(c).blue() < 120 for c in column)

    sd.OutputStream.last.pull(48000 * 3)
    with qtbot.waitSignal(pane.player.finished, timeout=1000):
        pass
    assert not pane.player.is_playing and pane.state.playhead_s == pytest.approx(0.5)
    assert pane.actions["play_stop"].text() == "&Play"


def test_edit_during_playback_continues_with_new_mix_and_stop_keeps_playhead(pane, monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    pane.state.add_audio_clip(buf(0.3, 3.0, 48000))
    pane.play()
    first = sd.OutputStream.last
    first.pull(48000)
    pane.state.add_audio_clip(buf(0.5, 1.0, 48000), start_s=1.0)
    second = sd.OutputStream.last
    assert second is not first and pane.player.is_playing
    out = np.zeros((4800, 2), np.float32)
    second.callback(out, 4800, None, None)
    np.testing.assert_allclose(out, 0.8 * CENTRE, atol=1e-6)  # resumed at 1.0 s with both clips
    second.pull(48000 - 4800)
    pane.actions["play_stop"].trigger()
    assert not pane.player.is_playing and pane.state.playhead_s == pytest.approx(2.0)


def test_play_without_audio_device_reports_error(pane, qtbot, monkeypatch):
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _fake_sd(devices_ok=False))
    pane.state.add_audio_clip(buf(0.3, 1.0, 48000))
    with qtbot.waitSignal(pane.error, timeout=1000) as blocker:
        pane.play()
    assert blocker.args == [PLAYBACK_ERROR_TITLE, NO_DEVICE_MESSAGE]
    assert not pane.player.is_playing and pane.actions["play_stop"].text() == "&Play"
