"""Emoji training set for the built-in art generator: Debian ``fonts-noto-color-emoji`` rendered at 64x64.

Every emoji the font draws (its cmap plus its GSUB ligatures: skin tones, ZWJ sequences, keycaps, flags) is
rendered with Pillow (raqm layout, ``embedded_color``) onto white, resized to ``NATIVE_PX`` and named from
``unicodedata`` ("grinning cat face with smiling eyes"). A word vocabulary is built from those names (lowercase,
stop words dropped, words used at least ``MIN_WORD_COUNT`` times). About 10% of the emoji *groups* (an emoji
and its skin-tone variants) are held out for evaluation, so held-out images were never seen in any tone.

Cache layout (``~/.cache/genai-studio/art-data/``, never in the repo; ``GENAI_STUDIO_ART_DATA`` overrides):
  ``emoji-v{CACHE_VERSION}.npz``  images (N, 64, 64, 3) uint8, names (N,), sequences (N,), heldout (N,) bool
  ``vocabulary.json``            the word list (index = multi-hot position)
  ``sources.json``               package, version, license
Other built-in sets (``BUILTIN_SETS``; icons: ``art_icons.py``) use the same layout with their name as prefix:
``icons-v1.npz``, ``icons-vocabulary.json``, ``icons-sources.json``. ``load_builtin`` picks a set by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from genai_studio.core.errors import BadInput

PACKAGE = "fonts-noto-color-emoji"
FONT_RELPATH = "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
LICENSE = "OFL-1.1 (font: fonts/*), Apache-2.0 (other files); per debian/copyright of fonts-noto-color-emoji"
NATIVE_PX = 64
FONT_SIZE = 109  # the only bitmap strike of NotoColorEmoji (136x128 glyphs)
MIN_WORD_COUNT = 3
HELDOUT_FRACTION = 0.10
CACHE_VERSION = 1
STOP_WORDS = frozenset({"with", "and", "of", "the", "a", "an", "in", "on", "for", "to", "or", "at", "by",
                        "sign", "symbol", "emoji", "variation", "selector", "zero", "width", "joiner",
                        "regional", "indicator", "letter", "combining", "enclosing", "modifier"})
SKIN_TONES = {0x1F3FB: "light skin tone", 0x1F3FC: "medium light skin tone", 0x1F3FD: "medium skin tone",
              0x1F3FE: "medium dark skin tone", 0x1F3FF: "dark skin tone"}
_IGNORED_CPS = {0x200D, 0xFE0E, 0xFE0F}


def default_cache_dir() -> Path:
    return Path(os.environ.get("GENAI_STUDIO_ART_DATA", Path.home() / ".cache" / "genai-studio" / "art-data"))


def fetch_debian_package(package: str, wanted: str, work_dir: Path,
                         log: Callable[[str], None] = print) -> tuple[Path, str]:
    """``apt-get download`` + ``dpkg -x`` into ``work_dir/x`` (nothing is installed), once; returns the path of
    ``wanted`` (a path inside the package) and the package version."""
    path = work_dir / "x" / wanted
    if not path.exists():
        work_dir.mkdir(parents=True, exist_ok=True)
        log(f"apt-get download {package} into {work_dir}")
        subprocess.run(["apt-get", "download", package], cwd=work_dir, check=True, capture_output=True)
        debs = sorted(work_dir.glob(f"{package}_*.deb"))
        if not debs:
            raise BadInput(f"apt-get download {package} gave no .deb in {work_dir}")
        subprocess.run(["dpkg", "-x", str(debs[-1]), str(work_dir / "x")], check=True, capture_output=True)
    debs = sorted(work_dir.glob(f"{package}_*.deb"))
    version = debs[-1].name.split("_")[1] if debs else "unknown"
    return path, version


def fetch_font(work_dir: Path, log: Callable[[str], None] = print) -> tuple[Path, str]:
    """The emoji font from its Debian package; returns (font path, package version)."""
    return fetch_debian_package(PACKAGE, FONT_RELPATH, work_dir, log)


# ------------------------------------------------------------------------------------------------ names
def sequence_name(seq: str) -> str:
    """Readable lowercase name of an emoji sequence: component names joined, ZWJ/VS16 dropped."""
    parts: list[str] = []
    if any(0x1F1E6 <= ord(c) <= 0x1F1FF for c in seq):
        letters = "".join(chr(ord(c) - 0x1F1E6 + ord("a")) for c in seq if 0x1F1E6 <= ord(c) <= 0x1F1FF)
        return f"flag {letters}"
    for ch in seq:
        cp = ord(ch)
        if cp in _IGNORED_CPS or 0xE0020 <= cp <= 0xE007F:  # tag characters of subdivision flags
            continue
        if cp in SKIN_TONES:
            parts.append(SKIN_TONES[cp])
            continue
        name = unicodedata.name(ch, "")
        if name:
            parts.append(name.lower())
    return " ".join(parts)


def name_words(name: str) -> list[str]:
    """Content words of a name, in order, without stop words or bare letters/digits."""
    words = re.split(r"[^a-z]+", name.lower())
    return [w for w in words if len(w) > 1 and w not in STOP_WORDS]


def build_vocabulary(names: Iterable[str], min_count: int = MIN_WORD_COUNT) -> list[str]:
    """Words used in at least ``min_count`` names, most frequent first (ties alphabetical)."""
    counts = Counter(w for n in names for w in set(name_words(n)))
    return [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]


def multi_hot(words: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    """(V,) float32 bag of the words that are in the vocabulary."""
    index = {w: i for i, w in enumerate(vocabulary)}
    out = np.zeros(len(vocabulary), np.float32)
    for w in words:
        if w in index:
            out[index[w]] = 1.0
    return out


# ------------------------------------------------------------------------------------------------ font
def font_sequences(font_path: Path) -> list[str]:
    """Every emoji the font draws: single code points of its cmap and the sequences of its ligatures."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path), lazy=True)
    cmap = font.getBestCmap()
    glyph_cp: dict[str, int] = {}
    for cp, glyph in sorted(cmap.items()):
        glyph_cp.setdefault(glyph, cp)
    seqs = {chr(cp) for cp in cmap if cp > 0x7F and cp not in _IGNORED_CPS and cp not in SKIN_TONES
            and not 0x1F1E6 <= cp <= 0x1F1FF and not 0xE0020 <= cp <= 0xE007F and cp != 0x20E3}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            sub = getattr(sub, "ExtSubTable", sub)
            for first, ligatures in getattr(sub, "ligatures", {}).items():
                for lig in ligatures:
                    glyphs = [first, *lig.Component]
                    if all(g in glyph_cp for g in glyphs):
                        seqs.add("".join(chr(glyph_cp[g]) for g in glyphs))
    return sorted(seqs)


def render_emoji(font, seq: str, px: int = NATIVE_PX) -> np.ndarray | None:
    """(px, px, 3) uint8 on white, the glyph centred in a square; None when the font draws nothing."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((80, 80), seq, font=font, embedded_color=True, anchor="mm")
    box = canvas.getbbox()
    if box is None:
        return None
    w, h = box[2] - box[0], box[3] - box[1]
    side = max(w, h, 1)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    square.alpha_composite(canvas.crop(box), ((side - w) // 2, (side - h) // 2))
    white = Image.new("RGBA", square.size, (255, 255, 255, 255))
    white.alpha_composite(square)
    return np.asarray(white.convert("RGB").resize((px, px), Image.LANCZOS), np.uint8)


def _group_key(seq: str) -> str:
    return "".join(c for c in seq if ord(c) not in SKIN_TONES and ord(c) not in _IGNORED_CPS)


def heldout_mask(sequences: Sequence[str], fraction: float = HELDOUT_FRACTION) -> np.ndarray:
    """Stable split by a hash of the emoji group (base emoji without skin tones)."""
    def bucket(seq: str) -> float:
        return int(hashlib.sha256(_group_key(seq).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return np.array([bucket(s) < fraction for s in sequences], bool)


# ------------------------------------------------------------------------------------------------ cache
@dataclass(frozen=True)
class ArtData:
    images: np.ndarray  # (N, 64, 64, 3) uint8
    names: tuple[str, ...]
    sequences: tuple[str, ...]
    heldout: np.ndarray  # (N,) bool
    vocabulary: tuple[str, ...]
    source: dict

    def conditions(self) -> np.ndarray:
        """(N, V) float32 multi-hot of each emoji's name."""
        return np.stack([multi_hot(name_words(n), self.vocabulary) for n in self.names])


def build_art_data(cache_dir: Path | None = None, work_dir: Path | None = None, font_path: Path | None = None,
                   log: Callable[[str], None] = print) -> ArtData:
    """Render every emoji of the font, build the vocabulary and split; write the cache."""
    from PIL import ImageFont

    cache_dir = cache_dir or default_cache_dir()
    version = "unknown"
    if font_path is None:
        font_path, version = fetch_font(work_dir or cache_dir / "debian", log)
    font = ImageFont.truetype(str(font_path), size=FONT_SIZE)
    images, names, seqs = [], [], []
    seen: set[bytes] = set()
    for seq in font_sequences(font_path):
        name = sequence_name(seq)
        img = render_emoji(font, seq) if name_words(name) else None
        if img is None or (img < 250).mean() < 0.01:  # blank or not drawn by this font
            continue
        digest = hashlib.sha1(img.tobytes()).digest()
        if digest in seen:  # e.g. text and emoji presentations of one code point
            continue
        seen.add(digest)
        images.append(img)
        names.append(name)
        seqs.append(seq)
    log(f"rendered {len(images)} emoji at {NATIVE_PX}x{NATIVE_PX}")
    data = ArtData(np.stack(images), tuple(names), tuple(seqs), heldout_mask(seqs), tuple(build_vocabulary(names)),
                   {"package": PACKAGE, "version": version, "license": LICENSE, "font": FONT_RELPATH})
    save_art_data(data, cache_dir)
    return data


def cache_files(set_name: str, cache_dir: Path) -> tuple[Path, Path, Path]:
    """(images .npz, vocabulary .json, sources .json) of one built-in set; the emoji names predate the others."""
    if set_name == "emoji":
        return (cache_dir / f"emoji-v{CACHE_VERSION}.npz", cache_dir / "vocabulary.json",
                cache_dir / "sources.json")
    from genai_studio.training import art_icons  # each set owns its cache version

    version = {"icons": art_icons.CACHE_VERSION}.get(set_name, 1)
    return (cache_dir / f"{set_name}-v{version}.npz", cache_dir / f"{set_name}-vocabulary.json",
            cache_dir / f"{set_name}-sources.json")


def save_art_data(data: ArtData, cache_dir: Path, set_name: str = "emoji") -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    npz, vocab, sources = cache_files(set_name, cache_dir)
    np.savez_compressed(npz, images=data.images, names=np.array(data.names),
                        sequences=np.array(data.sequences), heldout=data.heldout)
    vocab.write_text(json.dumps(list(data.vocabulary)) + "\n")
    sources.write_text(json.dumps(data.source, indent=1) + "\n")


def load_cached(set_name: str, cache_dir: Path) -> ArtData | None:
    """A set from its cache files, or None when they are not there."""
    npz, vocab, sources = cache_files(set_name, cache_dir)
    if not npz.exists():
        return None
    with np.load(npz) as z:
        images, names, seqs, heldout = z["images"], z["names"], z["sequences"], z["heldout"]
    vocabulary = json.loads(vocab.read_text())
    source = json.loads(sources.read_text()) if sources.exists() else {}
    return ArtData(images, tuple(str(n) for n in names), tuple(str(s) for s in seqs), heldout.astype(bool),
                   tuple(vocabulary), source)


def load_art_data(cache_dir: Path | None = None, build_if_missing: bool = True,
                  log: Callable[[str], None] = print) -> ArtData:
    """The emoji set (``load_builtin("emoji", …)``)."""
    return load_builtin("emoji", cache_dir, log, build_if_missing)


BUILTIN_SETS = ("emoji", "icons")  # registry-built training sets: ``genai-studio train art --data NAME``
_SET_PACKAGES = {"emoji": PACKAGE, "icons": "papirus-icon-theme"}


def load_builtin(name: str, cache_dir: Path | None = None, log: Callable[[str], None] = print,
                 build_if_missing: bool = True) -> ArtData:
    """A built-in training set by name from the cache, built from its Debian package on first use unless told
    not to."""
    if name not in BUILTIN_SETS:
        raise BadInput(f"unknown built-in art set {name!r}; known: {', '.join(BUILTIN_SETS)}")
    cache_dir = cache_dir or default_cache_dir()
    cached = load_cached(name, cache_dir)
    if cached is not None:
        return cached
    if not build_if_missing:
        raise BadInput(f"No {name} training data in {cache_dir}: run `genai-studio train art --data {name}` once "
                       f"to build it from the Debian package {_SET_PACKAGES[name]}")
    if name == "emoji":
        return build_art_data(cache_dir, log=log)
    from genai_studio.training import art_icons  # imports this module: loaded on demand

    return art_icons.build_icon_data(cache_dir, log=log)
