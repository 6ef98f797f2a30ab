"""`genai-studio generate` and `genai-studio train art`: files written, unknown words printed, errors are one line."""

from __future__ import annotations

import numpy as np
from PIL import Image

from genai_studio.cli import main
from genai_studio.core.manifest import read_manifest
from genai_studio.training import art_data as ad


def test_generate_writes_pngs_and_grid(tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["generate", "-o", str(out), "--prompt", "smiling cat blorpt", "--count", "3", "--seed", "5",
                 "--size", "96", "--quiet", "--device", "cpu"]) == 0
    files = sorted(p.name for p in out.glob("*.png"))
    assert files == ["grid.png", "smiling-cat-blorpt-5-01.png", "smiling-cat-blorpt-5-02.png",
                     "smiling-cat-blorpt-5-03.png"]
    assert np.asarray(Image.open(out / files[1])).shape[:2] == (96, 96)
    assert np.asarray(Image.open(out / "grid.png")).shape[:2] == (192, 192)
    assert "unknown words (ignored): blorpt" in capsys.readouterr().out


def test_generate_is_reproducible(tmp_path):
    for name in ("a", "b"):
        assert main(["generate", "-o", str(tmp_path / name), "--prompt", "rocket", "--count", "2", "--seed", "9",
                     "--quiet"]) == 0
    a = np.asarray(Image.open(tmp_path / "a" / "rocket-9-02.png"))
    assert np.array_equal(a, np.asarray(Image.open(tmp_path / "b" / "rocket-9-02.png")))


def test_generate_bad_input_is_one_error_line(tmp_path, capsys):
    assert main(["generate", "-o", str(tmp_path), "--count", "100"]) == 2
    assert capsys.readouterr().err.startswith("error: count must be between 1 and 64")
    assert main(["generate", "--prompt", "cat"]) == 2
    assert "-o OUTDIR" in capsys.readouterr().err
    assert main(["generate", "-o", str(tmp_path), "--model", "no-such-model"]) == 2


def test_generate_vocabulary(capsys):
    assert main(["generate", "--vocabulary"]) == 0
    assert "rocket" in capsys.readouterr().out.split()


def test_train_art_cli_on_a_tiny_data_dir(tmp_path, capsys):
    from tests.training.test_art_vae import synthetic_data

    ad.save_art_data(synthetic_data(12), tmp_path / "data")
    out = tmp_path / "model"
    assert main(["train", "art", "--data", str(tmp_path / "data"), "--family", "vae", "-o", str(out),
                 "--steps", "2", "--batch-size", "4", "--threads", "1"]) == 0
    manifest = read_manifest(out / "art-emoji-vae.json")
    assert manifest.source.command == (f"genai-studio train art --family vae -o {out} --steps 2 --minutes 18 "
                                       f"--seed 0 --data {tmp_path / 'data'} --batch-size 4 --threads 1")
    assert "after 2 steps" in capsys.readouterr().out


def test_huge_seeds_work_and_a_walk_never_overwrites_its_own_ends(tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["generate", "-o", str(out), "--count", "2", "--seed", "20000000000000", "--quiet"]) == 0
    ends = sorted(out.glob("emoji-20000000000000-*.png"))
    before = [p.read_bytes() for p in ends]
    assert main(["generate", "-o", str(out), "--seed", "20000000000000", "--walk", *map(str, ends), "--quiet"]) == 2
    assert "would be overwritten by this run's output" in capsys.readouterr().err
    assert [p.read_bytes() for p in ends] == before


def test_options_a_walk_does_not_use_are_refused(tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for path in (a, b):
        Image.new("RGB", (64, 64), "white").save(path)
    assert main(["generate", "-o", str(tmp_path / "w"), "--walk", str(a), str(b), "--count", "9",
                 "--temperature", "9"]) == 2
    assert "--count, --temperature do not apply to --walk" in capsys.readouterr().err
