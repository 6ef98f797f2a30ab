"""`genai-studio restore` and `upscale --quality`: tasks, recipes, folders and bad input as one clear line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from genai_studio.cli import main
from genai_studio.paths import BUILTIN_MODELS_DIR


def _png(path, w=48, h=40, mode="RGB"):
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 5, yy * 6, (xx + yy) * 3], 2).astype(np.uint8)
    noisy = np.clip(rgb + np.random.default_rng(0).normal(0, 20, rgb.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).convert(mode).save(path)
    return path


def _mask(path, w=48, h=40, box=(10, 10, 20, 20)):
    m = np.zeros((h, w), np.uint8)
    m[box[1]:box[3], box[0]:box[2]] = 255
    Image.fromarray(m).save(path)
    return path


def test_denoise_one_file_classical(tmp_path):
    out = tmp_path / "out.png"
    assert main(["restore", str(_png(tmp_path / "in.png")), "-o", str(out), "--task", "denoise",
                 "--model", "classical", "--quiet"]) == 0
    assert Image.open(out).size == (48, 40)


def test_inpaint_with_mask_and_grayscale_input(tmp_path):
    src = _png(tmp_path / "in.png", mode="L")
    out = tmp_path / "out.png"
    assert main(["restore", str(src), "-o", str(out), "--task", "inpaint", "--mask", str(_mask(tmp_path / "m.png")),
                 "--quiet"]) == 0
    assert Image.open(out).mode == "L"  # grayscale in, grayscale out


def test_bad_masks_are_one_clear_line(tmp_path, capsys):
    src = _png(tmp_path / "in.png")
    args = ["restore", str(src), "-o", str(tmp_path / "o.png"), "--task", "inpaint", "--quiet", "--mask"]
    assert main(args + [str(_mask(tmp_path / "small.png", 30, 20))]) == 2
    assert "is 30×20 but in.png is 48×40" in capsys.readouterr().err
    assert main(args + [str(_mask(tmp_path / "empty.png", box=(0, 0, 0, 0)))]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["restore", str(src), "-o", str(tmp_path / "o.png"), "--task", "inpaint", "--quiet"]) == 2
    assert "needs a mask" in capsys.readouterr().err


def test_scratch_detect_only_writes_the_mask(tmp_path):
    out = tmp_path / "mask.png"
    assert main(["restore", str(_png(tmp_path / "in.png")), "-o", str(out), "--task", "scratches",
                 "--detect-only", "--quiet"]) == 0
    assert Image.open(out).size == (48, 40)


def test_colorize_without_model_and_invalid_recipe_are_errors(tmp_path, capsys):
    src = _png(tmp_path / "in.png")
    # colorize has no classical method: asking for one is a clear error (the trained model is the default)
    assert main(["restore", str(src), "-o", str(tmp_path / "o.png"), "--task", "colorize", "--model", "classical",
                 "--quiet"]) == 2
    assert "there is no model 'classical'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"steps": [{"task": "denoise"}, {"task": "denoise", "settings": {"strength": 2}}]}))
    assert main(["restore", str(src), "-o", str(tmp_path / "o.png"), "--recipe", str(bad), "--quiet"]) == 2
    assert "step 2 (denoise): strength must be between 0 and 1" in capsys.readouterr().err


def test_recipe_on_a_folder_reports_per_file_errors(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _png(src / "a.png")
    (src / "b.png").write_bytes(b"")
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"steps": [{"task": "scratches"}, {"task": "denoise",
                                                                    "settings": {"model_id": "classical"}}]}))
    assert main(["restore", str(src), "-o", str(tmp_path / "out"), "--recipe", str(recipe), "--quiet"]) == 2
    assert (tmp_path / "out" / "a.png").is_file()
    assert "b.png" in capsys.readouterr().err


def test_upscale_fidelity_without_a_fidelity_model_is_clear(tmp_path, capsys):
    if any("fidelity" in json.loads(p.read_text()).get("tags", []) for p in BUILTIN_MODELS_DIR.glob("*.json")):
        pytest.skip("a fidelity upscaler is installed")
    assert main(["upscale", str(_png(tmp_path / "in.png")), "-o", str(tmp_path / "o.png"), "--quality", "fidelity",
                 "--quiet"]) == 2
    assert "no fidelity upscaler is installed" in capsys.readouterr().err


def test_options_that_would_be_ignored_and_in_place_writes_are_refused(tmp_path, capsys):
    src = _png(tmp_path / "a.png")
    original = src.read_bytes()
    recipe = tmp_path / "r.json"
    recipe.write_text('{"steps": [{"task": "denoise"}]}')
    cases = [
        (["--task", "denoise", "--detect-only"], "--detect-only only works with --task scratches"),
        (["--task", "jpeg", "--save-mask", str(tmp_path / "m.png")], "--save-mask only works with --task scratches"),
        (["--recipe", str(recipe), "--strength", "0.5", "--model", "classical"],
         "--strength, --model cannot be used with --recipe"),
    ]
    for extra, message in cases:
        assert main(["restore", str(src), "-o", str(tmp_path / "o.png"), *extra, "--quiet"]) == 2
        assert message in capsys.readouterr().err
    assert main(["restore", str(src), "-o", str(src), "--task", "denoise", "--quiet"]) == 2
    assert "OUT is IN (a.png)" in capsys.readouterr().err
    assert src.read_bytes() == original and not (tmp_path / "o.png").exists()


def test_mask_files_are_checked_up_front_and_never_overwritten(tmp_path, capsys):
    photo, mask = str(_png(tmp_path / "photo.png")), str(_mask(tmp_path / "mask.png"))
    kept = {p: p.read_bytes() for p in (tmp_path / "photo.png", tmp_path / "mask.png")}
    result = str(tmp_path / "result.png")
    (tmp_path / "folder").mkdir()
    _png(tmp_path / "folder" / "a.png")
    cases = [  # (OUT, options, what the error says)
        (result, ["--task", "scratches", "--save-mask", photo], "OUT is IN (photo.png)"),
        (result, ["--task", "scratches", "--save-mask", result], "the same file"),
        (result, ["--task", "scratches", "--save-mask", str(tmp_path / "m.gif")], "'.gif' is not a supported"),
        (result, ["--task", "scratches", "--save-mask", str(tmp_path / "photo.png" / "m.png")], "not a folder"),
        (mask, ["--task", "inpaint", "--mask", mask], "OUT is IN (mask.png)"),
    ]
    for out, options, said in cases:
        assert main(["restore", photo, "-o", out, *options, "--quiet"]) == 2, said
        assert said in capsys.readouterr().err
        assert not (tmp_path / "result.png").exists()  # refused before any work, not after writing the result
    assert all(p.read_bytes() == data for p, data in kept.items())
    assert main(["restore", str(tmp_path / "folder"), "-o", str(tmp_path / "out"), "--task", "scratches",
                 "--save-mask", str(tmp_path / "m.png"), "--quiet"]) == 2
    assert "works on one image, not a folder" in capsys.readouterr().err


def test_a_recipe_with_a_byte_order_mark_or_absurd_nesting(tmp_path, capsys):
    photo = str(_png(tmp_path / "photo.png"))
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"steps": [{"task": "denoise", "settings": {"model_id": "classical"}}]}).encode())
    assert main(["restore", photo, "-o", str(tmp_path / "a.png"), "--recipe", str(bom), "--quiet"]) == 0
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["restore", photo, "-o", str(tmp_path / "b.png"), "--recipe", str(deep), "--quiet"]) == 2
    assert "nested too deeply" in capsys.readouterr().err
