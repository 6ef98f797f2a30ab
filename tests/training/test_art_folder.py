"""Reading a user's folder of training images: validation, normalisation, labels from subfolders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from genai_studio.core.errors import BadInput
from genai_studio.training.art_folder import label_words, scan_folder

COLOURS = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 170, 60)}


def make_shapes(folder: Path, n: int = 60, labelled: bool = True, size: int = 48, seed: int = 0) -> Path:
    """``n`` coloured circles and squares on white; in ``red-circles/``-style subfolders when ``labelled``."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        colour = list(COLOURS)[i % 3]
        shape = ("circle", "square")[(i // 3) % 2]
        img = Image.new("RGB", (size, size), "white")
        r = int(rng.integers(size // 5, size // 3))
        cx, cy = (int(v) for v in rng.integers(size // 3, 2 * size // 3, 2))
        draw = ImageDraw.Draw(img)
        (draw.ellipse if shape == "circle" else draw.rectangle)((cx - r, cy - r, cx + r, cy + r),
                                                                fill=COLOURS[colour])
        sub = folder / f"{colour}-{shape}s" if labelled else folder
        sub.mkdir(parents=True, exist_ok=True)
        img.save(sub / f"{i:03d}.png")
    return folder


def test_too_few_images_names_the_count_and_the_unreadable_files(tmp_path):
    make_shapes(tmp_path, 12, labelled=False)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(BadInput) as err:
        scan_folder(tmp_path, 32)
    msg = err.value.message
    assert "found 12 usable images" in msg and "at least 50" in msg
    assert "broken.png" in msg and "notes.txt" in msg and "flips" in msg


def test_missing_and_empty_folders_are_clear(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        scan_folder(tmp_path / "nope", 32)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="empty"):
        scan_folder(tmp_path / "empty", 32)


def test_corrupt_files_are_skipped_and_listed(tmp_path):
    make_shapes(tmp_path, 55, labelled=False)
    (tmp_path / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 20)
    Image.new("RGB", (40, 40), "red").save(tmp_path / "trunc.png")
    data = (tmp_path / "trunc.png").read_bytes()
    (tmp_path / "trunc.png").write_bytes(data[: len(data) // 2])
    (tmp_path / ".DS_Store").write_bytes(b"junk")  # hidden: ignored, not listed
    ds = scan_folder(tmp_path, 32)
    assert ds.images.shape == (55, 32, 32, 3) and ds.images.dtype == np.uint8
    skipped = dict(ds.report.skipped)
    assert set(skipped) == {"cut.jpg", "trunc.png"} and all(skipped.values())
    assert "cut.jpg" in ds.report.summary()


def test_mixed_sizes_are_cropped_and_resized_and_tiny_ones_counted(tmp_path):
    make_shapes(tmp_path, 50, labelled=False, size=64)
    wide = Image.new("RGB", (120, 60), "white")
    ImageDraw.Draw(wide).rectangle((45, 15, 75, 45), fill=(0, 0, 255))  # a blue square in the centre
    wide.save(tmp_path / "wide.png")
    Image.new("RGB", (10, 10), (0, 200, 0)).save(tmp_path / "tiny.png")
    ds = scan_folder(tmp_path, 32)
    assert ds.images.shape == (52, 32, 32, 3)
    assert ds.report.cropped == 1 and ds.report.upscaled == 1
    crop = ds.images[ds.names.index("wide.png")]
    assert crop[16, 16, 2] > 200 and crop[16, 16, 0] < 60  # centre crop keeps the square in the middle


def test_alpha_gray_palette_and_16_bit_become_rgb_on_white(tmp_path):
    make_shapes(tmp_path, 50, labelled=False)
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    ImageDraw.Draw(rgba).rectangle((10, 10, 30, 30), fill=(255, 0, 0, 255))
    rgba.save(tmp_path / "rgba.png")
    Image.new("L", (40, 40), 100).save(tmp_path / "gray.png")
    Image.new("RGB", (40, 40), (0, 0, 200)).convert("P", palette=Image.ADAPTIVE).save(tmp_path / "pal.gif")
    Image.fromarray(np.full((40, 40), 30000, np.uint16)).save(tmp_path / "deep.png")
    ds = scan_folder(tmp_path, 32)
    img = {n: ds.images[i] for i, n in enumerate(ds.names)}
    assert tuple(img["rgba.png"][1, 1]) == (255, 255, 255) and tuple(img["rgba.png"][16, 16]) == (255, 0, 0)
    assert tuple(img["gray.png"][5, 5]) == (100, 100, 100)
    assert img["pal.gif"][5, 5, 2] > 150 and img["pal.gif"][5, 5, 0] < 50
    assert 100 < int(img["deep.png"][5, 5, 0]) < 130  # 30000/65535 of white


def test_huge_images_are_refused_per_file(tmp_path, monkeypatch):
    from genai_studio.training import art_folder

    make_shapes(tmp_path, 50, labelled=False)
    Image.new("RGB", (300, 300), "white").save(tmp_path / "huge.png")
    monkeypatch.setattr(art_folder, "MAX_PIXELS", 200 * 200)
    ds = scan_folder(tmp_path, 32)
    assert len(ds.images) == 50 and "too large" in dict(ds.report.skipped)["huge.png"]


def test_subfolders_become_the_vocabulary(tmp_path):
    make_shapes(tmp_path, 60, labelled=True)
    ds = scan_folder(tmp_path, 32)
    assert set(ds.vocabulary) == {"red", "blue", "green", "circle", "square"}
    assert ds.labels.shape == (60, 5) and ds.labels.dtype == np.float32
    row = ds.labels[ds.names.index("red-circles/000.png")]
    assert {ds.vocabulary[i] for i in np.flatnonzero(row)} == {"red", "circle"}
    assert ds.report.label_counts["circle"] == 30


def test_a_flat_folder_is_unconditional(tmp_path):
    ds = scan_folder(make_shapes(tmp_path, 50, labelled=False), 32)
    assert ds.vocabulary == () and ds.labels.shape == (50, 0)
    assert any("subfolders" in n for n in ds.report.notes)


def test_label_words():
    assert label_words("Red-Flowers") == ["red", "flower"]
    assert label_words("glass_bus photos") == ["glass", "bus"]
