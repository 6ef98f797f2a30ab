"""`genai-studio train art --data FOLDER`: bad folders are one error line, a short run writes a loadable model."""

from __future__ import annotations

import pytest
import torch

from genai_studio.cli import main
from genai_studio.core.manifest import read_manifest
from tests.training.test_art_folder import make_shapes


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_a_folder_too_small_is_exit_2_with_guidance(tmp_path, capsys):
    folder = make_shapes(tmp_path / "few", 12, labelled=False)
    assert main(["train", "art", "--data", str(folder), "--family", "gan", "-o", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: found 12 usable images") and err.count("\n") == 1
    assert main(["train", "art", "--data", str(tmp_path / "missing"), "--family", "gan", "-o", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_20_step_run_writes_the_model_and_resume_goes_on(tmp_path, capsys):
    folder = make_shapes(tmp_path / "shapes", 60, labelled=True)
    out = tmp_path / "model"
    args = ["train", "art", "--data", str(folder), "--family", "gan", "-o", str(out), "--steps", "20",
            "--sample-every", "10", "--batch-size", "4", "--device", "cpu", "--threads", "1"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "step 10/20 · d " in text and "ETA" in text and "after 20 steps" in text
    manifest = read_manifest(out / "manifest.json")
    assert (out / "shapes.safetensors").exists() and (out / "samples.png").exists()
    assert manifest.source.command == (f"genai-studio train art --data {folder} --family gan -o {out} --preset tiny "
                                       f"--steps 20 --seed 0 --device cpu --batch-size 4")
    assert main([*args[:-8], "--steps", "24", "--device", "cpu", "--resume"]) == 0
    assert "resuming gan training at step 20/24" in capsys.readouterr().out
    assert main([*args[:-8], "--family", "vae", "--resume"]) == 2
    # a finished model is never overwritten by accident
    assert main(args) == 2
    assert "already holds a trained model; --resume continues it, --overwrite replaces it" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--seed", "-1"], "--seed must be 0 or more"),
    (["--threads", "-1"], "--threads at least 1"),
    (["--batch-size", "100000"], "--batch-size 1 to 1024"),
])
def test_bad_numbers_are_refused_before_the_folder_is_read(tmp_path, capsys, extra, message):
    assert main(["train", "art", "--data", str(tmp_path / "never-read"), "--family", "gan", "-o",
                 str(tmp_path / "m"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_model_folder_must_be_writable_and_outside_the_images(tmp_path, capsys):
    folder = make_shapes(tmp_path / "shapes", 12, labelled=False)
    assert main(["train", "art", "--data", str(folder), "--family", "gan", "-o", str(folder / "model")]) == 2
    assert "is inside the training folder" in capsys.readouterr().err
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert main(["train", "art", "--data", str(folder), "--family", "gan", "-o", str(blocker)]) == 2
    assert "is a file; -o names the model folder" in capsys.readouterr().err
