"""`bench art`: quality and speed of every built-in image generator, against simple baselines in the same run.

Generators are the manifests in ``genai_studio/models`` with family "art" and task "generate"; the data set is
named by a manifest tag ("emoji" → ``art_data.load_builtin("emoji")``, "icons" → ``load_builtin("icons")``); a
model with neither tag is skipped with a note. Per data set, the project's own art classifier
(``training/art_classifier.py``: trained on the training split only, cached) gives the feature space.

Quality, per generator (64x64 native images; the classifier's features are its 128-d penultimate layer):
- FD vs held-out: one sample per held-out emoji, prompted with that emoji's name (cycled up to ``samples``),
  against the held-out real images. ``train_vs_heldout_fd`` (as many random training images) is the floor.
- memorisation: nearest-training-image distance of every sample, in 32x32 pixel space and in feature space; the
  flag is the fraction closer than a third of the median distance between a training image and its nearest
  training image of *another* design (not its own skin-tone variants). Held-out real images (never trained on)
  are measured the same way: their fraction is what an honest novel image scores.
- diversity: mean pairwise feature distance among the ``per_class`` samples of one class-word prompt, and its
  ratio to the same measure over training images of that class (1 = as varied as the real class).
- adherence: of those samples, the fraction the classifier tags with the prompt word (p > 0.5) and the fraction
  where it is the top-1 class; the classifier's own score on held-out real images of each class is the ceiling.
Baselines: ``copy-train`` (a random training image sharing the most prompt words: the memorisation extreme),
``class-mean`` (the mean of those images) and ``class-gaussian`` (a per-pixel Gaussian of them: blurry noise).

Speed (model only): seconds for one 256 px result (native resolution, bicubic to 256 as GenerateSpec size=256
does) and for a 16-image grid at 256 px (the grid picture included); the cold first run (model load) and the
median of warm runs; on CPU, and on CUDA when torch sees a GPU.
"""

from __future__ import annotations

import datetime
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from genai_studio.bench import art_quality as q
from genai_studio.core.manifest import ModelManifest, read_manifest
from genai_studio.training import art_data as ad
from genai_studio.training import art_classifier as ac

DATA_TAGS = ("emoji", "icons")  # manifest tag → art_data.load_builtin(tag)
TARGET_SINGLE_S, TARGET_GRID_S = 1.5, 10.0  # CPU targets from the issue
Sampler = Callable[[str, int, int], np.ndarray]  # (prompt, count, seed) → (count, px, px, 3) uint8


@dataclass(frozen=True)
class BenchOptions:
    samples: int | None = None  # FD samples (default: one per held-out image)
    per_class: int = 16  # samples per class-word prompt (diversity, adherence)
    max_classes: int | None = None  # evaluate only the first N classes (quick runs)
    repeats: int = 5  # warm speed runs
    device: str = "cpu"  # device for the quality samples
    models: tuple[str, ...] | None = None  # only these generator ids
    classifier_dir: Path | None = None  # default: the art-data cache
    quick: bool = False
    compare: tuple[Path, ...] = ()  # manifests of other generators to score in the same run (e.g. a previous model)


def builtin_generators(models_dir: Path | None = None) -> list[tuple[ModelManifest, Path]]:
    """(manifest, weights file) of every built-in art generator, sorted by id."""
    from genai_studio.paths import BUILTIN_MODELS_DIR

    found = []
    for path in sorted(Path(models_dir or BUILTIN_MODELS_DIR).glob("*.json")):
        try:
            manifest = read_manifest(path)
        except (ValueError, OSError):
            continue
        if manifest.family == "art" and manifest.task == "generate" and manifest.files:
            found.append((manifest, path.parent / manifest.files[0].name))
    return found


COMPARE_SUFFIX = " (compared)"


def compared_generators(manifests: tuple[Path, ...]) -> list[tuple[ModelManifest, Path]]:
    """(manifest, weights) of generators named on the command line; their ids get COMPARE_SUFFIX so a previous
    version of a built-in model is reported beside the current one."""
    from dataclasses import replace

    from genai_studio.core.errors import BadInput

    found = []
    for path in manifests:
        try:
            manifest = read_manifest(path)
        except (ValueError, OSError) as exc:
            raise BadInput(f"--compare {path}: not a readable model manifest ({exc})") from exc
        if manifest.family != "art" or manifest.task != "generate" or not manifest.files:
            raise BadInput(f"--compare {path}: {manifest.id} is not an image generator")
        found.append((replace(manifest, id=manifest.id + COMPARE_SUFFIX), Path(path).parent / manifest.files[0].name))
    return found


def data_set_of(manifest: ModelManifest) -> str | None:
    return next((t for t in manifest.tags if t in DATA_TAGS), None)


# ------------------------------------------------------------------------------------------------ samplers
def model_sampler(manifest: ModelManifest, weights: Path, device: str) -> Sampler:
    from genai_studio.core.art_generate_jobs import GenerateSpec
    from genai_studio.core.progress import CancelToken
    from genai_studio.engines.art.generate import run_generate

    native = int(manifest.defaults.get("native_px", 64))
    guidance = float(manifest.defaults.get("guidance", 1.0))  # what the app uses for this model by default

    def sample(prompt: str, count: int, seed: int) -> np.ndarray:
        spec = GenerateSpec(model_id=manifest.id, prompt=prompt, count=count, seed=seed, size=native, device=device,
                            guidance=guidance)
        return np.stack([im.pixels for im in run_generate(spec, CancelToken(), manifest, weights).images])

    return sample


class PromptIndex:
    """Training images that share the most content words with a prompt (all of them when none shares any)."""

    def __init__(self, data: ad.ArtData) -> None:
        train = ~data.heldout
        self.images = data.images[train]
        self.hot = data.conditions()[train]  # (N_train, V)
        self.vocabulary = data.vocabulary

        self._stats: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def _hot(self, prompt: str) -> np.ndarray:
        return ad.multi_hot(ad.name_words(prompt), self.vocabulary)

    def matches(self, prompt: str) -> np.ndarray:
        score = self.hot @ self._hot(prompt)
        best = score.max()
        return np.flatnonzero(score == best) if best > 0 else np.arange(len(self.images))

    def stats(self, prompt: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel mean and standard deviation (64, 64, 3) of the matching images, cached per word set."""
        key = self._hot(prompt).tobytes()
        if key not in self._stats:
            pix = self.images[self.matches(prompt)].astype(np.float32)
            self._stats[key] = (pix.mean(0), pix.std(0))
        return self._stats[key]


def baseline_samplers(index: PromptIndex) -> dict[str, Sampler]:
    def copy_train(prompt: str, count: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return index.images[rng.choice(index.matches(prompt), count)]

    def class_mean(prompt: str, count: int, seed: int) -> np.ndarray:
        mean = index.stats(prompt)[0]
        return np.repeat(np.round(mean).astype(np.uint8)[None], count, axis=0)

    def class_gaussian(prompt: str, count: int, seed: int) -> np.ndarray:
        mean, std = index.stats(prompt)
        noise = np.random.default_rng(seed).standard_normal((count, *mean.shape))
        return np.clip(np.round(mean + std * noise), 0, 255).astype(np.uint8)

    return {"baseline-copy-train": copy_train, "baseline-class-mean": class_mean,
            "baseline-class-gaussian": class_gaussian}


# ------------------------------------------------------------------------------------------------ reference
@dataclass
class Reference:
    """The real data of one set in the classifier's eyes: what every generator is measured against."""

    data: ad.ArtData
    clf: ac.TrainedClassifier
    classes: list[str]
    train_feats: np.ndarray  # (N_train, D)
    train_pix: np.ndarray  # (N_train, 3072)
    heldout_feats: np.ndarray  # (N_heldout, D)
    heldout_names: list[str]
    threshold_pix: float
    threshold_feat: float
    real_diversity: dict[str, float]


def build_reference(data: ad.ArtData, clf: ac.TrainedClassifier, opts: BenchOptions) -> tuple[Reference, dict]:
    train, held = ~data.heldout, data.heldout
    groups = np.array(ac.group_keys(data))[train]
    train_feats, heldout_feats = clf.features(data.images[train]), clf.features(data.images[held])
    train_pix, heldout_pix = q.pixels32(data.images[train]), q.pixels32(data.images[held])
    classes = list(clf.classes[:opts.max_classes] if opts.max_classes else clf.classes)
    targets = ac.class_targets(data, list(clf.classes))
    rng = np.random.default_rng(0)
    real_div = {}
    for c in classes:
        rows = np.flatnonzero(targets[train][:, clf.classes.index(c)])
        rows = rows if len(rows) <= 64 else rng.choice(rows, 64, replace=False)
        real_div[c] = q.mean_pairwise_distance(train_feats[rows])
    ref = Reference(data, clf, classes, train_feats, train_pix, heldout_feats,
                    [data.names[i] for i in np.flatnonzero(held)],
                    q.copy_threshold(train_pix, groups), q.copy_threshold(train_feats, groups),
                    real_div)
    floor_rows = rng.choice(int(train.sum()), min(int(train.sum()), int(held.sum())), replace=False)
    heldout_probs = clf.probabilities(data.images[held])
    per_class = {}
    for c in classes:
        rows = targets[held][:, clf.classes.index(c)] > 0
        if rows.any():
            per_class[c] = q.adherence(heldout_probs[rows], clf.classes.index(c))
    real = {
        "train_vs_heldout_fd": round(q.frechet_distance(train_feats[floor_rows], heldout_feats), 3),
        "heldout_memorisation": {"pixel32": q.memorisation(heldout_pix, train_pix, ref.threshold_pix),
                                 "feature": q.memorisation(heldout_feats, train_feats, ref.threshold_feat)},
        "heldout_adherence": {"classes_with_heldout_images": len(per_class),
                              "tagged": _mean(v["tagged"] for v in per_class.values()),
                              "top1": _mean(v["top1"] for v in per_class.values())},
        "real_class_diversity_mean": _mean(real_div.values()),
    }
    return ref, real


def _mean(values) -> float:
    values = list(values)
    return round(float(np.mean(values)), 4) if values else float("nan")


# ------------------------------------------------------------------------------------------------ quality
def evaluate(sample: Sampler, ref: Reference, opts: BenchOptions) -> dict:
    n = opts.samples or len(ref.heldout_names)
    prompts = [ref.heldout_names[i % len(ref.heldout_names)] for i in range(n)]
    fd_images = _native(np.concatenate([sample(p, 1, i) for i, p in enumerate(prompts)]))
    fd_feats = ref.clf.features(fd_images)
    class_images = {c: _native(sample(c, opts.per_class, 0)) for c in ref.classes}
    all_images = np.concatenate([fd_images, *class_images.values()])
    all_feats, diversity, adhere = [fd_feats], {}, {}
    for c, images in class_images.items():
        feats, probs = ref.clf.predict(images)
        all_feats.append(feats)
        diversity[c] = q.mean_pairwise_distance(feats)
        adhere[c] = q.adherence(probs, ref.clf.classes.index(c))
    all_feats = np.concatenate(all_feats)
    ratios = [diversity[c] / ref.real_diversity[c] for c in ref.classes if ref.real_diversity[c] > 0]
    return {
        "fd_vs_heldout": round(q.frechet_distance(fd_feats, ref.heldout_feats), 3),
        "fd_samples": n,
        "memorisation": {"pixel32": q.memorisation(q.pixels32(all_images), ref.train_pix, ref.threshold_pix),
                         "feature": q.memorisation(all_feats, ref.train_feats, ref.threshold_feat),
                         "samples": int(len(all_images))},
        "diversity": {"mean_pairwise_feature_distance": _mean(diversity.values()),
                      "ratio_to_real_class": _mean(ratios)},
        "adherence": {"tagged": _mean(v["tagged"] for v in adhere.values()),
                      "top1": _mean(v["top1"] for v in adhere.values()),
                      "per_class": {c: [v["tagged"], v["top1"]] for c, v in adhere.items()}},
    }


def _native(images: np.ndarray) -> np.ndarray:
    """Samples at the data's 64 px (a generator with another native size is resized)."""
    if images.shape[1] == ac.INPUT_PX:
        return images
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(im).resize((ac.INPUT_PX,) * 2, Image.BICUBIC)) for im in images])


# ------------------------------------------------------------------------------------------------ speed
def display_upscaler():
    """(manifest, weights) of the x4 model the app enlarges 256 px results with, as the app's job runner does."""
    from genai_studio.core.art_generate_jobs import DISPLAY_UPSCALER
    from genai_studio.runtime.model_store import ModelStore

    entry = ModelStore().find(DISPLAY_UPSCALER)
    return (entry.manifest, entry.weight_path) if entry is not None else None


def display_upscaler_name() -> str:
    found = display_upscaler()
    return found[0].name if found else "bicubic (the x4 upscaler is not installed)"


def time_generation(manifest: ModelManifest, weights: Path, device: str, prompt: str, repeats: int) -> dict:
    """Cold (model loaded from disk) and warm-median seconds for one 256 px image and a 16-image 256 px grid."""
    from genai_studio.core.art_generate_jobs import GenerateSpec
    from genai_studio.core.progress import CancelToken
    from genai_studio.engines.art.generate import run_generate
    from genai_studio.engines.model_cache import MODEL_CACHE

    out = {"enlarged_by": display_upscaler_name()}
    upscaler = display_upscaler()
    for label, count, target in (("single_256px", 1, TARGET_SINGLE_S), ("grid_16x256px", 16, TARGET_GRID_S)):
        runs = []
        MODEL_CACHE.release()
        for r in range(repeats + 1):
            spec = GenerateSpec(model_id=manifest.id, prompt=prompt, count=count, seed=r, size=256, device=device)
            started = time.perf_counter()
            result = run_generate(spec, CancelToken(), manifest, weights, upscaler=upscaler)
            if count > 1:
                result.grid()
            runs.append(time.perf_counter() - started)
        warm = statistics.median(runs[1:])
        out[label] = {"cold_s": round(runs[0], 4), "warm_median_s": round(warm, 4), "target_s": target,
                      "meets_target": warm <= target}
    return out


def speed_section(manifest: ModelManifest, weights: Path, prompt: str, repeats: int) -> dict:
    import torch

    speed = {"cpu": time_generation(manifest, weights, "cpu", prompt, repeats) | {"threads": torch.get_num_threads()}}
    if torch.cuda.is_available():
        speed["cuda"] = time_generation(manifest, weights, "cuda", prompt, repeats) | {
            "gpu": torch.cuda.get_device_name(0)}
    else:
        speed["cuda"] = "not available (torch.cuda.is_available() is False)"
    return speed


# ------------------------------------------------------------------------------------------------ bench
def classifier_options(quick: bool) -> ac.ClassifierOptions:
    if quick:
        return ac.ClassifierOptions(epochs=1, minutes=0.5, quick=True)
    return ac.ClassifierOptions()


def bench_art(opts: BenchOptions, log: Callable[[str], None] = lambda line: None) -> dict:
    import torch

    generators = [(m, w) for m, w in builtin_generators() if opts.models is None or m.id in opts.models]
    generators += compared_generators(opts.compare)
    skipped, by_set = [], {}
    for manifest, weights in generators:
        name = data_set_of(manifest)
        if name is None:
            skipped.append({"model": manifest.id, "reason": f"no data-set tag ({', '.join(DATA_TAGS)}) in manifest"})
        elif not weights.exists():
            skipped.append({"model": manifest.id, "reason": f"weights {weights.name} missing"})
        else:
            by_set.setdefault(name, []).append((manifest, weights))
    sets = {}
    for name, models in by_set.items():
        data = ad.load_builtin(name, log=log)
        started = time.perf_counter()
        clf = ac.load_or_train(name, data, opts.classifier_dir, classifier_options(opts.quick), log)
        weights_path, _ = ac.classifier_paths(name, opts.classifier_dir)
        ref, real = build_reference(data, clf, opts)
        section = {
            "classifier": {"weights": str(weights_path), "classes": list(clf.classes),
                           "evaluated_classes": ref.classes, "command": clf.info.get("command"),
                           "quick": clf.info.get("quick"), "heldout": clf.info.get("heldout"),
                           "train_split": clf.info.get("train_split"), "class_choice": clf.info.get("class_choice"),
                           "epochs_done": clf.info.get("epochs_done"), "train_seconds": clf.info.get("train_seconds"),
                           "ready_after_s": round(time.perf_counter() - started, 1)},
            "real_reference": real,
            "generators": {},
        }
        index = PromptIndex(data)
        for manifest, weights in models:
            log(f"bench art: {manifest.id} quality")
            row = {"kind": "model", **evaluate(model_sampler(manifest, weights, opts.device), ref, opts)}
            log(f"bench art: {manifest.id} speed")
            row["speed"] = speed_section(manifest, weights, ref.classes[0], opts.repeats)
            section["generators"][manifest.id] = row
        for label, sampler in baseline_samplers(index).items():
            log(f"bench art: {label}")
            section["generators"][label] = {"kind": "baseline", **evaluate(sampler, ref, opts)}
        section["summary"] = [_summary_row(gid, row) for gid, row in section["generators"].items()]
        sets[name] = section
    return {
        "benchmark": "art-generators",
        "date": datetime.date.today().isoformat(),
        "quick": opts.quick,
        "device": opts.device,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "options": {"samples": opts.samples, "per_class": opts.per_class, "max_classes": opts.max_classes,
                    "repeats": opts.repeats},
        "method": __doc__.split("\n\n", 1)[1].strip(),
        "sets": sets,
        "skipped": skipped,
    }


def _summary_row(gid: str, row: dict) -> dict:
    return {"generator": gid, "fd_vs_heldout": row["fd_vs_heldout"],
            "memorised_pixel32": row["memorisation"]["pixel32"]["fraction_closer_than_threshold"],
            "memorised_feature": row["memorisation"]["feature"]["fraction_closer_than_threshold"],
            "diversity_ratio": row["diversity"]["ratio_to_real_class"],
            "adherence_tagged": row["adherence"]["tagged"], "adherence_top1": row["adherence"]["top1"]}


def default_output(device: str = "cpu") -> Path:
    """``bench-results/<date>-art-generators-<device>-<cores>core.json`` (the folder's naming)."""
    name = f"{datetime.date.today().isoformat()}-art-generators-{device}-{os.cpu_count()}core.json"
    return Path("bench-results") / name
