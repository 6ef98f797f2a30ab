"""16-bit-per-channel image support that Pillow lacks.

Pillow decodes 16-bit RGB/RGBA PNG and TIFF files to 8 bits (it keeps only the high byte) and cannot
write them at all. This module fills both gaps without a second imaging library:

* Reading: Pillow's C decoders still unfilter/decompress the full 16-bit rows; only the final unpack step
  drops the low byte. Decoding the same file a second time with the byte order of the unpacker swapped
  ("RGB;16B" -> "RGB;16L") yields the low bytes instead, so ``hi << 8 | lo`` restores the exact samples.
  16-bit grayscale+alpha PNG rows (4 bytes per pixel) are decoded once as raw 8-bit "RGBA" bytes.
* Writing: small PNG (all five filters, chosen per row like libpng) and baseline TIFF (Deflate +
  horizontal predictor) encoders vectorized with numpy.
"""

from __future__ import annotations

import struct
import sys
import zlib
from typing import Any

import numpy as np
from PIL import Image

# Multi-channel 16-bit unpackers Pillow uses for PNG/TIFF, keyed to the unpacker that reads the *other*
# byte of each sample. "N" (native) is what the libtiff path uses; its partner depends on the host.
_NATIVE_PARTNER = "B" if sys.byteorder == "little" else "L"
_DEEP_RAWMODES = ("RGB;16", "RGBA;16", "RGBX;16")
# Rawmode Pillow gives 16-bit gray+alpha PNG rows; same row size (4 bytes/pixel) as 8-bit RGBA.
GRAY_ALPHA_16 = "LA;16B"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ROWS_PER_CHUNK = 64  # encoder works on row bands to bound temporary memory


def tile_rawmode(im: Image.Image) -> str | None:
    """The unpacker ("rawmode") the first decode tile of a not-yet-loaded image will use."""
    if not im.tile:
        return None
    args = im.tile[0][3]
    if isinstance(args, str):
        return args
    if isinstance(args, tuple) and args and isinstance(args[0], str):
        return args[0]
    return None


def low_byte_rawmode(rawmode: str | None) -> str | None:
    """For a multi-channel 16-bit rawmode, the rawmode that unpacks the low byte of each sample."""
    if rawmode is None:
        return None
    for prefix in _DEEP_RAWMODES:
        if rawmode.startswith(prefix) and len(rawmode) == len(prefix) + 1:
            order = rawmode[-1]
            swapped = {"B": "L", "L": "B", "N": _NATIVE_PARTNER}.get(order)
            return prefix + swapped if swapped else None
    return None


def set_tile_rawmode(im: Image.Image, rawmode: str) -> None:
    """Make every pending decode tile of ``im`` unpack with ``rawmode`` (image mode unchanged)."""
    tiles = []
    for tile in im.tile:
        args: Any = tile[3]
        if isinstance(args, str):
            args = rawmode
        elif isinstance(args, tuple) and args:
            args = (rawmode, *args[1:])
        if hasattr(tile, "_replace"):  # Pillow >= 11 uses a NamedTuple
            tiles.append(tile._replace(args=args))
        else:
            tiles.append((tile[0], tile[1], tile[2], args))
    im.tile = tiles


def combine_bytes(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(H, W, C) uint8 high and low bytes -> (H, W, C) uint16."""
    return (hi.astype(np.uint16) << 8) | lo.astype(np.uint16)


def gray_alpha_from_rgba_bytes(raw: np.ndarray) -> np.ndarray:
    """(H, W, 4) bytes [Y hi, Y lo, A hi, A lo] -> (H, W, 4) uint16 RGBA with gray replicated."""
    gray = combine_bytes(raw[..., 0], raw[..., 1])
    alpha = combine_bytes(raw[..., 2], raw[..., 3])
    return np.stack([gray, gray, gray, alpha], axis=-1)


# ----------------------------------------------------------------------------------------------- PNG


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


# Cost of a filtered byte for the filter heuristic: its magnitude read as a signed value.
_SIGNED_COST = np.minimum(np.arange(256), 256 - np.arange(256)).astype(np.uint8)


def _filter_band(band: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    """Filter (rows, stride) uint8 rows; ``prev`` is the row above the band. Returns (rows, 1+stride).

    Each row gets the PNG filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth) with the smallest sum of
    |signed residuals|, libpng's heuristic. uint8 arithmetic wraps modulo 256 exactly as PNG requires.
    """
    up = np.vstack([prev[None, :], band[:-1]])
    left = np.zeros_like(band)
    left[:, bpp:] = band[:, :-bpp]
    up_left = np.zeros_like(band)
    up_left[:, bpp:] = up[:, :-bpp]

    a, b, c = left.astype(np.int16), up.astype(np.int16), up_left.astype(np.int16)
    pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    average = ((a + b) >> 1).astype(np.uint8)
    residuals = np.stack([band, band - left, band - up, band - average, band - paeth])  # (5, rows, stride)

    costs = _SIGNED_COST[residuals].sum(axis=2, dtype=np.uint32)  # (5, rows)
    best = costs.argmin(axis=0)
    chosen = residuals[best, np.arange(band.shape[0])]
    return np.hstack([best.astype(np.uint8)[:, None], chosen])


def itxt_chunk(keyword: str, text: str) -> bytes:
    """An uncompressed PNG iTXt chunk (UTF-8 text), e.g. for provenance metadata."""
    return _png_chunk(b"iTXt", keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8"))


def encode_png16(pixels: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """(H, W, C) uint16 with C = 1 gray, 2 gray+alpha, 3 RGB or 4 RGBA -> 16-bit PNG file bytes.

    ``text`` entries become iTXt chunks before the image data."""
    height, width, channels = pixels.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.ascontiguousarray(pixels, dtype=">u2").view(np.uint8).reshape(height, width * channels * 2)
    bpp = channels * 2

    compressor = zlib.compressobj(6)
    parts = [_PNG_MAGIC, _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0))]
    parts.extend(itxt_chunk(k, v) for k, v in (text or {}).items())
    prev = np.zeros(rows.shape[1], dtype=np.uint8)
    for start in range(0, height, _ROWS_PER_CHUNK):
        band = rows[start : start + _ROWS_PER_CHUNK]
        data = compressor.compress(_filter_band(band, prev, bpp).tobytes())
        if data:
            parts.append(_png_chunk(b"IDAT", data))
        prev = band[-1]
    parts.append(_png_chunk(b"IDAT", compressor.flush()))
    parts.append(_png_chunk(b"IEND", b""))
    return b"".join(parts)


# ---------------------------------------------------------------------------------------------- TIFF

# TIFF field types: SHORT (2 bytes) and LONG (4 bytes).
_SHORT, _LONG = 3, 4


def encode_tiff16(pixels: np.ndarray, compress: bool = True) -> bytes:
    """(H, W, C) uint16 with C = 1 gray, 3 RGB or 4 RGBA (unassociated alpha) -> little-endian TIFF bytes.

    Deflate-compressed strips use the horizontal-differencing predictor, which libtiff, Photoshop and GIMP
    all read; ``compress=False`` writes plain strips.
    """
    height, width, channels = pixels.shape
    if channels not in (1, 3, 4):
        raise ValueError(f"TIFF writer takes 1, 3 or 4 channels, got {channels}")
    samples = np.ascontiguousarray(pixels, dtype=np.uint16)
    if compress:
        # Predictor 2: each sample stored as the difference to the same channel of the previous pixel.
        samples = samples.copy()
        samples[:, 1:] -= pixels[:, :-1].astype(np.uint16)
    row_bytes = width * channels * 2
    rows_per_strip = max(1, min(height, (256 * 1024) // max(row_bytes, 1)))

    strips = []
    for start in range(0, height, rows_per_strip):
        raw = samples[start : start + rows_per_strip].astype("<u2").tobytes()
        strips.append(zlib.compress(raw, 6) if compress else raw)

    tags: list[tuple[int, int, list[int]]] = [
        (256, _LONG, [width]),
        (257, _LONG, [height]),
        (258, _SHORT, [16] * channels),
        (259, _SHORT, [8 if compress else 1]),  # 8 = Adobe Deflate
        (262, _SHORT, [1 if channels == 1 else 2]),  # photometric: min-is-black / RGB
        (273, _LONG, [0] * len(strips)),  # strip offsets, patched below
        (277, _SHORT, [channels]),
        (278, _LONG, [rows_per_strip]),
        (279, _LONG, [len(s) for s in strips]),
        (284, _SHORT, [1]),  # planar config: chunky
    ]
    if compress:
        tags.append((317, _SHORT, [2]))
    if channels == 4:
        tags.append((338, _SHORT, [2]))  # extra sample = unassociated alpha
    return _layout_tiff(tags, strips)


def _layout_tiff(tags: list[tuple[int, int, list[int]]], strips: list[bytes]) -> bytes:
    """Header, one IFD, out-of-line tag values, then strip data; offsets fixed up in one pass."""
    ifd_offset = 8
    ifd_size = 2 + 12 * len(tags) + 4
    extra_offset = ifd_offset + ifd_size
    # First pass: sizes of values that do not fit in the 4-byte entry slot.
    extra_sizes = []
    for _, kind, values in tags:
        size = len(values) * (2 if kind == _SHORT else 4)
        extra_sizes.append(size if size > 4 else 0)
    data_offset = extra_offset + sum(s + (s & 1) for s in extra_sizes)
    strip_offsets, pos = [], data_offset
    for strip in strips:
        strip_offsets.append(pos)
        pos += len(strip)

    entries, extra = [], b""
    for (tag, kind, values), size in zip(tags, extra_sizes):
        if tag == 273:
            values = strip_offsets
        fmt = "<" + ("H" if kind == _SHORT else "I") * len(values)
        packed = struct.pack(fmt, *values)
        if size:
            slot = struct.pack("<I", extra_offset + len(extra))
            extra += packed + (b"\0" if len(packed) & 1 else b"")
        else:
            slot = packed.ljust(4, b"\0")
        entries.append(struct.pack("<HHI", tag, kind, len(values)) + slot)

    header = b"II*\0" + struct.pack("<I", ifd_offset)
    ifd = struct.pack("<H", len(tags)) + b"".join(entries) + struct.pack("<I", 0)
    return header + ifd + extra + b"".join(strips)
