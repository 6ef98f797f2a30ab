"""Melody files: MIDI and MusicXML round trips, picking the melody line, and every bad file as one clear error."""

from __future__ import annotations

import io
import os

import music21  # noqa: F401 - imported at collection: it pulls in urllib3, whose import probes IPv6 with a socket
import numpy as np
import pretty_midi
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.core.music import Melody, Note
from genai_studio.mediaio.midi import (RESOLUTION, load_melody, load_midi_melody, melody_from_midi_bytes,
                                       melody_to_midi_bytes, save_midi, save_musicxml, skyline)

# Note lengths in ticks of 1/480 beat: sixteenth, triplet eighth, eighth, triplet quarter, dotted eighth, …
DURATIONS = (120, 160, 240, 320, 360, 480, 720, 960)


def generated(seed: int, key: str = "D major", meter: str = "6/8", tempo: float = 137.5,
              program: int = 73, rests: bool = True) -> Melody:
    """A random monophonic melody whose times are whole ticks (so a file can hold them exactly)."""
    rng = np.random.default_rng(seed)
    notes, tick = [], 0
    for _ in range(40):
        if rests and rng.random() < 0.15:
            tick += int(rng.choice(DURATIONS[:4]))
        d = int(rng.choice(DURATIONS))
        notes.append(Note(int(rng.integers(48, 90)), tick / RESOLUTION, d / RESOLUTION, int(rng.integers(20, 127))))
        tick += d
    return Melody(tuple(notes), tempo_bpm=tempo, key=key, time_signature=meter, name=f"tune {seed}",
                  program=program)


def _write(pm: pretty_midi.PrettyMIDI, path) -> str:
    pm.write(str(path))
    return str(path)


@pytest.mark.parametrize("key,meter,tempo", [("D major", "6/8", 137.5), ("E minor", "3/4", 72.0),
                                             ("A dorian", "4/4", 120.0), ("Bb mixolydian", "7/8", 96.25),
                                             ("F# minor", "2/2", 60.0)])
def test_midi_round_trip_is_exact(tmp_path, key, meter, tempo):
    melody = generated(hash(key) % 1000, key, meter, tempo)
    path = save_midi(melody, tmp_path / "tune.mid")
    back = load_midi_melody(path)
    assert back == melody  # notes, tempo, key (modes too), meter, name, program
    assert melody_from_midi_bytes(melody_to_midi_bytes(melody), "x.mid") == melody
    assert [p.name for p in tmp_path.iterdir()] == ["tune.mid"]  # atomic write left no temp file


@pytest.mark.parametrize("key,meter", [("D major", "6/8"), ("Eb minor", "3/4"), ("G mixolydian", "4/4")])
def test_musicxml_round_trip_is_exact(tmp_path, key, meter):
    melody = generated(7, key, meter, 101.5, program=40)
    path = save_musicxml(melody, tmp_path / "tune.musicxml")
    assert path.read_bytes().startswith(b"<?xml")
    assert load_melody(path) == melody


def test_musicxml_spells_flats_in_flat_keys(tmp_path):
    melody = Melody((Note(70, 0, 1), Note(63, 1, 1)), key="F major")
    text = save_musicxml(melody, tmp_path / "f.musicxml").read_text()
    assert "<alter>-1</alter>" in text and "<alter>1</alter>" not in text


def test_key_tempo_and_meter_are_read_from_any_midi(tmp_path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=90.0, resolution=220)
    pm.key_signature_changes.append(pretty_midi.KeySignature(pretty_midi.key_name_to_key_number("Eb Major"), 0))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(3, 4, 0))
    inst = pretty_midi.Instrument(program=0)
    inst.notes = [pretty_midi.Note(100, 63, i * 2 / 3, (i + 1) * 2 / 3) for i in range(6)]  # quarters at 90
    pm.instruments.append(inst)
    melody = load_melody(_write(pm, tmp_path / "other.mid"))
    assert (melody.tempo_bpm, melody.key, melody.time_signature) == (90.0, "Eb major", "3/4")
    assert [n.start for n in melody.notes] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert melody.name == "other" and "note" not in melody.metadata


def test_tempo_changes_keep_the_rhythm_in_beats():
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    inst = pretty_midi.Instrument(program=0, name="tune")
    inst.notes = [pretty_midi.Note(90, 60, 0.0, 0.5), pretty_midi.Note(90, 62, 0.5, 1.0),
                  pretty_midi.Note(90, 64, 1.0, 2.0), pretty_midi.Note(90, 65, 2.0, 3.0)]
    pm.instruments.append(inst)
    data = _tempo_change_bytes(pm)  # beat 2 onwards at 60 BPM: in seconds the last notes get twice as long
    seconds = pretty_midi.PrettyMIDI(io.BytesIO(data)).instruments[0].notes
    assert [n.end - n.start for n in seconds] == pytest.approx([0.5, 0.5, 2.0, 2.0])
    melody = melody_from_midi_bytes(data, "changes.mid")
    assert [(n.start, n.duration) for n in melody.notes] == [(0.0, 1.0), (1.0, 1.0), (2.0, 2.0), (4.0, 2.0)]
    assert melody.tempo_bpm == 120.0 and "changes tempo" in melody.metadata["note"]


def _tempo_change_bytes(pm: pretty_midi.PrettyMIDI) -> bytes:
    """pretty_midi cannot write tempo changes; add one with mido at beat 2."""
    import mido

    buf = io.BytesIO()
    pm.write(buf)
    mid = mido.MidiFile(file=io.BytesIO(buf.getvalue()))
    track = mid.tracks[0]
    abs_t, events = 0, []
    for msg in track:
        abs_t += msg.time
        events.append((abs_t, msg))
    events.append((2 * mid.ticks_per_beat, mido.MetaMessage("set_tempo", tempo=1_000_000)))
    events.sort(key=lambda e: (e[0], e[1].type == "end_of_track"))
    track.clear()
    last = 0
    for t, msg in events:
        track.append(msg.copy(time=t - last))
        last = t
    out = io.BytesIO()
    mid.save(file=out)
    return out.getvalue()


def test_polyphonic_track_keeps_its_top_line_and_says_so(tmp_path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    inst = pretty_midi.Instrument(program=0, name="piano")
    chords = [(0.0, 0.5, (60, 64, 67)), (0.5, 1.0, (62, 65, 69)), (1.0, 2.0, (64, 67, 72))]
    for start, end, pitches in chords:
        inst.notes += [pretty_midi.Note(80, p, start, end) for p in pitches]
    inst.notes.append(pretty_midi.Note(80, 55, 1.2, 1.4))  # under the held top note: hidden
    pm.instruments.append(inst)
    melody = load_melody(_write(pm, tmp_path / "chords.mid"))
    assert [(n.pitch, n.start, n.duration) for n in melody.notes] == [(67, 0.0, 1.0), (69, 1.0, 1.0), (72, 2.0, 2.0)]
    assert melody.is_monophonic()
    assert "skyline" in melody.metadata["note"] and "3 of 10 notes" in melody.metadata["note"]


def test_skyline_cuts_a_note_when_a_higher_one_enters():
    line = skyline([Note(60, 0, 2), Note(67, 1, 1), Note(64, 1.5, 1)])
    assert [(n.pitch, n.start, n.duration) for n in line] == [(60, 0, 1), (67, 1, 1)]


def test_the_most_melodic_track_is_chosen_and_drums_never(tmp_path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=100.0)
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    drums.notes = [pretty_midi.Note(100, 36, i * 0.3, i * 0.3 + 0.1) for i in range(40)]
    bass = pretty_midi.Instrument(program=33, name="bass")
    bass.notes = [pretty_midi.Note(90, 36 + i % 5, i * 0.6, i * 0.6 + 0.5) for i in range(20)]
    pads = pretty_midi.Instrument(program=89, name="pads")
    pads.notes = [pretty_midi.Note(60, p, i * 2.4, i * 2.4 + 2.4) for i in range(5) for p in (60, 64, 67)]
    lead = pretty_midi.Instrument(program=73, name="flute")
    lead.notes = [pretty_midi.Note(90, 72 + (i * 5) % 12, i * 0.3, i * 0.3 + 0.3) for i in range(40)]
    pm.instruments += [drums, bass, pads, lead]
    path = _write(pm, tmp_path / "band.mid")
    melody = load_melody(path)
    assert melody.name == "flute" and melody.program == 73 and melody.metadata["track"] == 3
    assert "'flute' as the melody (of 3 pitched tracks)" in melody.metadata["note"]
    assert load_midi_melody(path, track=1).name == "bass"
    with pytest.raises(BadInput, match="Track 0 of 'band.mid' is a drum track"):
        load_midi_melody(path, track=0)
    with pytest.raises(BadInput, match="has 4 tracks"):
        load_midi_melody(path, track=9)


def test_drum_only_midi_has_no_melody(tmp_path):
    pm = pretty_midi.PrettyMIDI()
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    drums.notes = [pretty_midi.Note(100, 38, i * 0.5, i * 0.5 + 0.1) for i in range(8)]
    pm.instruments.append(drums)
    with pytest.raises(BadInput, match=r"'beat.mid' has only drum tracks: there is no pitched melody line"):
        load_melody(_write(pm, tmp_path / "beat.mid"))


def test_midi_without_notes(tmp_path):
    pm = pretty_midi.PrettyMIDI()
    pm.instruments.append(pretty_midi.Instrument(program=0))
    with pytest.raises(BadInput, match="'silent.mid' contains no notes"):
        load_melody(_write(pm, tmp_path / "silent.mid"))


def test_absurd_tempo_is_refused(tmp_path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=5000.0)
    inst = pretty_midi.Instrument(program=0)
    inst.notes = [pretty_midi.Note(90, 60, 0, 0.01)]
    pm.instruments.append(inst)
    with pytest.raises(BadInput, match=r"sets a tempo of 5,000 BPM"):
        load_melody(_write(pm, tmp_path / "fast.mid"))


@pytest.mark.parametrize("data,message", [
    (b"", r"'bad.mid' is empty \(0 bytes\)"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\xff\xff\xff\xff\x90", "not a readable MIDI file"),
    (bytes(range(256)) * 4, "not a readable MIDI file"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a readable MIDI file"),
])
def test_empty_and_corrupt_midi(tmp_path, data, message):
    path = tmp_path / "bad.mid"
    path.write_bytes(data)
    with pytest.raises(BadInput, match=message):
        load_melody(path)


def test_missing_unsupported_and_folder(tmp_path):
    with pytest.raises(BadInput, match=r"'nope.mid' does not exist"):
        load_melody(tmp_path / "nope.mid")
    with pytest.raises(BadInput, match=r"'nope.musicxml' does not exist"):
        load_melody(tmp_path / "nope.musicxml")
    (tmp_path / "tune.txt").write_text("C D E")
    with pytest.raises(BadInput, match=r"\.txt files are not supported"):
        load_melody(tmp_path / "tune.txt")
    (tmp_path / "dir.mid").mkdir()
    with pytest.raises(BadInput, match="is a folder"):
        load_melody(tmp_path / "dir.mid")


def test_abc_tune_book_takes_the_first_tune(tmp_path):
    abc = ("X:1\nT:First\nM:3/4\nL:1/8\nQ:1/4=90\nK:G\nGA B2 d2|[ce]2 B2 A2|G6|]\n\n"
           "X:2\nT:Second\nM:4/4\nL:1/4\nK:C\nCDEF|G4|]\n")
    path = tmp_path / "book.abc"
    path.write_text(abc)
    melody = load_melody(path)
    assert melody.name == "First" and melody.time_signature == "3/4" and melody.tempo_bpm == 90
    assert melody.key == "G major"
    assert [n.pitch for n in melody.notes] == [67, 69, 71, 74, 76, 71, 69, 67]
    assert [n.duration for n in melody.notes] == [0.5, 0.5, 1, 1, 1, 1, 1, 3]
    assert "2 tunes" in melody.metadata["note"] and "top note of 1 chords" in melody.metadata["note"]


def test_corrupt_musicxml_and_abc_without_notes(tmp_path):
    bad = tmp_path / "broken.musicxml"
    bad.write_text("<?xml version='1.0'?><score-partwise><part-list>")
    with pytest.raises(BadInput, match="'broken.musicxml' cannot be read as MusicXML"):
        load_melody(bad)
    empty = tmp_path / "empty.abc"
    empty.write_text("X:1\nT:Nothing\nM:4/4\nK:C\nz4|]\n")
    with pytest.raises(BadInput, match="contains no notes"):
        load_melody(empty)


def test_saving_refuses_an_empty_melody_and_replaces_atomically(tmp_path):
    with pytest.raises(BadInput, match="has no notes"):
        save_midi(Melody(()), tmp_path / "x.mid")
    target = tmp_path / "x.mid"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    save_midi(generated(1), target)
    assert load_melody(target) == generated(1)
    assert (os.stat(target).st_mode & 0o777) == 0o640


def test_a_midi_without_key_signature_gets_an_estimated_key(tmp_path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    inst = pretty_midi.Instrument(program=0)
    scale = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62]  # D major up and down to D
    inst.notes = [pretty_midi.Note(90, p, i * 0.5, i * 0.5 + 0.5) for i, p in enumerate(scale)]
    pm.instruments.append(inst)
    melody = load_melody(_write(pm, tmp_path / "nokey.mid"))
    assert melody.key == "D major"
    assert "no key signature; D major was estimated" in melody.metadata["note"]


def test_names_outside_latin1_do_not_break_saving(tmp_path):
    from genai_studio.core.music import Melody, Note
    from genai_studio.mediaio.midi import load_melody, save_midi

    melody = Melody((Note(60, 0.0, 1.0), Note(62, 1.0, 1.0)), name="A → B 🎵 旋律")
    save_midi(melody, tmp_path / "x.mid")
    assert [n.pitch for n in load_melody(tmp_path / "x.mid").notes] == [60, 62]
