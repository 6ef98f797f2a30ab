"""Image file I/O: every supported file becomes an ImageBuffer, every bad one a BadInput a person can act on.

Loading: PNG, JPEG, WebP, TIFF and BMP in any common mode (1-bit, gray, palette, alpha, CMYK, 16-bit),
EXIF orientation applied. Dimensions are checked from the header *before* any pixel is decoded, and the
whole image is decoded eagerly so truncated files fail here rather than later in a job.
Saving: the format follows the extension and the write is atomic (temp file in the same folder, fsync,
rename), so a failed save never leaves a partial file behind.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import stat
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, ImageOps

# Importing the plugins registers them in Image.OPEN / Image.SAVE.
from PIL import BmpImagePlugin, JpegImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin  # noqa: F401

from genai_studio import __version__
from genai_studio.core.errors import BadInput
from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio import deep_color
from genai_studio.mediaio.atomic import write_bytes_atomic

# Pillow format id -> (name shown to people, extensions). Order is the order of the dialog filter.
_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "PNG": ("PNG", (".png",)),
    "JPEG": ("JPEG", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "WEBP": ("WebP", (".webp",)),
    "TIFF": ("TIFF", (".tif", ".tiff")),
    "BMP": ("BMP", (".bmp",)),
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(ext for _, exts in _FORMATS.values() for ext in exts)
_KINDS_TEXT = "PNG, JPEG, WebP, TIFF and BMP"
_SAVE_FORMATS: dict[str, str] = {ext: fmt for fmt, (_, exts) in _FORMATS.items() for ext in exts}


def _filter_string() -> str:
    everything = " ".join(f"*{ext}" for ext in SUPPORTED_EXTENSIONS)
    singles = [f"{label} ({' '.join('*' + e for e in exts)})" for label, exts in _FORMATS.values()]
    return ";;".join([f"Images ({everything})", *singles, "All files (*)"])


IMAGE_FILE_FILTER: str = _filter_string()
"""Filter string for QFileDialog: all supported images first, then one entry per format."""

# Limits checked against the header before decoding (a 40000x40000 RGBA image would need 6.4 GB).
MAX_IMAGE_SIDE = 32768
MAX_IMAGE_PIXELS = 200_000_000

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error)
_ALPHA_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}
_ICC_SAFE_MODES = {"RGB", "RGBA", "RGBX", "P", "PA"}  # modes whose embedded profile still fits RGB output


# ------------------------------------------------------------------------------------------- loading


def load_image(path: str | os.PathLike[str]) -> ImageBuffer:
    """Read an image file into an (H, W, 3|4) uint8/uint16 ImageBuffer named after the file.

    Raises BadInput with a specific message for a missing/unreadable/empty/unsupported/damaged/huge file.
    """
    path = Path(path)
    first = _open_source(path)  # checks happen once; the deep-colour second pass re-opens the file
    handles = iter([first])

    def opener() -> BinaryIO:
        return next(handles, None) or _open_source(path)

    buffer = _decode(opener, path.name, path.suffix.lower())
    buffer.metadata["path"] = str(path)
    return buffer


def decode_image_bytes(data: bytes, name: str = "pasted image") -> ImageBuffer:
    """Decode an in-memory image file (clipboard, drag-and-drop); same checks and messages as load_image."""
    if not data:
        raise BadInput(f"{name} is empty (0 bytes).")
    return _decode(lambda: io.BytesIO(data), name, Path(name).suffix.lower())


def _open_source(path: Path) -> BinaryIO:
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise BadInput(f"Cannot open {path}: the file does not exist.") from exc
    except PermissionError as exc:
        raise BadInput(f"Cannot open {path}: permission denied.") from exc
    except OSError as exc:
        raise BadInput(f"Cannot open {path}: {exc.strerror or exc}.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"Cannot open {path}: it is a folder, not an image file.")
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"Cannot open {path}: it is not a regular file.")
    if info.st_size == 0:
        raise BadInput(f"{path.name} is empty (0 bytes).")
    try:
        return open(path, "rb")
    except PermissionError as exc:
        raise BadInput(f"Cannot open {path}: permission denied.") from exc
    except OSError as exc:
        raise BadInput(f"Cannot open {path}: {exc.strerror or exc}.") from exc


def _decode(opener: Callable[[], BinaryIO], name: str, ext: str) -> ImageBuffer:
    with opener() as fp:
        im = _open_header(fp, name, ext)
        fmt, source_mode = im.format, im.mode
        _check_dimensions(im.size, name)
        hi_rawmode = deep_color.tile_rawmode(im)
        lo_rawmode = deep_color.low_byte_rawmode(hi_rawmode)
        gray_alpha_16 = hi_rawmode == deep_color.GRAY_ALPHA_16
        if gray_alpha_16:
            deep_color.set_tile_rawmode(im, "RGBA")  # keep all 4 bytes of each (Y16, A16) pixel
        _load_fully(im, name)
        metadata = _metadata(im, fmt, source_mode)
        im = _apply_orientation(im)
        if gray_alpha_16:
            pixels = deep_color.gray_alpha_from_rgba_bytes(np.asarray(im))
        elif lo_rawmode is None:
            pixels = _to_pixels(im)
        else:
            hi = np.asarray(im)
            key = im.info.get("transparency")

    if lo_rawmode is not None:
        with opener() as fp:
            lo_im = _open_header(fp, name, ext)
            deep_color.set_tile_rawmode(lo_im, lo_rawmode)
            _load_fully(lo_im, name)
            lo = np.asarray(_apply_orientation(lo_im))
        pixels = _with_color_key(deep_color.combine_bytes(hi, lo), key)
    return ImageBuffer(np.ascontiguousarray(pixels), name=name, metadata=metadata)


def _open_header(fp: BinaryIO, name: str, ext: str) -> ImageFile.ImageFile:
    """Parse only the header with the first of our formats that recognises the file's magic bytes.

    Calls the plugin factories directly rather than Image.open so that our size limits, not Pillow's
    process-wide MAX_IMAGE_PIXELS, decide, and so the message can name the dimensions.
    """
    prefix = fp.read(16)
    for fmt in _FORMATS:
        factory, accept = Image.OPEN[fmt]
        verdict = accept(prefix) if accept else True
        if verdict and not isinstance(verdict, str):
            fp.seek(0)
            try:
                return factory(fp, name)
            except _DECODE_ERRORS as exc:
                label = _FORMATS[fmt][0]
                raise BadInput(f"{name} looks like a {label} file but its header is damaged ({_detail(exc)}).") from exc
    raise BadInput(_unsupported_message(prefix, name, ext))


def _unsupported_message(prefix: bytes, name: str, ext: str) -> str:
    other = _identify_other_format(prefix)
    if other:
        return f"{name} is a {other} image; GenAI Studio opens {_KINDS_TEXT} files."
    kind = f"a '{ext}' file" if ext else "a file without an extension"
    return f"{name} is not an image GenAI Studio can open ({kind}); it opens {_KINDS_TEXT} files."


def _identify_other_format(prefix: bytes) -> str | None:
    """Name another Pillow format whose magic bytes match, only to explain the refusal; never decoded."""
    Image.init()
    for fmt, (_, accept) in Image.OPEN.items():
        if fmt in _FORMATS or accept is None:
            continue
        try:
            if accept(prefix) is True:
                return fmt
        except Exception:  # noqa: BLE001 - a plugin's sniffer failing only means "not this format"
            continue
    return None


def _check_dimensions(size: tuple[int, int], name: str) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise BadInput(f"{name} has no pixels ({width}×{height}).")
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        megapixels = width * height / 1e6
        raise BadInput(
            f"{name} is {width}×{height} pixels ({megapixels:,.0f} megapixels), too large to open safely; "
            f"the limit is {MAX_IMAGE_SIDE} pixels per side and {MAX_IMAGE_PIXELS // 1_000_000} megapixels."
        )


def _load_fully(im: ImageFile.ImageFile, name: str) -> None:
    try:
        im.load()
    except MemoryError as exc:
        raise BadInput(f"{name} is too large to decode with the memory available.") from exc
    except _DECODE_ERRORS as exc:
        raise BadInput(f"{name} is damaged or incomplete and cannot be decoded ({_detail(exc)}).") from exc


def _detail(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _metadata(im: Image.Image, fmt: str | None, source_mode: str) -> dict:
    meta: dict = {"format": fmt}
    icc = im.info.get("icc_profile")
    if icc and source_mode in _ICC_SAFE_MODES:
        meta["icc_profile"] = icc
    dpi = im.info.get("dpi")
    if dpi:
        meta["dpi"] = tuple(float(v) for v in dpi)
    return meta


def _apply_orientation(im: Image.Image) -> Image.Image:
    try:
        orientation = im.getexif().get(0x0112, 1)  # EXIF Orientation tag
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not make the pixels unreadable
        return im
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(im)
    return im


def _to_pixels(im: Image.Image) -> np.ndarray:
    """Any single-pass Pillow mode -> (H, W, 3|4) uint8 or uint16."""
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        gray = _gray16(im)
        pixels = np.repeat(gray[..., None], 3, axis=2)
        return _with_color_key(pixels, im.info.get("transparency"))
    has_alpha = (
        mode in _ALPHA_MODES
        or "transparency" in im.info
        or (mode == "P" and im.palette is not None and im.palette.mode == "RGBA")
    )
    target = "RGBA" if has_alpha else "RGB"
    if mode != target:
        im = im.convert(target)
    return np.asarray(im)


def _gray16(im: Image.Image) -> np.ndarray:
    """(H, W) uint16 from 16-bit, 32-bit integer or float gray modes."""
    values = np.asarray(im)
    if im.mode == "F":
        # Float TIFFs: [0, 1] is the usual convention; anything brighter is scaled to fit.
        peak = float(np.nanmax(values)) if values.size else 1.0
        scale = 65535.0 / peak if peak > 1.0 else 65535.0
        return np.clip(np.nan_to_num(values) * scale, 0, 65535).round().astype(np.uint16)
    return np.clip(values, 0, 65535).astype(np.uint16)


def _with_color_key(pixels: np.ndarray, key: object) -> np.ndarray:
    """Add an alpha channel for a tRNS colour key (PNG gray/RGB): pixels equal to the key are transparent."""
    if key is None or pixels.shape[2] != 3 or isinstance(key, bytes):
        return pixels
    key_values = np.array(key if isinstance(key, tuple) else (key,) * 3, dtype=np.int64)
    if key_values.shape != (3,):
        return pixels
    peak = np.iinfo(pixels.dtype).max
    transparent = np.all(pixels == key_values.astype(pixels.dtype), axis=2)
    alpha = np.where(transparent, 0, peak).astype(pixels.dtype)
    return np.dstack([pixels, alpha])


# -------------------------------------------------------------------------------------------- saving


def save_image(image: ImageBuffer, path: str | os.PathLike[str], quality: int | None = None,
               provenance: dict | None = None) -> None:
    """Write ``image`` in the format named by the extension, atomically.

    16-bit images stay 16-bit in PNG and TIFF and are rounded to 8 bits for JPEG, WebP and BMP. Formats
    without alpha (JPEG, BMP) get the image composited over white. ``quality`` (1-100) is used by JPEG
    and WebP (100 = lossless WebP); by default JPEG is written at 95 and WebP losslessly (a restored or
    upscaled image must not pick up chroma smear on the way out). ``provenance`` (the generating job spec)
    is embedded in PNG and WebP files (see :func:`read_provenance`). Raises BadInput for a bad path/extension, DiskFull when the folder is
    full or not writable; either way nothing is left at ``path`` or beside it.
    """
    path = Path(path)
    fmt = _SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        shown = f"'{path.suffix}'" if path.suffix else "a name without an extension"
        raise BadInput(
            f"Cannot save {path.name}: {shown} is not a supported image type; use .png, .jpg, .webp, .tif or .bmp."
        )
    folder = path.parent
    if path.is_dir():
        raise BadInput(f"Cannot save to {path}: it is a folder; choose a file name.")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise BadInput(f"Cannot save {path.name}: {folder} {what}.")
    write_bytes_atomic(path, encode_image(image, fmt, quality, provenance))


PROVENANCE_KEY = "genai-studio"  # PNG iTXt keyword / XMP property holding the job spec as JSON
_XMP_TEMPLATE = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:gs="https://genai-studio.invalid/ns/1.0/" gs:provenance="{}"/></rdf:RDF></x:xmpmeta>'
    '<?xpacket end="w"?>'
)


def _provenance_text(provenance: dict) -> str:
    return json.dumps({"software": f"GenAI Studio {__version__}", "job": provenance}, ensure_ascii=False,
                      sort_keys=True, default=str)


def read_provenance(path: str | os.PathLike[str]) -> dict | None:
    """The provenance a PNG or WebP export carries, or None."""
    with Image.open(path) as im:
        text = im.info.get(PROVENANCE_KEY)
        xmp = im.info.get("xmp")
    if text is None and xmp:
        xmp_text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)
        match = re.search(r'gs:provenance="([^"]*)"', xmp_text)
        text = html.unescape(match.group(1)) if match else None
    return json.loads(text) if text else None


DEFAULT_QUALITY = {"JPEG": 95, "WEBP": 100}  # 100 = lossless WebP


def encode_image(image: ImageBuffer, fmt: str = "PNG", quality: int | None = None,
                 provenance: dict | None = None) -> bytes:
    """Encode to file bytes in a Pillow format id ("PNG", "JPEG", "WEBP", "TIFF", "BMP")."""
    if quality is None:
        quality = DEFAULT_QUALITY.get(fmt, 95)
    fmt = fmt.upper()
    if fmt not in _FORMATS:
        raise BadInput(f"Cannot encode images as {fmt}; use one of {_KINDS_TEXT}.")
    if not 1 <= quality <= 100:
        raise BadInput(f"Image quality must be between 1 and 100, got {quality}.")
    pixels = image.pixels
    if image.bit_depth == 16 and fmt in ("PNG", "TIFF"):
        deep = _compact_channels(pixels, allow_gray_alpha=fmt == "PNG")
        if fmt == "PNG":
            text = {PROVENANCE_KEY: _provenance_text(provenance)} if provenance is not None else None
            return deep_color.encode_png16(deep, text)
        return deep_color.encode_tiff16(deep)

    pixels = image.to_uint8()
    if pixels.shape[2] == 4 and fmt in ("JPEG", "BMP"):
        pixels = _over_white(pixels)
    compact = _compact_channels(pixels, allow_gray_alpha=True)
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[compact.shape[2]]
    pil = Image.fromarray(compact[..., 0] if mode == "L" else compact, mode=mode)
    options: dict = {}
    if "icc_profile" in image.metadata and mode in ("RGB", "RGBA"):
        options["icc_profile"] = image.metadata["icc_profile"]
    if "dpi" in image.metadata and fmt != "WEBP":
        options["dpi"] = image.metadata["dpi"]
    if fmt == "JPEG":
        options.update(quality=quality, subsampling=0 if quality >= 90 else 2, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=quality, lossless=quality >= 100, exact=quality >= 100, method=4)
    elif fmt == "TIFF":
        options.update(compression="tiff_adobe_deflate")
    if provenance is not None and fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt(PROVENANCE_KEY, _provenance_text(provenance))
        options["pnginfo"] = info
    elif provenance is not None and fmt == "WEBP":
        options["xmp"] = _XMP_TEMPLATE.format(html.escape(_provenance_text(provenance), quote=True)).encode("utf-8")
    out = io.BytesIO()
    pil.save(out, fmt, **options)
    return out.getvalue()


def _compact_channels(pixels: np.ndarray, allow_gray_alpha: bool) -> np.ndarray:
    """Store gray images as 1 (or gray+alpha as 2) channels: a third of the size, identical on reload."""
    rgb = pixels[..., :3]
    is_gray = np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])
    if not is_gray:
        return pixels
    if pixels.shape[2] == 3:
        return pixels[..., :1]
    return pixels[..., [0, 3]] if allow_gray_alpha else pixels


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 -> (H, W, 3) uint8 composited over white, for formats without alpha."""
    alpha = rgba[..., 3:4].astype(np.uint32)
    if alpha.min() == 255:
        return rgba[..., :3]
    rgb = rgba[..., :3].astype(np.uint32)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
