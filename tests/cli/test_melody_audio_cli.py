"""`melody hum` and `melody render` through a minimal argparse harness around commands.melody_audio.register."""

from __future__ import annotations

import argparse
from pathlib import Path

import music21  # noqa: F401 - imported at collection: it pulls in urllib3, whose import probes IPv6 with a socket
import numpy as np
import pytest
import soundfile as sf

from genai_studio.bench.hum_data import note_f1, reference_melodies, synthesize_hum
from genai_studio.commands.melody_audio import register
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note
from genai_studio.dsp import synth
from genai_studio.mediaio.audio import save_audio
from genai_studio.mediaio.midi import load_melody, save_midi

TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="genai-studio")
    melody = parser.add_subparsers(dest="command").add_parser("melody")
    register(melody.add_subparsers(dest="melody_action"))
    args = parser.parse_args(["melody", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def hum_wav(tmp_path_factory) -> tuple[Path, Melody]:
    tune = reference_melodies()[1]  # "ode", 120 BPM
    path = tmp_path_factory.mktemp("hum") / "ode take 1.wav"
    save_audio(synthesize_hum(tune, 44100, seed=11), path)
    return path, tune


def test_hum_writes_the_melody(hum_wav, tmp_path, capsys):
    wav, tune = hum_wav
    out = tmp_path / "out" / "ode.mid"
    assert run("hum", str(wav), "-o", str(out), "--tempo", "120", "--key", "C major") == 0
    melody = load_melody(out)
    assert note_f1(tune, melody) >= 0.9 and melody.key == "C major" and melody.tempo_bpm == 120
    assert f"{out}: {len(melody.notes)} notes" in capsys.readouterr().out


def test_hum_to_musicxml_on_a_coarser_grid(hum_wav, tmp_path):
    wav, tune = hum_wav
    out = tmp_path / "ode.musicxml"
    assert run("hum", str(wav), "-o", str(out), "--tempo", "120", "--grid", "0.5") == 0
    melody = load_melody(out)
    assert all(n.start % 0.5 == 0 for n in melody.notes) and note_f1(tune, melody) >= 0.9


@pytest.mark.parametrize("args,message", [
    (["--tempo", "0"], "tempo must be between"),
    (["--key", "Q minor"], "'Q minor' is not a key"),
    (["-o", "ode.txt"], "ode.txt: melodies are written as .mid"),
])
def test_hum_bad_arguments(hum_wav, tmp_path, capsys, args, message):
    wav, _ = hum_wav
    argv = ["hum", str(wav), "-o", str(tmp_path / "x.mid"), *args]
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_hum_silence_and_missing_input(tmp_path, capsys):
    quiet = tmp_path / "quiet.wav"
    save_audio(AudioBuffer(np.zeros((48000, 1), np.float32), 48000), quiet)
    assert run("hum", str(quiet), "-o", str(tmp_path / "q.mid")) == 2
    assert "error: No notes were found in 'quiet'" in capsys.readouterr().err
    assert run("hum", str(tmp_path / "none.wav"), "-o", str(tmp_path / "q.mid")) == 2
    assert "'none.wav' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "q.mid").exists()


@pytest.fixture
def tune_mid(tmp_path) -> Path:
    melody = Melody((Note(69, 0, 1, 100), Note(72, 1, 1, 90), Note(76, 2, 2, 110)), tempo_bpm=120, program=0)
    return save_midi(melody, tmp_path / "tune.mid")


@pytest.mark.parametrize("suffix,subtype", [(".wav", "PCM_24"), (".flac", "PCM_24")])
def test_render_with_the_builtin_synth(tune_mid, tmp_path, capsys, suffix, subtype):
    out = tmp_path / f"tune{suffix}"
    assert run("render", str(tune_mid), "-o", str(out), "--builtin", "--program", "73") == 0
    info = sf.info(str(out))
    assert info.samplerate == 48000 and info.channels == 2 and info.subtype == subtype
    assert 2.0 < info.duration < 2.3
    data, _ = sf.read(str(out))
    assert 0.05 < np.abs(data).max() < 1.0
    assert "built-in synth" in capsys.readouterr().out


@pytest.mark.skipif(synth._import_fluidsynth() is None or not TIMGM.is_file(), reason="needs FluidSynth + TimGM6mb")
def test_render_with_a_soundfont(tune_mid, tmp_path, capsys):
    out = tmp_path / "tune.wav"
    assert run("render", str(tune_mid), "-o", str(out), "--soundfont", str(TIMGM), "--sample-rate", "44100") == 0
    data, rate = sf.read(str(out))
    assert rate == 44100 and np.abs(data).max() > 0.05
    assert "FluidSynth, TimGM6mb.sf2" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--program", "200"], "0..127"),
    (["--soundfont", "/nowhere/x.sf2"], "'x.sf2' does not exist"),
    (["-o", "tune.mp3"], "renders are written as .wav, .flac, .ogg"),
])
def test_render_bad_arguments(tune_mid, tmp_path, capsys, args, message):
    assert run("render", str(tune_mid), "-o", str(tmp_path / "o.wav"), *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_render_a_corrupt_midi(tmp_path, capsys):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd garbage")
    assert run("render", str(bad), "-o", str(tmp_path / "o.wav")) == 2
    assert "error: 'bad.mid' is not a readable MIDI file" in capsys.readouterr().err


def test_render_says_what_loading_a_multi_track_file_dropped(tmp_path, capsys):
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    lead, chords = pretty_midi.Instrument(program=73, name="Flute"), pretty_midi.Instrument(program=0, name="Pads")
    lead.notes += [pretty_midi.Note(90, 72 + i % 5, i * 0.6, i * 0.6 + 0.5) for i in range(8)]
    chords.notes += [pretty_midi.Note(70, p, i * 1.2, i * 1.2 + 1.1) for i in range(4) for p in (48, 52, 55)]
    pm.instruments += [lead, chords]
    path = tmp_path / "band.mid"
    pm.write(str(path))
    assert run("render", str(path), "-o", str(tmp_path / "o.wav"), "--builtin") == 0
    err = capsys.readouterr().err
    assert "note: band.mid: Took 'Flute' as the melody (of 2 pitched tracks)" in err
