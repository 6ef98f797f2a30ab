"""Image file I/O: real files in every supported format/mode, and every kind of bad input."""

from __future__ import annotations

import errno
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genai_studio.core.errors import BadInput, DiskFull
from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio import atomic, deep_color
from genai_studio.mediaio.images import (
    IMAGE_FILE_FILTER,
    SUPPORTED_EXTENSIONS,
    decode_image_bytes,
    load_image,
    save_image,
)

RNG = np.random.default_rng(1234)


def noise(h: int, w: int, c: int, dtype=np.uint8) -> np.ndarray:
    return RNG.integers(0, np.iinfo(dtype).max + 1, (h, w, c), dtype=dtype)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def handmade_png16(pixels: np.ndarray) -> bytes:
    """A 16-bit RGB(A) PNG written independently of the code under test (filter 0 on every row)."""
    h, w, c = pixels.shape
    rows = np.ascontiguousarray(pixels, dtype=">u2").view(np.uint8).reshape(h, -1)
    raw = b"".join(b"\0" + row.tobytes() for row in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, {3: 2, 4: 6}[c], 0, 0, 0)
    chunks = png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


# ------------------------------------------------------------------------------------ 16-bit files


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_gray_from_pillow_stays_uint16(tmp_path, ext):
    gray = noise(21, 34, 1, np.uint16)[..., 0]
    Image.fromarray(gray).save(tmp_path / f"g{ext}")
    buf = load_image(tmp_path / f"g{ext}")
    assert buf.pixels.dtype == np.uint16 and buf.pixels.shape == (21, 34, 3)
    for ch in range(3):
        np.testing.assert_array_equal(buf.pixels[..., ch], gray)


@pytest.mark.parametrize("channels", [3, 4])
def test_handmade_16bit_png_loads_exactly(tmp_path, channels):
    px = noise(17, 23, channels, np.uint16)
    (tmp_path / "deep.png").write_bytes(handmade_png16(px))
    buf = load_image(tmp_path / "deep.png")
    assert buf.pixels.dtype == np.uint16
    np.testing.assert_array_equal(buf.pixels, px)


@pytest.mark.parametrize("ext", [".png", ".tif", ".tiff"])
@pytest.mark.parametrize("channels", [3, 4])
def test_16bit_round_trip_is_exact(tmp_path, ext, channels):
    px = noise(40, 31, channels, np.uint16)  # noise makes the PNG encoder use all five row filters
    save_image(ImageBuffer(px), tmp_path / f"out{ext}")
    back = load_image(tmp_path / f"out{ext}")
    assert back.bit_depth == 16
    np.testing.assert_array_equal(back.pixels, px)
    # An independent reader agrees: Pillow sees the high byte of each sample.
    with Image.open(tmp_path / f"out{ext}") as im:
        np.testing.assert_array_equal(np.asarray(im), (px >> 8).astype(np.uint8))


def test_16bit_gray_round_trip_writes_a_gray_file(tmp_path):
    gray = noise(12, 9, 1, np.uint16)
    save_image(ImageBuffer(np.repeat(gray, 3, axis=2)), tmp_path / "g.png")
    with Image.open(tmp_path / "g.png") as im:
        assert im.mode == "I;16"
    np.testing.assert_array_equal(load_image(tmp_path / "g.png").pixels[..., 0], gray[..., 0])


def test_uncompressed_16bit_tiff(tmp_path):
    px = noise(9, 14, 3, np.uint16)
    (tmp_path / "raw.tif").write_bytes(deep_color.encode_tiff16(px, compress=False))
    np.testing.assert_array_equal(load_image(tmp_path / "raw.tif").pixels, px)


def test_16bit_gray_alpha_png(tmp_path):
    ga = noise(8, 11, 2, np.uint16)
    (tmp_path / "ga.png").write_bytes(deep_color.encode_png16(ga))
    px = load_image(tmp_path / "ga.png").pixels
    assert px.dtype == np.uint16 and px.shape == (8, 11, 4)
    np.testing.assert_array_equal(px[..., 2], ga[..., 0])
    np.testing.assert_array_equal(px[..., 3], ga[..., 1])


def test_16bit_saved_as_jpeg_becomes_8bit(tmp_path):
    px = np.full((16, 16, 3), 40000, np.uint16)
    save_image(ImageBuffer(px), tmp_path / "x.jpg")
    back = load_image(tmp_path / "x.jpg")
    assert back.pixels.dtype == np.uint8
    assert abs(int(back.pixels[8, 8, 0]) - round(40000 / 257)) <= 2


# --------------------------------------------------------------------------------- 8-bit modes


def test_palette_with_transparency_becomes_rgba(tmp_path):
    im = Image.new("P", (6, 4), 1)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.putpixel((0, 0), 0)
    im.save(tmp_path / "p.png", transparency=0)
    px = load_image(tmp_path / "p.png").pixels
    assert px.shape == (4, 6, 4)
    assert px[0, 0, 3] == 0
    assert tuple(px[1, 1]) == (0, 0, 255, 255)


def test_palette_with_per_index_alpha(tmp_path):
    im = Image.new("P", (3, 3), 0)
    im.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    im.putpixel((2, 2), 1)
    im.save(tmp_path / "pa.png", transparency=bytes([128, 255]))
    px = load_image(tmp_path / "pa.png").pixels
    assert tuple(px[0, 0]) == (10, 20, 30, 128)
    assert tuple(px[2, 2]) == (200, 100, 50, 255)


def test_palette_without_transparency_is_rgb(tmp_path):
    Image.new("P", (3, 3), 0).save(tmp_path / "p.bmp")
    assert load_image(tmp_path / "p.bmp").pixels.shape == (3, 3, 3)


def test_gray_alpha_png(tmp_path):
    la = noise(5, 7, 2)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    px = load_image(tmp_path / "la.png").pixels
    assert px.shape == (5, 7, 4) and px.dtype == np.uint8
    np.testing.assert_array_equal(px[..., 1], la[..., 0])
    np.testing.assert_array_equal(px[..., 3], la[..., 1])


def test_rgba_png_exact(tmp_path):
    px = noise(13, 10, 4)
    Image.fromarray(px, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image(tmp_path / "a.png").pixels, px)


def test_cmyk_jpeg_converts_to_rgb(tmp_path):
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=95)  # pure red ink
    buf = load_image(tmp_path / "c.jpg")
    assert buf.pixels.shape == (16, 16, 3)
    r, g, b = (int(v) for v in buf.pixels[8, 8])
    assert r > 240 and g < 15 and b < 15


def test_grayscale_and_one_bit(tmp_path):
    Image.new("L", (4, 3), 77).save(tmp_path / "l.jpg")
    assert load_image(tmp_path / "l.jpg").pixels.shape == (3, 4, 3)
    bits = Image.new("1", (8, 2), 0)
    bits.putpixel((3, 1), 1)
    bits.save(tmp_path / "b.png")
    px = load_image(tmp_path / "b.png").pixels
    assert tuple(px[1, 3]) == (255, 255, 255) and tuple(px[0, 0]) == (0, 0, 0)


def test_exif_orientation_6_is_applied(tmp_path):
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 10, 10))  # red marker at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    im.save(tmp_path / "rot.jpg", exif=exif, quality=95)
    px = load_image(tmp_path / "rot.jpg").pixels
    assert px.shape == (40, 20, 3)
    assert px[3, 16, 0] > 200 and px[3, 16, 2] < 60  # marker moved to the displayed top-right
    assert px[36, 3, 2] > 200


def test_exif_orientation_on_16bit_png(tmp_path):
    px = noise(7, 9, 3, np.uint16)
    png = deep_color.encode_png16(px)
    exif = Image.Exif()
    exif[0x0112] = 6
    at = png.index(b"IDAT") - 4  # insert an eXIf chunk before the first IDAT chunk
    (tmp_path / "r.png").write_bytes(png[:at] + png_chunk(b"eXIf", exif.tobytes()) + png[at:])
    buf = load_image(tmp_path / "r.png")
    assert buf.pixels.dtype == np.uint16
    np.testing.assert_array_equal(buf.pixels, np.rot90(px, -1))  # both byte passes rotated alike


@pytest.mark.parametrize("ext,mode", [(".webp", "RGBA"), (".bmp", "RGB"), (".tif", "RGB"), (".png", "RGB")])
def test_lossless_8bit_formats_exact(tmp_path, ext, mode):
    px = noise(11, 19, len(mode))
    options = {"lossless": True, "exact": True} if ext == ".webp" else {}
    Image.fromarray(px, mode).save(tmp_path / f"x{ext}", **options)
    buf = load_image(tmp_path / f"x{ext}")
    np.testing.assert_array_equal(buf.pixels, px)
    assert buf.name == f"x{ext}" and buf.metadata["path"] == str(tmp_path / f"x{ext}")


@pytest.mark.parametrize("ext", [".png", ".webp", ".tif"])
def test_8bit_save_round_trip_with_alpha(tmp_path, ext):
    px = noise(9, 12, 4)
    save_image(ImageBuffer(px), tmp_path / f"o{ext}", quality=100)
    np.testing.assert_array_equal(load_image(tmp_path / f"o{ext}").pixels, px)


def test_webp_is_written_losslessly_unless_a_quality_is_asked_for(tmp_path):
    px = noise(16, 16, 3)  # sharp colour noise: lossy WebP's 4:2:0 chroma would smear it badly
    save_image(ImageBuffer(px), tmp_path / "default.webp")
    np.testing.assert_array_equal(load_image(tmp_path / "default.webp").pixels, px)
    save_image(ImageBuffer(px), tmp_path / "lossy.webp", quality=80)
    assert not np.array_equal(load_image(tmp_path / "lossy.webp").pixels, px)


@pytest.mark.parametrize("ext", [".jpg", ".bmp"])
def test_alpha_is_composited_over_white_when_format_has_none(tmp_path, ext):
    px = np.zeros((8, 8, 4), np.uint8)
    px[:, :4] = (255, 0, 0, 255)  # left half opaque red, right half fully transparent black
    save_image(ImageBuffer(px), tmp_path / f"o{ext}")
    back = load_image(tmp_path / f"o{ext}").pixels
    assert back.shape == (8, 8, 3)
    assert back[4, 6].min() > 240  # transparent -> white, not black
    assert back[4, 1, 0] > 240 and back[4, 1, 1] < 20


def test_decode_image_bytes(tmp_path):
    px = noise(5, 6, 3)
    out = io.BytesIO()
    Image.fromarray(px).save(out, "PNG")
    buf = decode_image_bytes(out.getvalue(), "clip.png")
    np.testing.assert_array_equal(buf.pixels, px)
    with pytest.raises(BadInput, match=r"clip\.png is empty \(0 bytes\)"):
        decode_image_bytes(b"", "clip.png")


def test_constants():
    assert {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"} <= set(SUPPORTED_EXTENSIONS)
    assert IMAGE_FILE_FILTER.startswith("Images (*.png ") and "All files (*)" in IMAGE_FILE_FILTER


# ---------------------------------------------------------------------------------- bad input


def test_empty_file(tmp_path):
    (tmp_path / "photo.png").write_bytes(b"")
    with pytest.raises(BadInput, match=r"^photo\.png is empty \(0 bytes\)\.$"):
        load_image(tmp_path / "photo.png")


@pytest.mark.parametrize("fmt,ext", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_truncated_file(tmp_path, fmt, ext):
    out = io.BytesIO()
    Image.fromarray(noise(64, 64, 3)).save(out, fmt)
    (tmp_path / f"cut{ext}").write_bytes(out.getvalue()[: len(out.getvalue()) // 2])
    with pytest.raises(BadInput, match=rf"cut\{ext} is damaged or incomplete and cannot be decoded"):
        load_image(tmp_path / f"cut{ext}")


def test_decompression_bomb_header_is_refused_before_decoding(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG")
    data = bytearray(out.getvalue())
    # IHDR data starts at byte 16 (8 magic + 4 length + 4 type); CRC follows its 13 bytes.
    data[16:24] = struct.pack(">II", 40000, 40000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(BadInput, match=r"bomb\.png is 40000×40000 pixels \(1,600 megapixels\), too large"):
        load_image(tmp_path / "bomb.png")


def test_text_file_is_not_an_image(tmp_path):
    (tmp_path / "notes.txt").write_text("hello, this is not a picture\n")
    with pytest.raises(BadInput, match=r"notes\.txt is not an image GenAI Studio can open \(a '\.txt' file\)"):
        load_image(tmp_path / "notes.txt")


def test_unknown_extension_with_junk(tmp_path):
    (tmp_path / "data.xyz").write_bytes(b"\x00\x13junkjunkjunk" * 10)
    with pytest.raises(BadInput, match=r"data\.xyz is not an image .*'\.xyz' file"):
        load_image(tmp_path / "data.xyz")


def test_other_image_format_is_named(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "anim.gif")
    with pytest.raises(BadInput, match=r"anim\.gif is a GIF image; GenAI Studio opens PNG, JPEG"):
        load_image(tmp_path / "anim.gif")


def test_directory_and_missing(tmp_path):
    with pytest.raises(BadInput, match=r"it is a folder, not an image file"):
        load_image(tmp_path)
    with pytest.raises(BadInput, match=r"missing\.png: the file does not exist"):
        load_image(tmp_path / "missing.png")


def test_unreadable_file(tmp_path, monkeypatch):
    Image.new("RGB", (2, 2)).save(tmp_path / "locked.png")

    def deny(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(BadInput, match=r"locked\.png: permission denied"):
        load_image(tmp_path / "locked.png")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions")
def test_unreadable_file_for_real(tmp_path):
    Image.new("RGB", (2, 2)).save(tmp_path / "locked.png")
    (tmp_path / "locked.png").chmod(0)
    with pytest.raises(BadInput, match="permission denied"):
        load_image(tmp_path / "locked.png")


# ------------------------------------------------------------------------------- saving failures


def test_unwritable_folder_raises_disk_full_and_leaves_nothing(tmp_path, monkeypatch):
    real_open = os.open

    def deny(path, flags, *args):
        if Path(path).parent == tmp_path and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(atomic.os, "open", deny)
    with pytest.raises(DiskFull, match=r"Cannot save out\.png: the folder .* is not writable"):
        save_image(ImageBuffer(noise(4, 4, 3)), tmp_path / "out.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_folder_for_real(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(DiskFull, match="not writable"):
            save_image(ImageBuffer(noise(4, 4, 3)), locked / "out.png")
    finally:
        locked.chmod(0o700)


def test_full_disk_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    original = noise(4, 4, 3)
    save_image(ImageBuffer(original), target)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(DiskFull, match=r"Not enough disk space to save keep\.png"):
        save_image(ImageBuffer(noise(64, 64, 3)), target)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]
    np.testing.assert_array_equal(load_image(target).pixels, original)


def test_save_path_errors(tmp_path):
    buf = ImageBuffer(noise(2, 2, 3))
    with pytest.raises(BadInput, match=r"'\.xyz' is not a supported image type"):
        save_image(buf, tmp_path / "a.xyz")
    with pytest.raises(BadInput, match=r"nowhere does not exist"):
        save_image(buf, tmp_path / "nowhere" / "a.png")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(BadInput, match="it is a folder"):
        save_image(buf, tmp_path / "dir.png")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BadInput, match="is not a folder"):
        save_image(buf, tmp_path / "file" / "a.png")
    with pytest.raises(BadInput, match="quality must be between 1 and 100"):
        save_image(buf, tmp_path / "q.jpg", quality=0)
