"""MIDI clips in .gstudio projects: stored as midi/<clip id>.mid, typed in project.json, summarized by
`project info`, and every damaged or invalid MIDI entry refused with a message naming it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from genai_studio.commands.project import format_info
from genai_studio.core.errors import BadInput
from genai_studio.core.music import Melody, Note
from genai_studio.core.project import ClipDoc, MidiClipDoc, ProjectDoc, TimelineDoc, TrackDoc
from genai_studio.mediaio.images import encode_image
from genai_studio.mediaio.project_file import load_project, read_project_info, save_project

from .test_project_file import assert_same_doc, audio, hand_made, image, untouched, v2_json

TEMPO = 96.5
TUNE = Melody(
    (Note(62, 0.0, 0.5, 80), Note(66, 0.5, 1 / 3, 100), Note(69, 5 / 6, 1 / 6, 101), Note(74, 1.0, 2.0, 127),
     Note(62, 3.0, 0.25, 1), Note(50, 0.0, 4.0, 64)),
    TEMPO, "D dorian", "6/8", "Reel été", 73,
)


def midi_doc() -> ProjectDoc:
    tracks = (
        TrackDoc("lead", "Flute", (MidiClipDoc("m1", "Tune", TUNE, 2.0),
                                   MidiClipDoc("m2", "Empty", Melody((), TEMPO, name="nothing"), 9.0))),
        TrackDoc("voice", "Voice", (ClipDoc("a1", "Hum", audio(500, 1, 22050, 1), 0.5),), True, 0.7),
    )
    return ProjectDoc(timeline=TimelineDoc(tracks, 48000, TEMPO, "D major", "6/8", 1.0))


def midi_bytes() -> bytes:
    from genai_studio.mediaio.midi import melody_to_midi_bytes

    return melody_to_midi_bytes(TUNE)


def test_midi_clips_round_trip_as_midi_assets(tmp_path):
    path = tmp_path / "song.gstudio"
    doc = midi_doc()
    save_project(doc, path)
    assert_same_doc(doc, load_project(path))
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        data = json.loads(zf.read("project.json"))
        assert zf.read("midi/m1.mid").startswith(b"MThd")
    assert names == {"project.json", "midi/m1.mid", "midi/m2.mid", "audio/a1.wav"}
    lead, voice = data["timeline"]["tracks"]
    assert lead["clips"][0] == {"type": "midi", "id": "m1", "name": "Tune", "start_s": 2.0, "asset": "midi/m1.mid",
                                "melody_name": "Reel été", "key": "D dorian", "time_signature": "6/8",
                                "program": 73, "fade_in_s": 0.0, "fade_out_s": 0.0, "fade_curve": "equal_power"}
    assert voice["clips"][0]["type"] == "audio"


def test_info_summarizes_midi_clips(tmp_path):
    path = tmp_path / "song.gstudio"
    save_project(midi_doc(), path)
    info = read_project_info(path)
    assert (info["clip_count"], info["midi_clip_count"], info["audio_clip_count"]) == (3, 2, 1)
    tune = info["tracks"][0]["clips"][0]
    assert (tune["type"], tune["notes"], tune["program"]) == ("midi", 6, 73)
    assert tune["duration_beats"] == pytest.approx(4.0, abs=1e-3)
    assert tune["duration_s"] == pytest.approx(4.0 * 60 / TEMPO, abs=1e-3)
    assert info["audio_duration_s"] == pytest.approx(500 / 22050)  # MIDI clips are not audio
    empty = info["tracks"][0]["clips"][1]
    assert (empty["notes"], empty["duration_beats"]) == (0, 0.0)
    assert empty["duration_s"] == pytest.approx(4.0 * 60 / TEMPO)  # one bar, as the timeline draws it
    assert info["timeline_length_s"] == pytest.approx(9.0 + 4.0 * 60 / TEMPO)
    text = format_info(info)
    assert "Tune  at 2.00 s, 2.49 s, MIDI, 6 notes, program 73" in text
    assert "midi/m1.mid" in text


BAD = {
    "missing midi": ({}, {"midi/m1.mid": None}, "refers to midi/m1.mid, which is missing from the file"),
    "png instead of midi": ({}, {"midi/m1.mid": "png"}, "midi/m1.mid should be a MIDI file but holds a PNG image"),
    "corrupt midi": ({}, {"midi/m1.mid": b"MThd\x00\x00\x00\x06garbage"}, "midi/m1.mid cannot be read as MIDI"),
    "unknown clip type": ({"type": "video"}, {}, "clip 'm1' has unknown type 'video' (expected one of audio, midi)"),
    "bad program": ({"program": 300}, {}, "clip 'm1' has program 300; General MIDI programs are 0 to 127"),
    "wrong asset path": ({"asset": "audio/m1.wav"}, {}, "clip 'm1' stores its data at 'audio/m1.wav'"),
}


def _hand_made_midi(tmp_path: Path, clip_changes: dict, assets: dict, tempo: float = 120.0) -> Path:
    data = v2_json()
    data["timeline"]["tempo_bpm"] = tempo
    clip = {"type": "midi", "id": "m1", "name": "M", "start_s": 0.0, "asset": "midi/m1.mid"} | clip_changes
    data["timeline"]["tracks"][0]["clips"].append(clip)
    good = {"midi/m1.mid": midi_bytes()}
    good.update({k: encode_image(image(2, 2), "PNG") if v == "png" else v for k, v in assets.items()})
    return hand_made(tmp_path / "m.gstudio", data, good)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_midi_entries_are_refused_with_a_clear_message(tmp_path, case):
    changes, assets, message = BAD[case]
    path = _hand_made_midi(tmp_path, changes, assets)
    for reader in (load_project, read_project_info):
        with untouched(path), pytest.raises(BadInput) as err:
            reader(path)
        assert message in err.value.message and "\n" not in err.value.message


def test_hand_made_midi_clip_takes_defaults_and_the_project_tempo(tmp_path):
    path = _hand_made_midi(tmp_path, {}, {}, tempo=150.0)
    clip = load_project(path).timeline.tracks[0].clips[1]
    assert isinstance(clip, MidiClipDoc)
    assert (clip.melody.name, clip.melody.key, clip.melody.program, clip.melody.tempo_bpm) == ("M", "C major", 0, 150.0)
    assert len(clip.melody.notes) == len(TUNE.notes)


def test_midi_tempo_out_of_range_is_refused(tmp_path):
    path = _hand_made_midi(tmp_path, {}, {}, tempo=500.0)
    with untouched(path), pytest.raises(BadInput, match="tempo 500.0 BPM is out of range for MIDI clips"):
        load_project(path)
    doc = midi_doc()
    fast = ProjectDoc(timeline=TimelineDoc(doc.timeline.tracks, tempo_bpm=500.0))
    with pytest.raises(BadInput, match="Cannot save 'x.gstudio': the timeline tempo 500.0 BPM"):
        save_project(fast, tmp_path / "x.gstudio")
    assert not (tmp_path / "x.gstudio").exists()
