"""The timeline's mixer UI: track header widgets, fade handles and the Fades… dialog, the track effects
dialog, and exporting a track or the mix (peak-safe) — every edit undoable through the shared stack."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog

from genai_studio.core.media import AudioBuffer
from genai_studio.dsp.effects import EffectSpec
from genai_studio.runtime.playback import AudioPlayer
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.dialogs.track_effects import TrackEffectsDialog
from genai_studio.ui.timeline.fades import FadesDialog, handle_centres
from genai_studio.ui.timeline.pane import EXPORT_ERROR_TITLE, TimelinePane


def tone(hz: float = 330.0, seconds: float = 1.0, sr: int = 48000, level: float = 0.5) -> AudioBuffer:
    t = np.arange(int(seconds * sr)) / sr
    return AudioBuffer((level * np.sin(2 * np.pi * hz * t)).astype(np.float32)[:, None], sr, name=f"tone {hz:g}")


@pytest.fixture
def pane(qtbot):
    p = TimelinePane(TimelineState(), AudioPlayer())
    qtbot.addWidget(p)
    p.resize(1000, 360)
    p.show()
    qtbot.waitExposed(p)
    return p


def _action(menu, text: str):
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


# ----- track headers ---------------------------------------------------------------------------------------------
def test_header_widgets_edit_the_track_and_follow_undo(pane, qtbot):
    st = pane.state
    track = st.track_of_clip(st.add_audio_clip(tone())).id
    header = pane.view.headers.header(track)
    assert header.isVisible() and header.name.text() == "tone 330" and header.gain.text() == "0.0 dB"

    qtbot.mouseClick(header.mute, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(header.solo, Qt.MouseButton.LeftButton)
    assert st.track(track).muted and st.track(track).solo
    header.gain.setValue(-6.0)
    assert st.track(track).gain == pytest.approx(0.501, abs=1e-3)
    header.gain.setValue(header.gain.minimum())
    assert st.track(track).gain == 0.0 and header.gain.text() == "−∞ dB"
    header.pan.setFocus()
    qtbot.keyClick(header.pan, Qt.Key.Key_PageDown)  # one page step to the left
    assert st.track(track).pan == pytest.approx(-0.1) and header.pan_label.text() == "L 10"
    header.pan.setValue(75)
    assert st.track(track).pan == pytest.approx(0.75) and header.pan_label.text() == "R 75"

    for _ in range(6):
        st.undo_stack.undo()
    track_now = st.track(track)
    assert (track_now.muted, track_now.solo, track_now.gain, track_now.pan) == (False, False, 1.0, 0.0)
    assert not header.mute.isChecked() and not header.solo.isChecked()
    assert header.gain.value() == 0.0 and header.pan.value() == 0 and header.pan_label.text() == "C"
    assert st.undo_stack.index() == 1  # just the import left: each widget edit was one step


def test_headers_follow_tracks_and_scrolling(pane):
    st = pane.state
    ids = [st.add_track(f"T{i}") for i in range(6)]
    column = pane.view.headers
    assert list(column.headers) == ids
    st.remove_track(ids[0])
    assert ids[0] not in column.headers
    assert column.header(ids[1]).y() == 0 and column.header(ids[2]).y() == column.header(ids[1]).height()
    pane.view.verticalScrollBar().setValue(30)
    assert column.header(ids[1]).y() == -30
    st.rename_track(ids[1], "Bass")
    assert column.header(ids[1]).name.text() == "Bass"
    st.set_track_effects(ids[1], [EffectSpec("eq"), EffectSpec("delay", enabled=False)])
    assert column.header(ids[1]).effects_label.text() == "EQ › (Echo)" and column.header(ids[1]).fx.text() == "FX1"


def test_header_menu_opens_effects_and_removes_the_track(pane):
    st = pane.state
    track = st.track_of_clip(st.add_audio_clip(tone())).id
    header = pane.view.headers.header(track)
    _action(header.menu(), "Effects…").trigger()
    dialog = pane._effects_dialogs[track]
    assert isinstance(dialog, TrackEffectsDialog) and dialog.isVisible()
    header.fx.click()
    assert pane._effects_dialogs[track] is dialog  # one dialog per track
    _action(header.menu(), "Remove Track").trigger()
    assert st.tracks == () and not dialog.isVisible()  # the dialog of a removed track closes


# ----- fades -----------------------------------------------------------------------------------------------------
def test_dragging_a_fade_handle_sets_the_fade_in_one_undo_step(pane, qtbot):
    st = pane.state
    clip = st.add_audio_clip(tone(seconds=2.0))
    view, vp = pane.view, pane.view.viewport()
    rect = view._rect_of(view.geometry_now(), clip)
    fade_in_handle, fade_out_handle = handle_centres(rect, 0.0, 0.0, view.pixels_per_second)
    start = fade_in_handle.toPoint()
    depth = st.undo_stack.count()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, start + QPoint(20, 0))
    qtbot.mouseMove(vp, start + QPoint(50, 0))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(50, 0))
    assert st.clip(clip).fade_in_s == pytest.approx(0.5, abs=0.02) and st.clip(clip).start_s == 0.0  # 50 px
    assert st.undo_stack.count() == depth + 1 and view.selected_clip == clip
    end = fade_out_handle.toPoint()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=end)
    qtbot.mouseMove(vp, end - QPoint(400, 0))  # past the fade-in: stops where the fade-in ends
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end - QPoint(400, 0))
    assert st.clip(clip).fade_out_s == pytest.approx(2.0 - st.clip(clip).fade_in_s)
    image = vp.grab().toImage()  # the fade-in ramp shades the clip's top-left corner
    rect = view.clip_rect(clip)
    assert image.pixel(rect.left() + 5, rect.top() + 20) != image.pixel(rect.left() + 80, rect.top() + 20)
    st.undo_stack.undo()
    st.undo_stack.undo()
    assert (st.clip(clip).fade_in_s, st.clip(clip).fade_out_s) == (0.0, 0.0)


def test_fades_dialog_from_the_clip_menu(pane):
    st = pane.state
    clip = st.add_audio_clip(tone(seconds=1.0))
    menu = pane.view.clip_menu(clip)
    assert [a.text().replace("&", "") for a in menu.actions() if a.text()] == ["Fades…", "Delete Clip"]
    dialog = FadesDialog(st, clip, pane)
    assert dialog.fade_in.maximum() == pytest.approx(1.0)
    dialog.fade_in.setValue(0.25)
    dialog.fade_out.setValue(0.4)
    dialog.curve.setCurrentIndex(dialog.curve.findData("linear"))
    dialog.accept()
    c = st.clip(clip)
    assert (c.fade_in_s, c.fade_out_s, c.fade_curve) == (0.25, 0.4, "linear")
    st.undo_stack.undo()
    assert st.clip(clip).fade_in_s == 0.0
    _action(pane.view.clip_menu(clip), "Delete Clip").trigger()
    assert st.clips() == []


# ----- effects dialog --------------------------------------------------------------------------------------------
def test_effects_dialog_adds_reorders_bypasses_edits_and_removes(pane):
    st = pane.state
    track = st.track_of_clip(st.add_audio_clip(tone())).id
    dialog = pane.show_effects(track)
    kinds = lambda: [e.kind for e in st.track(track).effects]  # noqa: E731
    dialog.add_effect("reverb")
    dialog.add_effect("eq")
    assert kinds() == ["reverb", "eq"] and dialog.list.currentRow() == 1
    assert set(dialog.spins) == {"low_db", "low_hz", "mid_db", "mid_hz", "high_db", "high_hz"}
    dialog.spins["low_db"].setValue(6.0)
    assert st.track(track).effects[1].value("low_db") == 6.0
    dialog.move_effect(1, -1)
    assert kinds() == ["eq", "reverb"] and dialog.list.currentItem().text() == "1. EQ"
    dialog.list.item(1).setCheckState(Qt.CheckState.Unchecked)  # bypass the reverb
    assert st.track(track).effects[1].enabled is False
    dialog.list.setCurrentRow(1)
    assert dialog.params_box.title() == "Reverb settings"
    dialog.spins["wet"].setValue(0.6)
    dialog.remove_effect(0)
    assert kinds() == ["reverb"] and st.track(track).effects[0].value("wet") == 0.6

    texts = [st.undo_stack.text(i) for i in range(st.undo_stack.count())][-7:]
    assert texts[0].startswith("Add Reverb") and texts[3] == "Move EQ up" and texts[4] == "Bypass Reverb"
    for _ in range(7):  # each change was one step; the dialog follows undo
        st.undo_stack.undo()
    assert st.track(track).effects == () and dialog.list.count() == 0 and dialog.empty_hint.isVisibleTo(dialog)
    st.undo_stack.redo()
    assert dialog.list.count() == 1 and dialog.list.item(0).text() == "1. Reverb"


# ----- export ----------------------------------------------------------------------------------------------------
def test_export_track_writes_a_flac_stem_with_its_effects(pane, tmp_path, monkeypatch):
    st = pane.state
    clip = st.add_audio_clip(tone(seconds=0.5), start_s=0.25)
    track = st.track_of_clip(clip).id
    st.add_audio_clip(tone(550, seconds=3.0))  # another track, not in the stem
    st.set_track_effects(track, [EffectSpec("reverb", {"room_size": 0.5, "wet": 0.3})])
    expected = st.render_track(track)
    statuses = []
    pane.status.connect(statuses.append)
    out = tmp_path / "stem.flac"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "stem"), "FLAC (*.flac)"))
    _action(pane.view.headers.header(track).menu(), "Export Track…").trigger()
    data, rate = sf.read(out, always_2d=True)
    assert rate == st.sample_rate and data.shape == (expected.frames, 2)
    assert expected.frames > int(0.75 * rate)  # the reverb tail is in the file
    np.testing.assert_allclose(data, expected.samples, atol=1e-5)  # 24-bit, not normalized
    assert statuses[-1].startswith("Exported track 'tone 330' to stem.flac")


def test_export_mix_lowers_a_clipping_mix_instead_of_wrapping(pane, tmp_path):
    st = pane.state
    for hz in (220, 221, 222):
        st.set_track_gain(st.track_of_clip(st.add_audio_clip(tone(hz, 0.5, level=0.9))).id, 2.0)
    statuses, errors = [], []
    pane.status.connect(statuses.append)
    pane.error.connect(lambda title, message: errors.append((title, message)))
    report = pane.export_mix(tmp_path / "mix.wav")
    assert report is not None and report.normalized and report.peak_dbfs > 6.0
    data, rate = sf.read(tmp_path / "mix.wav", always_2d=True)
    assert data.shape == (st.sample_rate // 2, 2) and np.abs(data).max() == pytest.approx(10 ** (-0.3 / 20), abs=1e-3)
    unclipped = st.mix(clamp=False)
    np.testing.assert_allclose(data, unclipped * 10 ** (report.gain_db / 20), atol=1e-4)  # scaled, never clipped
    assert "lowered by" in statuses[-1] and "instead of clipping" in statuses[-1]
    assert pane.export_mix(tmp_path / "mix.mp3") is None and errors[-1][0] == EXPORT_ERROR_TITLE


def test_export_refuses_a_mix_hours_long_instead_of_running_out_of_memory(pane, tmp_path):
    from genai_studio.ui.timeline.export import MAX_EXPORT_SECONDS

    st = pane.state
    st.add_audio_clip(tone(220, 0.5))
    far = st.add_audio_clip(tone(330, 0.5), start_s=MAX_EXPORT_SECONDS + 60)  # a clip dropped far away
    errors = []
    pane.error.connect(lambda title, message: errors.append(message))
    assert pane.export_mix(tmp_path / "mix.wav") is None
    assert f"clip '{st.clip(far).name}' ends at" in errors[-1] and "Move or trim it" in errors[-1]
    assert pane.export_track(st.track_of_clip(far).id, tmp_path / "stem.wav") is None
    assert not (tmp_path / "mix.wav").exists() and not (tmp_path / "stem.wav").exists()
