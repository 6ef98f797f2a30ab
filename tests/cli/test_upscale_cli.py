"""`genai-studio upscale`: files, folders, and every bad input as one clear line and a non-zero exit."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genai_studio.cli import main

FAST = ["--model", "realesr-animevideov3-x2", "--scale", "2", "--quiet"]


def _png(path: Path, w=24, h=20) -> Path:
    yy, xx = np.mgrid[0:h, 0:w]
    Image.fromarray(np.stack([xx * 10, yy * 12, (xx + yy) * 5], 2).astype(np.uint8)).save(path)
    return path


def _bomb_png(path: Path, w=40000, h=40000) -> Path:
    """A valid 1x1 PNG whose IHDR claims w×h (with a correct CRC, so only the size gives it away)."""
    _png(path, 1, 1)
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", w, h) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def test_upscale_one_file(tmp_path):
    src = _png(tmp_path / "in.png")
    out = tmp_path / "out.png"
    assert main(["upscale", str(src), "-o", str(out), *FAST]) == 0
    with Image.open(out) as im:
        assert im.size == (48, 40)


def test_upscale_into_existing_folder_names_the_file(tmp_path):
    src = _png(tmp_path / "photo.png")
    dest = tmp_path / "dest"
    dest.mkdir()
    assert main(["upscale", str(src), "-o", str(dest), *FAST]) == 0
    assert (dest / "photo_x2.png").is_file()


def test_upscale_folder_reports_per_file_errors_and_continues(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _png(src / "a.png")
    _png(src / "b.png", 16, 16)
    (src / "broken.png").write_bytes(b"")
    (src / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    assert main(["upscale", str(src), "-o", str(out), *FAST]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    err = capsys.readouterr().err
    assert "broken.png" in err and "empty" in err and "1 of 3 images failed" in err


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda d: _write(d / "zero.png", b""), "empty"),
        (lambda d: _write(d / "cut.png", _png(d / "full.png", 64, 64).read_bytes()[:120]), "truncated"),
        (lambda d: _bomb_png(d / "bomb.png"), "40000"),
        (lambda d: _write(d / "doc.txt", b"hello"), "not"),
        (lambda d: d / "missing.png", "does not exist"),
    ],
    ids=["zero-bytes", "truncated", "bomb", "unsupported", "missing"],
)
def test_bad_inputs_exit_2_with_one_clear_line(tmp_path, capsys, make, expected):
    src = make(tmp_path)
    code = main(["upscale", str(src), "-o", str(tmp_path / "o.png"), *FAST])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error:") and expected in err.lower()
    assert "Traceback" not in err
    assert not (tmp_path / "o.png").exists()


def test_unknown_model_is_a_clear_error(tmp_path, capsys):
    src = _png(tmp_path / "in.png")
    assert main(["upscale", str(src), "-o", str(tmp_path / "o.png"), "--model", "nope"]) == 2
    assert "no model with id 'nope'" in capsys.readouterr().err


def test_console_script_entry_point(tmp_path):
    exe = Path(sys.executable).with_name("genai-studio")
    result = subprocess.run([str(exe), "upscale", str(tmp_path / "missing.png"), "-o", str(tmp_path / "o.png")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and "Traceback" not in result.stderr


def test_never_overwrites_the_originals_and_checks_the_output_before_working(tmp_path, capsys, monkeypatch):
    from genai_studio.runtime import job_runner

    folder = tmp_path / "photos"
    folder.mkdir()
    original = _png(folder / "a.png").read_bytes()
    monkeypatch.setattr(job_runner.JobRunner, "__call__", lambda *a, **k: pytest.fail("the job ran"))
    cases = [
        ([str(folder), "-o", str(folder)], "OUT is the same folder as IN"),
        ([str(folder), "-o", str(folder / ".." / "photos")], "OUT is the same folder as IN"),
        ([str(folder / "a.png"), "-o", str(folder / "a.png")], "OUT is IN (a.png)"),
        ([str(folder / "a.png"), "-o", str(tmp_path / "big.gif")], "'.gif' is not a supported image type"),
        ([str(folder / "a.png"), "-o", str(folder / "a.png" / "x.png")], "a.png is a file, not a folder"),
    ]
    for argv, message in cases:
        assert main(["upscale", *argv, *FAST]) == 2
        assert message in capsys.readouterr().err
    assert (folder / "a.png").read_bytes() == original and sorted(p.name for p in folder.iterdir()) == ["a.png"]


def test_a_black_and_white_photo_stays_black_and_white(tmp_path):
    from genai_studio.mediaio.images import load_image

    yy, xx = np.mgrid[0:20, 0:24]
    src = tmp_path / "bw.png"
    Image.fromarray(((xx * 9 + yy * 5) % 256).astype(np.uint8), "L").save(src)
    assert main(["upscale", str(src), "-o", str(tmp_path / "out.png"), *FAST]) == 0
    assert load_image(tmp_path / "out.png").is_grayscale  # no tint from a colour network


@pytest.mark.parametrize("failure, code, said", [
    (KeyboardInterrupt(), 130, "cancelled"),
    (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 4 GB"), 2, "Ran out of memory"),
    (MemoryError("Unable to allocate 1.12 GiB"), 2, "Ran out of memory"),
])
def test_ctrl_c_and_out_of_memory_end_in_one_line(capsys, failure, code, said):
    import argparse

    from genai_studio.cli import _run_command

    def command(_args):
        raise failure

    assert _run_command(argparse.Namespace(func=command)) == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_other_runtime_errors_are_not_mistaken_for_memory():
    import argparse

    from genai_studio.cli import _run_command

    def command(_args):
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        _run_command(argparse.Namespace(func=command))


@pytest.mark.parametrize("tile", ["1", "-5"])
def test_a_too_small_tile_is_one_error_line(tmp_path, capsys, tile):
    src = tmp_path / "in.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(src)
    assert main(["upscale", str(src), "-o", str(tmp_path / "out.png"), "--tile", tile]) == 2
    assert "--tile must be 0 (no tiling) or at least 32 pixels" in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()
