"""`genai-studio style`: a named style or a style image written to a file; bad input is one `error:` line."""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage import data

from genai_studio.cli import main
from genai_studio.core.art_jobs import STYLE_NAMES


def _png(path, w=64, h=48, name="astronaut"):
    Image.fromarray(getattr(data, name)()[..., :3]).resize((w, h)).save(path)
    return path


def test_named_style_writes_the_file(tmp_path, capsys):
    src, out = _png(tmp_path / "in.png"), tmp_path / "sub" / "out.png"
    assert main(["style", str(src), "-o", str(out), "--style", "Starry Swirls", "--strength", "0.8", "--quiet"]) == 0
    result = np.asarray(Image.open(out))
    assert result.shape == (48, 64, 3)
    assert np.abs(result.astype(int) - np.asarray(Image.open(src)).astype(int)).mean() > 5
    assert capsys.readouterr().err == ""


def test_style_image_mask_and_preserve_colors(tmp_path):
    src, style = _png(tmp_path / "in.png"), _png(tmp_path / "style.jpg", 80, 80, "coffee")
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 10:40] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    assert main(["style", str(src), "-o", str(out), "--style-image", str(style), "--mask", str(tmp_path / "mask.png"),
                 "--preserve-colors", "--quiet"]) == 0
    changed = np.any(np.asarray(Image.open(out)) != np.asarray(Image.open(src)), axis=2)
    assert changed[15:25, 15:35].mean() > 0.9 and not changed[44:, :].any()


def test_list_prints_the_26_styles(capsys):
    assert main(["style", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 26 and lines[19].split() == ["19", STYLE_NAMES[19]]


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_bad_input_is_one_error_line_and_exit_2(tmp_path, capsys):
    src = _png(tmp_path / "in.png")
    out = tmp_path / "out.png"
    base = ["style", str(src), "-o", str(out), "--quiet"]
    assert main(base + ["--style", "van-gogh"]) == 2
    assert "unknown style 'van-gogh'" in _one_error(capsys)
    corrupt = tmp_path / "style.png"
    corrupt.write_bytes(src.read_bytes()[:120])
    assert main(base + ["--style-image", str(corrupt)]) == 2
    assert "style.png" in _one_error(capsys)
    assert main(base + ["--style", "ember", "--strength", "2"]) == 2
    assert "strength must be between 0 and 1" in _one_error(capsys)
    assert main(base) == 2
    assert "choose a style" in _one_error(capsys)
    assert main(["style", str(tmp_path / "missing.png"), "-o", str(out), "--style", "ember", "--quiet"]) == 2
    assert "does not exist" in _one_error(capsys)
    assert not out.exists()


def test_the_output_may_not_be_an_input(tmp_path, capsys):
    src = _png(tmp_path / "photo.png")
    original = src.read_bytes()
    assert main(["style", str(src), "-o", str(src), "--style", STYLE_NAMES[0], "--quiet"]) == 2
    assert "is one of the inputs" in capsys.readouterr().err and src.read_bytes() == original
    assert main(["style", str(src), "-o", str(tmp_path / "x.gif"), "--style", STYLE_NAMES[0], "--quiet"]) == 2
    assert "'.gif' is not a supported image type" in capsys.readouterr().err
