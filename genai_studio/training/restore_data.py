"""Training and held-out photos for the restoration models: where they come from, and the crop cache.

Sources: real photos from Debian wallpaper packages (downloaded with ``apt-get download`` and unpacked with
``dpkg -x``, never installed) plus the photos bundled with scikit-image. Every file's package, path and license
(read from the package's DEP-5 ``debian/copyright``) is recorded in ``sources.json`` beside the patch cache.
The held-out split is by whole file: the ``HELDOUT`` photos are never cut into training patches.

Cache layout (``~/.cache/genai-studio/restore-data/``, never in the repo):
  ``patches-v1.npy``  uint8 (N, PATCH, PATCH, 3) random training crops
  ``heldout-v1.npz``  uint8 (H, W, 3) per held-out photo (center crop, keyed by source key)
  ``sources.json``    per-file provenance and split
  ``build.json``      how the patches were cut (photo set, crops per photo, detail filter, scales, seed)

The damage applied to the crops for training is in ``restore_degrade``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import unquote

import numpy as np
from PIL import Image

from genai_studio.core.errors import BadInput
from genai_studio.training.restore_degrade import bicubic_round_trip_db

CACHE_VERSION = 1
PATCH = 128  # side of a cached training crop (px); training takes random sub-crops of it
PATCHES_PER_PHOTO = 96
MAX_SHORT_SIDE = 1080  # big wallpapers are downscaled first: cheaper, and it averages away their own noise/JPEG
HELDOUT_CROP = 256  # side of the center crop scored on each held-out photo (keeps NLM baselines fast)

# package -> folders (relative to the unpacked package root) holding real photos, not drawings
DEBIAN_PACKAGES: dict[str, tuple[str, ...]] = {
    "plasma-workspace-wallpapers": ("usr/share/wallpapers",),
    "mate-backgrounds": ("usr/share/backgrounds/mate/nature",),
    "lomiri-wallpapers-16.04": ("usr/share/backgrounds",),  # Ubuntu community photo contest, 2018
    "lomiri-wallpapers-20.04": ("usr/share/backgrounds",),
}
# Which packages a photo set draws from. Set 1 is what the first shipped models were trained on; set 2 adds the
# Lomiri photos (15 more, most with far more fine detail than the wallpapers of set 1).
PHOTO_SETS: dict[int, tuple[str, ...]] = {
    1: ("plasma-workspace-wallpapers", "mate-backgrounds"),
    2: ("plasma-workspace-wallpapers", "mate-backgrounds", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04"),
}
LATEST_PHOTO_SET = max(PHOTO_SETS)
# where the paths in each package's debian/copyright start (its upstream source tree, as installed), and the
# upstream folder the copyright file names that the package flattens away (Lomiri: "16.04/<file>")
LICENSE_PATHS_FROM = {"plasma-workspace-wallpapers": "usr/share/wallpapers",
                      "mate-backgrounds": "usr/share/backgrounds/mate",
                      "lomiri-wallpapers-16.04": "usr/share/backgrounds",
                      "lomiri-wallpapers-20.04": "usr/share/backgrounds"}
LICENSE_PATH_PREFIX = {"lomiri-wallpapers-16.04": "16.04/", "lomiri-wallpapers-20.04": "20.04/"}
# Wallpapers that are rendered art, not photos (their flat gradients teach nothing about noise or detail).
PLASMA_NOT_PHOTOS = frozenset({"Flow", "Volna", "Honeywave", "Shell", "Altai", "Kay", "Patak", "Opal", "Canopee",
                               "Cascade", "Cluster", "Kokkini", "FlyingKonqui", "Elarun", "IceCold", "MilkyWay",
                               "Grey", "DarkestHour", "SafeLanding"})
LOMIRI_NOT_PHOTOS = frozenset({"umang_by_Abhishek_Mudgal", "Fossa_by_Jasper_Roks", "Infinite-Sea_by_Aury88",
                               "Painting-Colors_by__herobrine7gamer"})
SKIMAGE_PHOTOS: dict[str, str] = {
    "astronaut": "public domain (NASA)",
    "coffee": "CC0 (Rachel Michetti)",
    "chelsea": "CC0 (Stefan van der Walt)",
    "rocket": "public domain (SpaceX)",
    "hubble_deep_field": "public domain (NASA)",
    "immunohistochemistry": "no known copyright restrictions",
    "retina": "CC0 1.0",
}
# Whole files never used for training: four skimage photos (usable offline in tests) and two Debian photos.
HELDOUT = ("skimage:astronaut", "skimage:coffee", "skimage:chelsea", "skimage:rocket",
           "plasma-workspace-wallpapers:ColorfulCups", "mate-backgrounds:LadyBird")


@dataclass(frozen=True)
class PhotoSource:
    key: str  # stable id, e.g. "plasma-workspace-wallpapers:Autumn" or "skimage:coffee"
    origin: str  # "debian:<package>=<version>" or "skimage.data"
    path: str  # path inside the package, or the skimage.data function name
    license: str
    split: str  # "train" | "heldout"


def default_cache_dir() -> Path:
    return Path(os.environ.get("GENAI_STUDIO_RESTORE_DATA", Path.home() / ".cache" / "genai-studio" /
                               "restore-data"))


# ---------------------------------------------------------------------------------------------- sources
def fetch_debian_packages(work_dir: Path, log: Callable[[str], None] = print,
                          photo_set: int = LATEST_PHOTO_SET) -> dict[str, Path]:
    """``apt-get download`` + ``dpkg -x`` each package of the photo set into ``work_dir/x-<package>``;
    returns package → root."""
    if photo_set not in PHOTO_SETS:
        raise BadInput(f"Unknown photo set {photo_set}: choose {', '.join(map(str, PHOTO_SETS))}.")
    work_dir.mkdir(parents=True, exist_ok=True)
    roots: dict[str, Path] = {}
    for package in PHOTO_SETS[photo_set]:
        root = work_dir / f"x-{package}"
        if not root.is_dir():
            debs = sorted(work_dir.glob(f"{package}_*.deb"))
            if not debs:
                log(f"apt-get download {package}")
                subprocess.run(["apt-get", "download", package], cwd=work_dir, check=True,
                               stdout=subprocess.DEVNULL)
                debs = sorted(work_dir.glob(f"{package}_*.deb"))
            subprocess.run(["dpkg", "-x", str(debs[-1]), str(root)], check=True)
        roots[package] = root
    return roots


def _package_version(work_dir: Path, package: str) -> str:
    debs = sorted(work_dir.glob(f"{package}_*.deb"))
    return unquote(debs[-1].name.split("_")[1]) if debs else "unknown"


def dep5_license(copyright_text: str, relative_path: str) -> str:
    """License of one file under a DEP-5 copyright file: the last ``Files:`` stanza that matches wins."""
    found = ""
    for stanza in copyright_text.split("\n\n"):
        patterns: list[str] = []
        license_name = ""
        in_files = False
        for line in stanza.splitlines():
            if line.startswith("Files:"):
                patterns += line[len("Files:"):].split()
                in_files = True
            elif in_files and line.startswith((" ", "\t")):
                patterns += line.split()
            else:
                in_files = False
                if line.startswith("License:"):
                    license_name = line[len("License:"):].strip()
        if license_name and any(fnmatch.fnmatch(relative_path, p) for p in patterns):
            found = license_name
    return found


def discover_sources(roots: dict[str, Path], work_dir: Path | None = None) -> list[PhotoSource]:
    """Every photo used, with its license and split. Plasma: the largest rendition of each photo wallpaper."""
    sources: list[PhotoSource] = []
    for package, root in sorted(roots.items()):
        version = _package_version(work_dir, package) if work_dir else "unknown"
        copyright_file = root / "usr/share/doc" / package / "copyright"
        text = copyright_file.read_text(encoding="utf-8", errors="replace") if copyright_file.exists() else ""
        for folder in DEBIAN_PACKAGES[package]:
            base = root / folder
            for path, name in _photos_in(package, base):
                upstream_path = LICENSE_PATH_PREFIX.get(package, "") + str(
                    path.relative_to(root / LICENSE_PATHS_FROM[package]))
                lic = dep5_license(text, upstream_path)
                if not lic:
                    continue  # no license stanza covers it: leave it out rather than guess
                key = f"{package}:{name}"
                sources.append(PhotoSource(key, f"debian:{package}={version}", str(path.relative_to(root)), lic,
                                           "heldout" if key in HELDOUT else "train"))
    for name, lic in SKIMAGE_PHOTOS.items():
        key = f"skimage:{name}"
        sources.append(PhotoSource(key, "skimage.data", name, lic, "heldout" if key in HELDOUT else "train"))
    return sources


def _photos_in(package: str, base: Path) -> Iterable[tuple[Path, str]]:
    if package == "plasma-workspace-wallpapers":
        for wall in sorted(p for p in base.iterdir() if p.is_dir()):
            if wall.name in PLASMA_NOT_PHOTOS:
                continue
            files = [f for f in (wall / "contents" / "images").glob("*") if f.suffix.lower() in (".jpg", ".png")]
            if files:
                yield max(files, key=lambda f: f.stat().st_size), wall.name
    else:
        for f in sorted(base.glob("*.jpg")):
            if f.stem not in LOMIRI_NOT_PHOTOS:
                yield f, f.stem


def load_source(source: PhotoSource, roots: dict[str, Path] | None = None) -> np.ndarray:
    """The photo as uint8 RGB (H, W, 3), downscaled so its short side is at most MAX_SHORT_SIDE."""
    if source.origin == "skimage.data":
        import skimage.data

        img = Image.fromarray(np.asarray(getattr(skimage.data, source.path)())[..., :3])
    else:
        if roots is None:
            raise BadInput(f"'{source.key}' is a Debian photo: its unpacked package root is needed.")
        package = source.key.split(":", 1)[0]
        img = Image.open(roots[package] / source.path).convert("RGB")
    short = min(img.size)
    if short > MAX_SHORT_SIDE:
        f = MAX_SHORT_SIDE / short
        img = img.resize((round(img.width * f), round(img.height * f)), Image.Resampling.LANCZOS)
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


def shrink(img: np.ndarray, factor: float) -> np.ndarray:
    """``img`` resized by ``factor`` ≤ 1 (Lanczos); the same array for 1."""
    if factor == 1.0:
        return img
    size = (max(1, round(img.shape[1] * factor)), max(1, round(img.shape[0] * factor)))
    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)


def center_crop(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape[:2]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return img[top: top + size, left: left + size]


def random_patches(img: np.ndarray, count: int, size: int, rng: np.random.Generator,
                   max_flat_db: float | None = None) -> np.ndarray:
    """``count`` random (size, size, 3) crops; (count, size, size, 3) uint8.

    ``max_flat_db``: keep only crops with detail, those that a bicubic x4 down-and-up round trip reproduces
    below this PSNR (dB, luma; see ``bicubic_round_trip_db``). Sky, bokeh and walls come out of that round trip
    almost unchanged (40+ dB) and teach an upscaler nothing; wallpapers are mostly such areas. Up to 20
    candidates are drawn per kept crop, so a photo with little detail gives fewer crops."""
    h, w = img.shape[:2]
    if h < size or w < size:
        return np.zeros((0, size, size, 3), np.uint8)
    if max_flat_db is None:
        ys = rng.integers(0, h - size + 1, count)
        xs = rng.integers(0, w - size + 1, count)
        return np.stack([img[y: y + size, x: x + size] for y, x in zip(ys, xs)])
    kept: list[np.ndarray] = []
    for _ in range(20 * count):
        y, x = (int(v) for v in rng.integers(0, (h - size + 1, w - size + 1)))
        crop = img[y: y + size, x: x + size]
        if bicubic_round_trip_db(crop, 4) < max_flat_db:
            kept.append(crop)
            if len(kept) == count:
                break
    return np.stack(kept) if kept else np.zeros((0, size, size, 3), np.uint8)


# ---------------------------------------------------------------------------------------------- cache
@dataclass
class RestoreData:
    patches: np.ndarray  # uint8 (N, PATCH, PATCH, 3), training photos only
    heldout: dict[str, np.ndarray]  # key -> uint8 (h, w, 3) center crop of a held-out photo
    sources: list[PhotoSource]
    build: dict = field(default_factory=dict)  # how the patches were cut (build.json; {} in older caches)

    def sources_summary(self) -> str:
        by_origin: dict[str, list[PhotoSource]] = {}
        for s in self.sources:
            by_origin.setdefault(s.origin, []).append(s)
        parts = []
        for origin, items in by_origin.items():
            lics = sorted({s.license for s in items})
            names = ", ".join(s.key.split(":", 1)[1] + ("*" if s.split == "heldout" else "") for s in items)
            parts.append(f"{origin} [{'; '.join(lics)}]: {names}")
        detail, scales = self.build.get("max_flat_db"), self.build.get("scales")
        kind = f"random {PATCH}px training patches" + (
            f" with fine detail (a bicubic x4 round trip reproduces them below {detail:g} dB)" if detail else "") + (
            f", cut from each photo at scales {', '.join(f'{f:g}' for f in scales)}" if scales else "")
        return (" | ".join(parts) + f". {len(self.patches)} {kind}; * = held out "
                "(whole files, never trained on). Synthetic degradations "
                "(see genai_studio/training/restore_degrade.py).")


def build_restore_data(cache_dir: Path | None = None, work_dir: Path | None = None, seed: int = 0,
                       log: Callable[[str], None] = print, include_debian: bool = True,
                       per_photo: int = PATCHES_PER_PHOTO, photo_set: int = LATEST_PHOTO_SET,
                       max_flat_db: float | None = None, scales: tuple[float, ...] = (1.0,)) -> RestoreData:
    """Fetch and unpack the packages, cut training patches, keep held-out crops; writes the cache.
    ``max_flat_db``: skip crops with no fine detail (see ``random_patches``; for upscaler training).
    ``scales``: also cut ``per_photo`` crops from each training photo shrunk by these factors (1 = as loaded):
    a shrunk photo packs more structure into a crop, like the small photos people upscale."""
    if not scales or any(not 0.0 < f <= 1.0 for f in scales):
        raise BadInput(f"Patch scales must be in (0, 1], got {scales}.")
    cache_dir = cache_dir or default_cache_dir()
    work_dir = work_dir or cache_dir / "debian"
    roots = fetch_debian_packages(work_dir, log, photo_set) if include_debian else {}
    sources = discover_sources(roots, work_dir)
    rng = np.random.default_rng(seed)
    patches, heldout = [], {}
    for source in sources:
        img = load_source(source, roots)
        if source.split == "heldout":
            heldout[source.key] = center_crop(img, HELDOUT_CROP)
        else:
            for factor in scales:
                patches.append(random_patches(shrink(img, factor), per_photo, PATCH, rng, max_flat_db))
        log(f"{source.split:8s} {source.key} {img.shape[1]}x{img.shape[0]} [{source.license}]")
    build = {"photo_set": photo_set if include_debian else 0, "per_photo": per_photo, "max_flat_db": max_flat_db,
             "seed": seed}
    if tuple(scales) != (1.0,):
        build["scales"] = list(scales)
    data = RestoreData(np.concatenate(patches), heldout, sources, build)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache_dir / f"patches-v{CACHE_VERSION}.npy", data.patches)
    np.savez(cache_dir / f"heldout-v{CACHE_VERSION}.npz", **data.heldout)
    (cache_dir / "sources.json").write_text(json.dumps([asdict(s) for s in sources], indent=1) + "\n")
    (cache_dir / "build.json").write_text(json.dumps(build) + "\n")  # last: it describes the files above
    return data


def load_restore_data(cache_dir: Path | None = None, build_if_missing: bool = True,
                      log: Callable[[str], None] = print) -> RestoreData:
    cache_dir = cache_dir or default_cache_dir()
    patches_file = cache_dir / f"patches-v{CACHE_VERSION}.npy"
    if not patches_file.exists():
        if not build_if_missing:
            raise BadInput(f"No restoration training data in {cache_dir}: run "
                           "`python -m genai_studio.training.restore_data` first.")
        return build_restore_data(cache_dir, log=log)
    with np.load(cache_dir / f"heldout-v{CACHE_VERSION}.npz") as z:
        heldout = {k: z[k] for k in z.files}
    sources = [PhotoSource(**d) for d in json.loads((cache_dir / "sources.json").read_text())]
    build_file = cache_dir / "build.json"  # absent in caches built before it was recorded
    build = json.loads(build_file.read_text()) if build_file.exists() else {}
    return RestoreData(np.load(patches_file), heldout, sources, build)


def skimage_heldout() -> dict[str, np.ndarray]:
    """The skimage held-out photos, center-cropped like the cache's (works offline; used by tests)."""
    out = {}
    for key in HELDOUT:
        if key.startswith("skimage:"):
            src = PhotoSource(key, "skimage.data", key.split(":", 1)[1], SKIMAGE_PHOTOS[key.split(":", 1)[1]],
                              "heldout")
            out[key] = center_crop(load_source(src), HELDOUT_CROP)
    return out


def colorize_calibration_photos() -> dict[str, np.ndarray]:
    """Colour photos that are neither training nor held-out, for setting the colorizer's chroma gain: the left
    view of skimage's ``stereo_motorcycle`` (Middlebury stereo data) and matplotlib's ``grace_hopper.jpg``
    (US Navy photo, public domain); 256 px center crops. Works offline; missing ones are skipped."""
    out: dict[str, np.ndarray] = {}
    try:
        import skimage.data

        out["skimage:stereo_motorcycle"] = np.asarray(skimage.data.stereo_motorcycle()[0])[..., :3]
    except Exception:  # noqa: BLE001 - optional data
        pass
    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
        out["matplotlib:grace_hopper"] = np.asarray(Image.open(path).convert("RGB"))
    except Exception:  # noqa: BLE001 - optional data
        pass
    return {k: center_crop(np.ascontiguousarray(v, dtype=np.uint8), HELDOUT_CROP) for k, v in out.items()}


def main() -> None:
    import argparse

    p = argparse.ArgumentParser(description="fetch the restoration photos and build the patch cache")
    p.add_argument("--cache", default=None, help=f"cache folder (default {default_cache_dir()})")
    p.add_argument("--work", default=None, help="where the .deb files are downloaded and unpacked "
                   "(default <cache>/debian)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--patches-per-photo", type=int, default=PATCHES_PER_PHOTO)
    p.add_argument("--photo-set", type=int, choices=sorted(PHOTO_SETS), default=LATEST_PHOTO_SET,
                   help="1: Plasma + MATE wallpapers (the first shipped models); 2: also the Lomiri photos")
    p.add_argument("--max-flat-db", type=float, default=None,
                   help="keep only crops a bicubic x4 round trip reproduces below this PSNR (dB): drops sky and "
                        "bokeh, for upscaler training (e.g. 36)")
    p.add_argument("--scales", default="1", help="comma-separated factors ≤ 1: cut crops from each training photo "
                   "shrunk by each (default 1; e.g. 1,0.5 for upscaler training)")
    args = p.parse_args()
    try:
        scales = tuple(float(f) for f in args.scales.split(","))
    except ValueError:
        p.error(f"--scales takes comma-separated numbers, got {args.scales!r}")
    if any(not 0.0 < f <= 1.0 for f in scales):
        p.error(f"--scales must each be above 0 and at most 1, got {args.scales!r}")
    data = build_restore_data(Path(args.cache) if args.cache else None, Path(args.work) if args.work else None,
                              seed=args.seed, per_photo=args.patches_per_photo, photo_set=args.photo_set,
                              max_flat_db=args.max_flat_db, scales=scales)
    print(f"{len(data.patches)} patches, {len(data.heldout)} held-out photos")


if __name__ == "__main__":
    main()
