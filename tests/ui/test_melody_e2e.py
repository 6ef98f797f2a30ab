"""Melody tools through the real window: generate, continue, vary and hum each land as new MIDI clips."""

from __future__ import annotations


from genai_studio.core.jobs import JobState
from genai_studio.core.music import parse_key


def _wait_done(qtbot, window, count, timeout=60000):
    qtbot.waitUntil(lambda: len(window.controller.jobs) >= count
                    and all(r.state.finished for r in window.controller.jobs.values()), timeout=timeout)
    record = window.controller.jobs[max(window.controller.jobs)]
    assert record.state is JobState.DONE, record.message


def test_generate_then_continue_and_vary_the_selected_clip(qtbot, window):
    panel = window.melody_panel
    panel.tonic.setCurrentText("G")
    panel.mode.setCurrentText("major")
    panel.style.setCurrentText("jig")
    panel.bars.setValue(4)
    panel.seed.setValue(7)
    panel.generate()
    _wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: len(window.timeline_state.midi_clips()) == 1, timeout=5000)
    clip = window.timeline_state.midi_clips()[0]
    key = parse_key("G major")
    assert clip.melody.notes and all(key.contains(n.pitch) for n in clip.melody.notes)
    assert clip.melody.time_signature == "6/8"
    # the first tune sets the project's key, meter and tempo, so it plays as generated
    assert (window.timeline_state.key, window.timeline_state.time_signature) == ("G major", "6/8")

    window.timeline.view.select_clip(clip.id)
    assert window._selected_melody() is clip.melody
    window.timeline_state.move_clip(clip.id, 2.0)  # results land with their source clip, not at the playhead
    clip = window.timeline_state.clip(clip.id)
    panel.continue_selected()
    _wait_done(qtbot, window, 2)
    qtbot.waitUntil(lambda: len(window.timeline_state.midi_clips()) == 2, timeout=5000)
    tracks = [t.id for t in window.timeline_state.tracks]
    new = window.timeline_state.midi_clips()[1]
    assert new.start_s == clip.start_s == 2.0
    assert tracks.index(window.timeline_state.track_of_clip(new.id).id) == tracks.index(
        window.timeline_state.track_of_clip(clip.id).id) + 1  # on a new track right under the source
    window.timeline.view.select_clip(clip.id)
    panel.vary_selected()
    _wait_done(qtbot, window, 3)
    qtbot.waitUntil(lambda: len(window.timeline_state.midi_clips()) == 3, timeout=5000)
    continued = next(c.melody for c in window.timeline_state.midi_clips() if c.name.endswith("(continued)"))
    assert continued.duration_beats > clip.melody.duration_beats
    window.undo_stack.undo()
    assert len(window.timeline_state.midi_clips()) == 2  # each result is one undo step

    window.open_piano_roll(clip.id)
    assert window.piano_roll_dock.isVisible()


def test_hum_an_audio_clip_into_midi(qtbot, window):
    from genai_studio.bench.hum_data import reference_melodies, synthesize_hum

    melody = reference_melodies()[0]
    hum = synthesize_hum(melody, 22050, 0)
    clip_id = window.timeline_state.add_audio_clip(hum, name="my hum")
    window.timeline.view.select_clip(clip_id)
    window.melody_panel.transcribe_selected()
    _wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: len(window.timeline_state.midi_clips()) == 1, timeout=5000)
    found = window.timeline_state.midi_clips()[0].melody
    assert [n.pitch for n in found.notes][:4] == [n.pitch for n in melody.notes][:4]


def test_bad_parameters_are_explained_not_submitted(qtbot, window):
    errors = []
    window.melody_panel.error.connect(lambda title, message: errors.append(message))
    window.melody_panel.low.setValue(70)
    window.melody_panel.high.setValue(72)
    window.melody_panel.generate()
    assert errors and "range" in errors[0]
    window.melody_panel.continue_selected()
    assert "select a MIDI clip" in errors[-1]
    from genai_studio.core.music import Melody, Note

    window.timeline_state.add_midi_clip(Melody((Note(60, 0, 1), Note(62, 1, 1)), name="only one"))
    window.melody_panel.interpolate()  # A and B can only be the same clip
    assert "A and B are the same clip" in errors[-1] and "add or generate another one" in errors[-1]
    assert not window.controller.jobs


def test_import_midi_and_export_clip_as_midi_musicxml_and_audio(qtbot, window, tmp_path):
    import soundfile as sf

    from genai_studio.core.music import Melody, Note
    from genai_studio.mediaio.midi import load_melody, save_midi

    melody = Melody(tuple(Note(62 + 2 * i, i * 1.0, 1.0) for i in range(4)), tempo_bpm=100, key="D major",
                    name="scale")
    src = tmp_path / "scale.mid"
    save_midi(melody, src)
    window.open_paths([str(src)])
    clip = window.timeline_state.midi_clips()[0]
    assert [n.pitch for n in clip.melody.notes] == [62, 64, 66, 68]
    # the project's first MIDI file sets its tempo, so it plays (and exports) at its own 100 BPM
    assert window.timeline_state.tempo_bpm == 100 and clip.melody.tempo_bpm == 100
    for ext in ("mid", "musicxml", "wav"):
        out = tmp_path / f"out.{ext}"
        assert window.export_clip(clip.id, str(out))
        if ext == "wav":
            data, rate = sf.read(out)
            assert len(data) / rate > 2.0 and abs(data).max() > 0.05
        else:
            assert [n.pitch for n in load_melody(out).notes] == [62, 64, 66, 68]


def test_a_tune_finished_after_its_project_was_closed_stays_out_of_the_next(qtbot, window):
    window.melody_panel.bars.setValue(2)
    window.melody_panel.generate()
    window.project.new()  # before the job's result can arrive: events wait for the event loop
    _wait_done(qtbot, window, 1)
    qtbot.wait(50)
    assert not window.timeline_state.midi_clips() and not window.project.is_dirty
    assert "after its project was closed" in window.statusBar().currentMessage()
