"""A user's folder of images → a square, fixed-size training set for the art generators (with optional labels).

The folder is scanned recursively. Every file that cannot be used is skipped and listed with the reason (not an
image, unreadable or corrupt, too large to decode safely); nothing is silently dropped. Usable images are turned
into RGB (alpha flattened onto white, grayscale/palette/16-bit converted), centre-cropped to a square and resized
with Lanczos to the model's size. Labels: when images sit in subfolders, the words of the subfolder names
(``cats/``, ``red-flowers/``) are the image's words and the model becomes prompt-conditioned; a flat folder gives
an unconditional model (no vocabulary). Built-in sets (``art_data.load_builtin``) convert to the same
:class:`ArtDataset`, labelled by their names' words, held-out images excluded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from genai_studio.core.art_train_jobs import IMAGE_EXTENSIONS, MIN_IMAGES
from genai_studio.core.errors import BadInput

MAX_PIXELS = 80_000_000  # larger images are refused per file: decoding one could exhaust memory
MAX_IMAGES = 20_000  # more than enough for these small models; the rest are listed as not used
TINY_WARNING = 0.25  # warn when more than this fraction of images had to be upscaled
LABEL_STOP_WORDS = frozenset({"and", "of", "the", "a", "an", "in", "on", "with", "for", "to", "or", "at", "by",
                              "img", "image", "images", "photo", "photos", "pics", "misc", "other", "new"})


@dataclass(frozen=True)
class FolderReport:
    """What happened to each file of the folder."""

    folder: str
    found: int  # files looked at (hidden files excluded)
    usable: int
    skipped: tuple[tuple[str, str], ...] = ()  # (path relative to the folder, reason)
    cropped: int = 0  # images that were not square
    upscaled: int = 0  # images smaller than the model's size on their short side
    label_counts: dict[str, int] = field(default_factory=dict)  # images per word
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        parts = [f"{self.usable} usable images in {self.folder}"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped ({_list_skipped(self.skipped)})")
        if self.cropped:
            parts.append(f"{self.cropped} centre-cropped to square")
        if self.upscaled:
            parts.append(f"{self.upscaled} upscaled from smaller than the model size")
        if self.label_counts:
            parts.append(f"labels: {', '.join(f'{w} ({n})' for w, n in self.label_counts.items())}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ArtDataset:
    images: np.ndarray  # (N, px, px, 3) uint8
    labels: np.ndarray  # (N, V) float32 multi-hot
    vocabulary: tuple[str, ...]
    report: FolderReport
    names: tuple[str, ...] = ()  # per image: path relative to the folder, or the built-in name
    license: str = "user data — the license of your images applies"
    description: str = ""  # provenance line for the model manifest

    @property
    def px(self) -> int:
        return int(self.images.shape[1])


def _list_skipped(skipped, limit: int = 3) -> str:
    shown = "; ".join(f"{name}: {reason}" for name, reason in skipped[:limit])
    return shown + (f"; and {len(skipped) - limit} more" if len(skipped) > limit else "")


def label_words(text: str) -> list[str]:
    """Words of a folder name: lowercase letters, stop words dropped, a simple plural made singular
    ("red-flowers" → red, flower), so prompts match with the generator's plural rule."""
    out = []
    for w in re.split(r"[^a-z]+", text.lower()):
        if len(w) < 2 or w in LABEL_STOP_WORDS:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        if w not in out:
            out.append(w)
    return out


def to_square_rgb(img, px: int) -> tuple[np.ndarray, bool, bool]:
    """A decoded PIL image → ((px, px, 3) uint8, was cropped, was upscaled)."""
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16/32-bit gray: scale to 8 bits by its range
        a = np.asarray(img, np.float32)
        top = 65535.0 if a.max() > 255 else 255.0
        img = Image.fromarray(np.clip(a / top * 255, 0, 255).astype(np.uint8), "L")
    if img.mode in ("P", "PA", "LA", "La", "RGBa") or "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        white.alpha_composite(img)
        img = white
    img = img.convert("RGB")
    w, h = img.size
    side = min(w, h)
    cropped = w != h
    if cropped:
        left, top = (w - side) // 2, (h - side) // 2
        img = img.crop((left, top, left + side, top + side))
    upscaled = side < px
    if side != px:
        img = img.resize((px, px), Image.LANCZOS)
    return np.asarray(img, np.uint8), cropped, upscaled


def _read(path: Path, px: int) -> tuple[np.ndarray, bool, bool]:
    """Decode one file; raises ValueError with a short reason when it cannot be used."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ValueError(f"{w}x{h} is too large to decode safely (over {MAX_PIXELS // 1_000_000} MP)")
                img.load()
                return to_square_rgb(img, px)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ValueError("not a readable image (corrupt, or a format Pillow cannot read)") from exc
    except (OSError, SyntaxError) as exc:  # truncated or damaged data
        raise ValueError(f"damaged image data ({exc})") from exc


def _files(folder: Path) -> list[Path]:
    """Every non-hidden file below ``folder``, in a stable order."""
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        out.append(path)
    return out


def scan_folder(folder: str | Path, px: int, min_images: int = MIN_IMAGES,
                check: Callable[[], None] | None = None, log: Callable[[str], None] | None = None) -> ArtDataset:
    """Read, validate and normalise every image below ``folder`` to (px, px, 3); raise BadInput when the folder
    cannot train a generator (missing, empty, or fewer than ``min_images`` usable images). ``check`` is called
    per file (e.g. a progress token's, so cancel works on large folders)."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise BadInput(f"the training folder {folder} does not exist")
    if not folder.is_dir():
        raise BadInput(f"{folder} is a file; choose the folder that holds your training images")
    files = _files(folder)
    if not files:
        raise BadInput(f"the training folder {folder} is empty: put at least {min_images} images "
                       f"({', '.join(IMAGE_EXTENSIONS)}) in it, or in subfolders named for what they show")
    images, names, word_lists, skipped = [], [], [], []
    cropped = upscaled = 0
    for path in files:
        if check is not None:
            check()
        rel = path.relative_to(folder).as_posix()
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            skipped.append((rel, f"not an image file ({path.suffix or 'no extension'})"))
            continue
        if len(images) >= MAX_IMAGES:
            skipped.append((rel, f"not used: the first {MAX_IMAGES} images are enough"))
            continue
        try:
            pixels, was_cropped, was_upscaled = _read(path, px)
        except ValueError as exc:
            skipped.append((rel, str(exc)))
            continue
        images.append(pixels)
        names.append(rel)
        word_lists.append([w for part in Path(rel).parts[:-1] for w in label_words(part)])
        cropped += was_cropped
        upscaled += was_upscaled
    skipped_t = tuple(skipped)
    if len(images) < min_images:
        unreadable = f" ({len(skipped)} not usable: {_list_skipped(skipped_t)})" if skipped else ""
        raise BadInput(f"found {len(images)} usable images in {folder}{unreadable}; a generator needs at least "
                       f"{min_images} — add more, or use flips: a mirrored copy of each picture (where mirroring "
                       f"makes sense) counts as a new image")
    vocabulary = _vocabulary(word_lists)
    labels = np.zeros((len(images), len(vocabulary)), np.float32)
    index = {w: i for i, w in enumerate(vocabulary)}
    for row, words in enumerate(word_lists):
        for w in words:
            labels[row, index[w]] = 1.0
    counts = {w: int(labels[:, i].sum()) for i, w in enumerate(vocabulary)}
    notes = []
    if upscaled > TINY_WARNING * len(images):
        notes.append(f"{upscaled} of {len(images)} images are smaller than {px} px and were upscaled: expect soft "
                     f"results; larger originals train better")
    if vocabulary and (unlabelled := int((labels.sum(1) == 0).sum())):
        notes.append(f"{unlabelled} images sit directly in the folder, not in a named subfolder: they train "
                     f"the model without a prompt")
    if not vocabulary:
        notes.append("no subfolders: the model will not understand prompts (put images in subfolders named for "
                     "what they show, e.g. cats/ and red-flowers/, to make it prompt-conditioned)")
    report = FolderReport(str(folder), len(files), len(images), skipped_t, cropped, upscaled, counts, tuple(notes))
    if log is not None:
        log(report.summary())
        for note in notes:
            log(f"note: {note}")
    description = f"{folder.name}/ ({report.summary()})"
    return ArtDataset(np.stack(images), labels, vocabulary, report, tuple(names), description=description)


def _vocabulary(word_lists: list[list[str]]) -> tuple[str, ...]:
    """Every label word, most used first (ties alphabetical)."""
    counts: dict[str, int] = {}
    for words in word_lists:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    return tuple(w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def from_builtin(name: str, px: int, log: Callable[[str], None] | None = None) -> ArtDataset:
    """A built-in set (``art_data.BUILTIN_SETS``) as an ArtDataset at ``px``: training images only, labelled by
    the words of their names in the set's vocabulary."""
    from PIL import Image

    from genai_studio.training import art_data as ad

    data = ad.load_builtin(name, log=log or (lambda _line: None))
    keep = np.flatnonzero(~data.heldout)
    names = tuple(data.names[i] for i in keep)
    labels = np.stack([ad.multi_hot(ad.name_words(n), data.vocabulary) for n in names]).astype(np.float32)
    images = data.images[keep]
    if images.shape[1] != px:
        images = np.stack([np.asarray(Image.fromarray(im).resize((px, px), Image.LANCZOS), np.uint8)
                           for im in images])
    src = data.source or {}
    report = FolderReport(f"built-in set {name!r}", len(data.images), len(keep),
                          notes=(f"{int(data.heldout.sum())} held-out images not used",))
    description = (f"built-in set {name!r}: {src.get('package', '')} {src.get('version', '')}, {len(keep)} "
                   f"training images ({int(data.heldout.sum())} held out), vocabulary {len(data.vocabulary)} "
                   f"words").replace("  ", " ")
    return ArtDataset(images, labels, tuple(data.vocabulary), report, names,
                      license=str(src.get("license", "see the built-in set's sources")), description=description)


def load_training_images(data: str | Path, px: int, check: Callable[[], None] | None = None,
                         log: Callable[[str], None] | None = None) -> ArtDataset:
    """``data`` is a built-in set's name (``emoji``) or a folder of images."""
    from genai_studio.training import art_data as ad

    if str(data) in ad.BUILTIN_SETS and not Path(data).is_dir():
        return from_builtin(str(data), px, log)
    return scan_folder(data, px, check=check, log=log)
