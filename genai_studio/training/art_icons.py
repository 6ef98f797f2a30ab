"""Icon training set for the built-in art generator: Debian ``papirus-icon-theme`` rendered at 64x64.

Source: the ``Papirus/64x64`` folders ``apps``, ``devices``, ``mimetypes`` and ``places`` (``categories`` is a
link to ``apps``) of the package, unpacked with ``apt-get download`` + ``dpkg -x`` (no install). Each real SVG
file is one icon; the many symlinks that alias it (``folder-music`` -> ``folder-blue-music``,
``org.gnome.Terminal`` -> ``utilities-terminal``) are not separate icons but lend it their words.

Choices, and why:
- Words: the icon's kind (``CONTEXT_WORDS``: "app", "file", "device"; places are folders and say so), the
  file's own name, then words from its aliases, most shared first, at most ``MAX_WORDS``.
  A name is split at ``-``, ``_``, ``.``, ``+`` and camelCase ("folder-blue-music" -> folder blue music,
  "text-x-python" -> text python, "org.gnome.Nautilus" -> nautilus); ``NOISE_WORDS`` (``x``, ``symbolic``,
  app-id domains and developer names, packaging prefixes), tokens with digits and words of fewer than three
  letters (except ``SHORT_WORDS`` such as "tv", "pc", "3d") are dropped.
  Aliases add the generic words an app icon is looked up by ("terminal", "archive", "video") without letting
  the icon with 30 aliases carry 30 brand names.
- Folder colours: Papirus draws its ~75 folder kinds in 26 colour schemes; all of them would make a third of
  the set blue-grey-red copies of one shape. Only ``FOLDER_COLORS`` (six plain colour words) are kept, and
  ``folder-custom-*`` (templates with placeholder colours) and named schemes (yaru, breeze, nordic) are not.
- Identical renders are rendered once: the first file (sorted path) keeps the image and takes the words of
  the others.
- Held out: 10% by a stable hash of the icon's base name with its folder colour removed, so all colours of
  one folder kind fall on the same side of the split.

Rendering is ``svg_render.render_svg`` (numpy; ``training`` may not import Qt).
Cache: ``icons-v{CACHE_VERSION}.npz`` + ``icons-vocabulary.json`` + ``icons-sources.json`` beside the emoji
cache (``art_data.default_cache_dir``), in the same layout.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.training import art_data as ad
from genai_studio.training.svg_render import render_svg

SET_NAME = "icons"
PACKAGE = "papirus-icon-theme"
THEME_RELPATH = "usr/share/icons/Papirus/64x64"
CONTEXTS = ("apps", "devices", "mimetypes", "places")
LICENSE = ("GPL-3 (Files: * and debian/*, per debian/copyright of papirus-icon-theme; parts derived from Paper "
           "Icon Theme LGPL-3, Numix / Numix Core / elementary+ GPL-3)")
NATIVE_PX = 64
MAX_WORDS = 8
CACHE_VERSION = 1
FOLDER_COLORS = ("blue", "red", "green", "yellow", "violet", "grey")
ALL_FOLDER_COLORS = frozenset({"adwaita", "black", "blue", "bluegrey", "breeze", "brown", "carmine", "custom",
                               "cyan", "darkcyan", "deeporange", "green", "grey", "indigo", "magenta", "nordic",
                               "orange", "palebrown", "paleorange", "pink", "red", "teal", "violet", "white",
                               "yaru", "yellow"})
NOISE_WORDS = frozenset({"x", "symbolic", "com", "org", "io", "net", "de", "me", "github", "gitlab", "sourceforge",
                         "freedesktop", "kde", "gnome", "xfce", "gtk", "stock", "appimagekit", "lutris", "steam",
                         "icon", "icons", "vnd", "ms", "mime", "app", "exe", "gnu", "fs", "dev", "inode",
                         "application", "applications", "www", "svg", "bin", "the", "and", "default",
                         # packaging / launcher prefixes shared by unrelated icons ("kali-nmap", "yast-lan")
                         "kali", "yast", "cs", "nuvola", "distributor", "wine"}) | ad.STOP_WORDS
SHORT_WORDS = frozenset({"tv", "pc", "cd", "db", "vm", "hd", "sd", "ui", "up", "go", "ok", "js", "pdf"})
CONTEXT_WORDS = {"apps": "app", "devices": "device", "mimetypes": "file"}  # what each kind of icon is
_DOMAINS = frozenset({"com", "org", "io", "net", "de", "me", "app", "dev", "eu", "info", "fr", "ru", "nl", "ch",
                      "uk", "it", "xyz", "im", "co", "page", "tk", "in", "ca", "edu", "cc", "se", "pl"})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def fetch_theme(work_dir: Path, log: Callable[[str], None] = print) -> tuple[Path, str]:
    """The 64x64 Papirus theme folder from its Debian package; returns (folder, package version)."""
    return ad.fetch_debian_package(PACKAGE, THEME_RELPATH, work_dir, log)


# ------------------------------------------------------------------------------------------------ names
def name_tokens(stem: str) -> list[str]:
    """Content words of an icon file name, in order ("text-x-python" -> ["text", "python"]).

    A reverse-DNS application id keeps only its last part: "com.github.artemanufrij.playmymusic" -> play my
    music (the domain and developer name say nothing about the picture).
    """
    dotted = stem.split(".")
    if len(dotted) >= 3 and dotted[0].lower() in _DOMAINS:
        stem = dotted[-1]
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", stem):
        for tok in _CAMEL.split(part):
            tok = tok.lower()
            tok = tok if tok in SHORT_WORDS else tok.strip("0123456789")
            ok = tok in SHORT_WORDS or (len(tok) > 2 and tok.isalpha())
            if ok and tok not in NOISE_WORDS and tok not in out:
                out.append(tok)
    return out


def icon_words(stem: str, aliases: Iterable[str] = (), max_words: int = MAX_WORDS, context: str = "") -> list[str]:
    """The icon's kind word ("app", "file", "device"), its own name words, then alias words (most aliases first),
    without repeats, at most ``max_words``."""
    words = [CONTEXT_WORDS[context]] if context in CONTEXT_WORDS else []
    words += [w for w in name_tokens(stem) if w not in words]
    alias_words = Counter(w for a in aliases for w in set(name_tokens(a)))
    ranked = sorted((w for w in alias_words if w not in words), key=lambda w: (-alias_words[w], w))
    return (words + ranked)[:max_words]


def folder_color(stem: str) -> str | None:
    """The colour scheme of ``folder-<colour>[-kind]`` / ``user-<colour>-kind`` names, else None."""
    parts = stem.split("-")
    if len(parts) >= 2 and parts[0] in ("folder", "user") and parts[1] in ALL_FOLDER_COLORS:
        return parts[1]
    return None


def base_name(stem: str) -> str:
    """Split key: the name without its folder colour ("folder-red-music" -> "folder-music")."""
    color = folder_color(stem)
    return stem.replace(f"-{color}", "", 1) if color else stem


def heldout_mask(stems: Sequence[str], fraction: float = ad.HELDOUT_FRACTION) -> np.ndarray:
    def bucket(stem: str) -> float:
        return int(hashlib.sha256(base_name(stem).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return np.array([bucket(s) < fraction for s in stems], bool)


# ------------------------------------------------------------------------------------------------ files
def scan_theme(theme: Path, contexts: Sequence[str] = CONTEXTS) -> dict[Path, list[str]]:
    """Real SVG files (relative to ``theme``) -> stems of the symlinks anywhere in the theme that point at them.

    Colour schemes not in ``FOLDER_COLORS`` are left out, and so are their aliases.
    """
    files: dict[Path, list[str]] = {}
    links: list[Path] = []
    for ctx in contexts:
        folder = theme / ctx
        if not folder.is_dir() or folder.is_symlink():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.suffix != ".svg":
                continue
            if entry.is_symlink():
                links.append(entry)
            elif entry.is_file():
                color = folder_color(entry.stem)
                if color is None or color in FOLDER_COLORS:
                    files[entry.relative_to(theme)] = []
    root = theme.resolve()
    for link in links:
        target = link.resolve()
        try:
            rel = target.relative_to(root)
        except ValueError:
            continue
        if rel in files:
            files[rel].append(link.stem)
    return files


def build_icon_data(cache_dir: Path | None = None, work_dir: Path | None = None, theme_dir: Path | None = None,
                    log: Callable[[str], None] = print) -> ad.ArtData:
    """Render every chosen icon, merge identical renders, build vocabulary and split; write the cache."""
    cache_dir = cache_dir or ad.default_cache_dir()
    version = "unknown"
    if theme_dir is None:
        theme_dir, version = fetch_theme(work_dir or cache_dir / "debian", log)
    files = scan_theme(theme_dir)
    log(f"rendering {len(files)} SVG icons from {theme_dir}")
    images: list[np.ndarray] = []
    words: list[list[str]] = []
    paths: list[str] = []
    by_digest: dict[bytes, int] = {}
    failed = 0
    for rel, aliases in sorted(files.items()):
        try:
            img = render_svg(theme_dir / rel, NATIVE_PX)
        except Exception as exc:  # a malformed file must not stop the build; it is counted and logged
            failed += 1
            log(f"skipped {rel}: {exc}")
            continue
        w = icon_words(rel.stem, aliases, context=rel.parts[0])
        if not w or (img < 250).mean() < 0.01:
            continue
        digest = hashlib.sha1(img.tobytes()).digest()
        if digest in by_digest:  # same picture under another file name: one image, both names' words
            k = by_digest[digest]
            words[k] = (words[k] + [x for x in w if x not in words[k]])[:MAX_WORDS]
            continue
        by_digest[digest] = len(images)
        images.append(img)
        words.append(w)
        paths.append(rel.as_posix())
    if not images:
        raise BadInput(f"no icons rendered from {theme_dir}")
    names = [" ".join(w) for w in words]
    stems = [Path(p).stem for p in paths]
    log(f"rendered {len(images)} distinct icons at {NATIVE_PX}x{NATIVE_PX} ({failed} failed, "
        f"{len(files) - len(images) - failed} duplicates or blank)")
    data = ad.ArtData(np.stack(images), tuple(names), tuple(paths), heldout_mask(stems),
                      tuple(ad.build_vocabulary(names)),
                      {"package": PACKAGE, "version": version, "license": LICENSE, "theme": THEME_RELPATH,
                       "contexts": list(CONTEXTS), "folder_colors": list(FOLDER_COLORS)})
    ad.save_art_data(data, cache_dir, SET_NAME)
    return data

