"""`genai-studio melody …` and `train melody`: files written, exit codes, one clear line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pretty_midi
import pytest

from genai_studio.cli import main
from genai_studio.core.music import parse_key


def _read(path: Path) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(str(path))
    assert len(pm.instruments) == 1 and pm.instruments[0].notes
    return pm


@pytest.fixture(scope="module")
def tune(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("melody") / "tune.mid"
    assert main(["melody", "generate", "-o", str(out), "--bars", "8", "--key", "G major", "--meter", "6/8",
                 "--tempo", "132", "--seed", "4", "--style", "jig", "--range", "D4-B5"]) == 0
    return out


def test_generate_writes_a_midi_melody(tune, capsys):
    pm = _read(tune)
    notes = pm.instruments[0].notes
    key = parse_key("G major")
    assert all(key.contains(n.pitch) and 62 <= n.pitch <= 83 for n in notes)
    assert pm.get_tempo_changes()[1][0] == pytest.approx(132, abs=0.01)
    ts = pm.time_signature_changes[0]
    assert (ts.numerator, ts.denominator) == (6, 8)
    beats = pm.get_end_time() * 132 / 60
    assert beats == pytest.approx(8 * 3, abs=1e-3)


def test_generate_is_reproducible_by_seed(tmp_path, tune):
    again = tmp_path / "again.mid"
    assert main(["melody", "generate", "-o", str(again), "--bars", "8", "--key", "G major", "--meter", "6/8",
                 "--tempo", "132", "--seed", "4", "--style", "jig", "--range", "62-83"]) == 0
    assert [(n.pitch, n.start) for n in _read(again).instruments[0].notes] == \
           [(n.pitch, n.start) for n in _read(tune).instruments[0].notes]


def test_continue_vary_interpolate_write_files(tmp_path, tune, capsys):
    cont, var = tmp_path / "cont.mid", tmp_path / "var.mid"
    assert main(["melody", "continue", str(tune), "-o", str(cont), "--bars", "4", "--seed", "1"]) == 0
    src = _read(tune).instruments[0].notes
    out = _read(cont).instruments[0].notes
    assert [(n.pitch, round(n.start, 4)) for n in out[: len(src)]] == [(n.pitch, round(n.start, 4)) for n in src]
    assert len(out) > len(src)
    assert main(["melody", "vary", str(tune), "-o", str(var), "--mode", "keep_rhythm", "--amount", "1",
                 "--seed", "2"]) == 0
    varied = _read(var).instruments[0].notes
    assert [round(n.start, 4) for n in varied] == [round(n.start, 4) for n in src]
    folder = tmp_path / "steps"
    assert main(["melody", "interpolate", str(tune), str(cont), "-o", str(folder), "--steps", "3", "--seed", "0"]) == 0
    assert len(sorted(folder.glob("*.mid"))) == 3
    assert "notes" in capsys.readouterr().out


def test_score_reports_model_and_ngram(tmp_path, tune, capsys):
    abc = tmp_path / "tune.abc"
    abc.write_text("X:1\nT:Test\nM:6/8\nL:1/8\nK:D\nA|dfa agf|edc d2A|dfa agf|edc d2:|\n", encoding="utf-8")
    assert main(["melody", "score", str(tune), str(abc), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [Path(r["file"]).name for r in rows] == ["tune.mid", "tune.abc"]
    for r in rows:
        assert r["model_bits_per_note"] > 0 and r["ngram_bits_per_note"] > 0 and r["ngram_order"] == 7
    assert main(["melody", "score", str(tune)]) == 0
    assert "7-gram" in capsys.readouterr().out


def _drums(path: Path) -> Path:
    pm = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    kit.notes += [pretty_midi.Note(100, 36, i * 0.5, i * 0.5 + 0.1) for i in range(8)]
    pm.instruments.append(kit)
    pm.write(str(path))
    return path


@pytest.mark.parametrize("args,needle", [
    (["generate", "--bars", "0"], "bars"),
    (["generate", "--tempo", "0"], "tempo"),
    (["generate", "--key", "H major"], "key"),
    (["generate", "--meter", "7/4"], "6 beats"),
    (["generate", "--range", "70-72"], "range"),
    (["generate", "--range", "low-high"], "pitch"),
    (["generate", "--temperature", "9"], "temperature"),
    (["generate", "--seed", "-5"], "seed must be a whole number"),
])
def test_bad_parameters_exit_2_with_one_line(tmp_path, capsys, args, needle):
    out = tmp_path / "x.mid"
    assert main(["melody", args[0], "-o", str(out), *args[1:]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and needle in err and "\n" not in err
    assert not out.exists()


def test_bad_files_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty.mid"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.mid"
    corrupt.write_bytes(b"MThd\x00\x00\x00\x06garbage")
    drums = _drums(tmp_path / "drums.mid")
    for path, needle in ((empty, "empty"), (corrupt, "not a readable MIDI"), (drums, "drum"),
                         (tmp_path / "missing.mid", "does not exist")):
        assert main(["melody", "continue", str(path), "-o", str(tmp_path / "o.mid")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and needle in err
    assert main(["melody", "score", str(corrupt), "--json"]) == 2
    assert main(["melody", "generate", "-o", str(tmp_path / "x.wav")]) == 2
    assert "MIDI" in capsys.readouterr().err


def test_train_command_is_registered(capsys):
    with pytest.raises(SystemExit):
        main(["train", "melody", "--help"])
    assert "--epochs" in capsys.readouterr().out
    assert main(["train", "melody", "--epochs", "0"]) == 2


@pytest.mark.parametrize("command", ["continue", "vary"])
def test_continue_and_vary_never_overwrite_their_input(tmp_path, capsys, command):
    src = tmp_path / "tune.mid"
    assert main(["melody", "generate", "-o", str(src), "--bars", "2", "--seed", "1"]) == 0
    before = src.read_bytes()
    assert main(["melody", command, str(src), "-o", str(src)]) == 2
    assert "OUT is IN (tune.mid)" in capsys.readouterr().err
    assert src.read_bytes() == before
