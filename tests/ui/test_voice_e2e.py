"""Voice tools through the real window: speak, transform, denoise, sing and record land as undoable clips."""

from __future__ import annotations

import numpy as np

from genai_studio.core.jobs import JobState
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note


def _wait_done(qtbot, window, count, timeout=90000):
    qtbot.waitUntil(lambda: len(window.controller.jobs) >= count
                    and all(r.state.finished for r in window.controller.jobs.values()), timeout=timeout)
    record = window.controller.jobs[max(window.controller.jobs)]
    assert record.state is JobState.DONE, record.message


def _audio_clips(window, track_name):
    return [c for t in window.timeline_state.tracks if t.name == track_name for c in t.clips]


def test_speak_lands_on_a_voice_track_and_streams_previews(qtbot, window):
    panel = window.voice_panel
    assert panel.voice.count() >= 1 and panel.voice.currentData() == "piper-en-us-joe-medium"
    assert "MIT" in panel.voice.itemData(0, 3)  # the license is the voice's tooltip
    played = []
    window.player.play_stream = lambda samples, rate: played.append((len(samples), rate)) or True
    window.player.extend = lambda samples: played.append((len(samples), None))
    panel.text.setPlainText("First sentence here. And a second one follows.")
    panel.speak()
    _wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: len(_audio_clips(window, "Voice")) == 1, timeout=5000)
    clip = _audio_clips(window, "Voice")[0]
    assert clip.audio.sample_rate == 22050 and clip.audio.duration_s > 1.5
    assert played and played[0][1] == 22050  # the first sentence started playing before the job ended
    assert sum(n for n, _ in played) <= clip.audio.frames
    window.undo_stack.undo()
    assert not _audio_clips(window, "Voice")


def test_transform_preview_ab_then_apply_under_the_source(qtbot, window):
    rate = 16000
    t = np.arange(rate * 2) / rate
    tone = (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.2 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    source_id = window.timeline_state.add_audio_clip(AudioBuffer(tone[:, None], rate, "hum"), name="hum")
    window.timeline.view.select_clip(source_id)
    panel = window.voice_panel
    panel.t_pitch.setValue(3)
    plays = []
    window.player.play = lambda samples, rate, start_s=0.0, **kw: plays.append((len(samples), rate, start_s)) or True
    panel.transform_selected("preview")
    _wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: panel.ab_button.isEnabled(), timeout=5000)
    assert len(window.timeline_state.audio_clips()) == 1  # a preview adds nothing
    assert plays and plays[-1][1] == rate
    panel.ab_button.click()
    assert plays[-1][0] == len(tone)  # A/B switched to the original
    panel.transform_selected("add")
    _wait_done(qtbot, window, 2)
    qtbot.waitUntil(lambda: len(window.timeline_state.audio_clips()) == 2, timeout=5000)
    names = [t.name for t in window.timeline_state.tracks]
    source_track = window.timeline_state.track_of_clip(source_id)
    assert names[names.index(source_track.name) + 1] == f"{source_track.name} (processed)"


def test_sing_the_selected_midi_clip(qtbot, window):
    melody = Melody(tuple(Note(p, i, 1.0) for i, p in enumerate((60, 64, 67, 72))), tempo_bpm=120, name="arp")
    clip_id = window.timeline_state.add_midi_clip(melody, name="arp")
    window.timeline.view.select_clip(clip_id)
    panel = window.voice_panel
    panel.lyrics.setPlainText("la la la la")
    panel.sing_selected()
    _wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: len(_audio_clips(window, "Vocal")) == 1, timeout=5000)
    vocal = _audio_clips(window, "Vocal")[0]
    assert vocal.audio.duration_s > 1.5


def test_panel_errors_are_reported_not_raised(qtbot, window):
    errors = []
    window.voice_panel.error.connect(lambda title, message: errors.append((title, message)))
    window.voice_panel.speak()  # empty text
    window.voice_panel.transform_selected()  # nothing selected
    window.voice_panel.sing_selected()
    assert [t for t, _ in errors] == ["Cannot speak", "Cannot transform", "Cannot sing"]
    assert not window.controller.jobs


def test_speech_finished_after_its_project_was_closed_stays_out_of_the_next(qtbot, window):
    window.voice_panel.text.setPlainText("Hello there.")
    window.voice_panel.speak()
    window.project.new()  # before the job's result can arrive
    _wait_done(qtbot, window, 1)
    qtbot.wait(50)
    assert not window.timeline_state.clips() and not window.project.is_dirty
    assert "after its project was closed" in window.statusBar().currentMessage()
