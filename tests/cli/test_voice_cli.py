"""`genai-studio speak` and `voice transform|denoise|sing`: real audio written, exit codes, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genai_studio.cli import main
from genai_studio.core.music import Melody, Note
from genai_studio.mediaio.midi import save_midi


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("voice") / "hello.wav"
    assert main(["speak", "Hello there. This is a short test of the voice.", "-o", str(out), "--quiet"]) == 0
    return out


def test_speak_writes_audible_speech(speech):
    data, rate = sf.read(speech, dtype="float32")
    assert rate == 22050
    assert 1.5 < len(data) / rate < 8.0
    assert _rms(data) > 0.02


def test_speak_reads_text_files_and_reports_notes(tmp_path, capsys):
    text = tmp_path / "script.txt"
    text.write_text("It costs $3.50. 🎉\n\nSee you at 5:30.", encoding="utf-8")
    out = tmp_path / "script.flac"
    assert main(["speak", "--text-file", str(text), "-o", str(out), "--quiet", "--style", "calm"]) == 0
    info = sf.info(out)
    assert info.format == "FLAC" and info.duration > 1.5
    assert "emoji" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["speak", "hi", "--speed", "5"], "speed must be between 0.5 and 2"),
    (["speak", "   "], "text to speak"),
    (["speak"], "give the text to speak"),
    (["speak", "hi", "--voice", "nobody"], "no model with id 'nobody'"),
    (["speak", "--text-file", "/nonexistent.txt"], "does not exist"),
])
def test_speak_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, words):
    assert main(argv + ["-o", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "x.wav").exists()


def test_speak_refuses_an_unknown_output_format(tmp_path, capsys):
    assert main(["speak", "hi", "-o", str(tmp_path / "x.mp3"), "--quiet"]) == 2
    assert ".wav, .flac or .ogg" in capsys.readouterr().err


def test_transform_and_denoise_keep_rate_and_channels(speech, tmp_path):
    shifted = tmp_path / "up.wav"
    assert main(["voice", "transform", str(speech), "-o", str(shifted), "--pitch", "4", "--tempo", "1.25",
                 "--quiet"]) == 0
    src, rate = sf.read(speech, dtype="float32")
    out, out_rate = sf.read(shifted, dtype="float32")
    assert out_rate == rate
    assert len(out) == pytest.approx(len(src) / 1.25, rel=0.03)
    clean = tmp_path / "clean.wav"
    assert main(["voice", "denoise", str(speech), "-o", str(clean), "--strength", "0.5", "--quiet"]) == 0
    den, den_rate = sf.read(clean, dtype="float32")
    assert den_rate == rate and len(den) == len(src) and _rms(den) > 0.01


def test_transform_refuses_bad_ranges_and_missing_files(speech, tmp_path, capsys):
    assert main(["voice", "transform", str(speech), "-o", str(tmp_path / "o.wav"), "--formant", "3"]) == 2
    assert "formant ratio must be between 0.5 and 2" in capsys.readouterr().err
    assert main(["voice", "denoise", str(tmp_path / "none.wav"), "-o", str(tmp_path / "o.wav")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["voice"]) == 2


def test_sing_a_midi_file(tmp_path):
    notes = tuple(Note(p, i, 1.0) for i, p in enumerate((60, 62, 64, 65)))
    midi = save_midi(Melody(notes, tempo_bpm=100, name="steps"), tmp_path / "steps.mid")
    out = tmp_path / "sung.wav"
    assert main(["voice", "sing", str(midi), "--lyrics", "la la la la", "-o", str(out), "--quiet"]) == 0
    data, rate = sf.read(out, dtype="float32")
    assert len(data) / rate == pytest.approx(4 * 0.6, abs=0.6)  # 4 beats at 100 BPM, plus a release
    assert _rms(data) > 0.02


def test_an_unwritable_output_fails_before_any_work(tmp_path, capsys, monkeypatch):
    """The output is checked first: no speech is synthesised only to be thrown away."""
    from genai_studio.runtime import job_runner

    monkeypatch.setattr(job_runner.JobRunner, "__call__", lambda *a, **k: pytest.fail("the job ran"))
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    assert main(["speak", "hi", "-o", str(blocker / "x.wav"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "notes.txt is a file, not a folder" in err
    assert main(["speak", "hi", "-o", "/proc/no-such-dir/x.wav", "--quiet"]) == 2
    assert "cannot write x.wav in /proc/no-such-dir" in capsys.readouterr().err


def test_a_model_that_is_not_a_voice_is_named_as_such(tmp_path, capsys):
    assert main(["speak", "hi", "--voice", "melody-folk", "-o", str(tmp_path / "x.wav"), "--quiet"]) == 2
    assert "'melody-folk' is a melody model, not a voice" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["voice", "transform", "--pitch", "3"], ["voice", "denoise"]])
def test_out_naming_the_input_is_refused_and_the_input_kept(tmp_path, capsys, command):
    src = tmp_path / "take.wav"
    sf.write(src, 0.2 * np.sin(np.arange(8000) / 8000 * 2 * np.pi * 220), 16000)
    before = src.read_bytes()
    same = tmp_path / "sub" / ".." / "take.wav"  # the same file by another path
    (tmp_path / "sub").mkdir()
    assert main([*command[:2], str(src), "-o", str(same), *command[2:], "--quiet"]) == 2
    assert "OUT is IN (take.wav)" in capsys.readouterr().err
    assert src.read_bytes() == before
