"""A small CNN that tags built-in art images with prompt words: the feature space of ``bench art``.

Why our own classifier: Inception features (FID) know nothing of 64x64 emoji and need weights from outside; a
classifier trained on the *training split* of the same built-in set (never its held-out split) knows what the
prompt words look like, so its penultimate layer (``FEATURE_DIM``-d, after ReLU) is the space for the Fréchet
distance, nearest-neighbour and diversity measures, and its sigmoid outputs score prompt adherence.

Classes (``choose_classes``): vocabulary words that name what is drawn rather than how often it is drawn — at
least ``min_images`` training images *and* ``min_groups`` distinct training emoji groups (an emoji and its
skin-tone variants are one group, so "probing cane" × 6 tones does not count as six designs); the skin-tone words
(they qualify every person emoji, and the 5 tones are a colour patch, not a subject) are left out; a word whose
training images overlap a more widespread chosen word's by Jaccard ≥ ``max_overlap`` ("heavy" ~ "heart") is
dropped as a near-synonym. Emoji names overlap, so the task is multi-label (one sigmoid per class, BCE loss).

Augmentation: random scale 0.8–1.05 and shift ±10% on a white background, brightness/contrast ±10%. No flips
(left/right/leftwards/rightwards are classes) and no hue change (red, black, white are classes).

Cache (``classifier_paths``): ``<art-data cache>/classifier-<set>-v1.safetensors`` plus a ``.json`` with the
classes, the training command, the data it was trained on and its held-out accuracy; ``load_or_train`` reuses
it and retrains when it is missing, from another data build, or a ``quick`` (smoke-test) classifier.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from genai_studio.core.errors import BadInput, ModelError
from genai_studio.training import art_data as ad

VERSION = 1
FEATURE_DIM = 128
INPUT_PX = 64
SKIN_TONE_WORDS = frozenset({"skin", "tone", "medium", "light", "dark"})
DEFAULT_COMMAND = "genai-studio train art-classifier --data {set}"


@dataclass
class ClassifierOptions:
    epochs: int = 14
    minutes: float = 4.0  # wall-clock cap on training steps
    batch_size: int = 32
    lr: float = 4e-3
    seed: int = 0
    threads: int | None = None  # torch CPU threads (None: leave torch's setting)
    width: int = 32
    min_images: int = 20
    min_groups: int = 10
    max_overlap: float = 0.7
    max_classes: int = 40
    balance: bool = True  # weight positives of rare classes up (see train_classifier)
    quick: bool = False  # a smoke-test classifier: never reused by a full bench run
    command: str = ""


class ArtClassifier(nn.Module):
    """(B, 3, 64, 64) in [0, 1] → features (B, FEATURE_DIM) → logits (B, classes)."""

    def __init__(self, n_classes: int, width: int = 32, feature_dim: int = FEATURE_DIM) -> None:
        super().__init__()
        w = width

        def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.body = nn.Sequential(*block(3, w, 2),  # 32 px: emoji parts survive halving, compute drops 4x
                                  *block(w, 2 * w, 2), *block(2 * w, 2 * w, 1),  # 16 px
                                  *block(2 * w, 4 * w, 2), *block(4 * w, 4 * w, 1),  # 8 px
                                  *block(4 * w, 4 * w, 2))  # 4 px
        self.embed = nn.Linear(4 * w, feature_dim)
        self.head = nn.Linear(feature_dim, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x * 2 - 1).mean(dim=(2, 3))  # (B, 4w) global average pool
        return F.relu(self.embed(h))  # (B, FEATURE_DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


# ---------------------------------------------------------------------------------------------- classes
def group_keys(data: ad.ArtData) -> list[str]:
    """One key per image: the emoji without skin tones (images of other sets: their own sequence/name)."""
    return [ad._group_key(s) or n for s, n in zip(data.sequences, data.names)]


def choose_classes(data: ad.ArtData, min_images: int = 20, min_groups: int = 10, max_overlap: float = 0.7,
                   max_classes: int = 40) -> list[str]:
    """Prompt classes from the training split, most widespread (distinct groups) first; see the module doc."""
    hot = data.conditions()[~data.heldout] > 0  # (N_train, V)
    keys = np.array(group_keys(data))[~data.heldout]
    groups = np.array([len(set(keys[hot[:, j]])) for j in range(hot.shape[1])])
    chosen: list[int] = []
    for j in sorted(range(hot.shape[1]), key=lambda j: (-groups[j], -hot[:, j].sum(), data.vocabulary[j])):
        word = data.vocabulary[j]
        if word in SKIN_TONE_WORDS or groups[j] < min_groups or hot[:, j].sum() < min_images:
            continue
        if any((hot[:, j] & hot[:, k]).sum() / (hot[:, j] | hot[:, k]).sum() >= max_overlap for k in chosen):
            continue
        chosen.append(j)
        if len(chosen) == max_classes:
            break
    if len(chosen) < 2:
        raise BadInput(f"only {len(chosen)} vocabulary words have ≥ {min_images} training images in ≥ {min_groups} "
                       "groups: too few classes for the art classifier")
    return [data.vocabulary[j] for j in chosen]


def class_targets(data: ad.ArtData, classes: list[str]) -> np.ndarray:
    """(N, C) float32: 1 where the image's name has the class word."""
    index = [data.vocabulary.index(c) for c in classes]
    return (data.conditions()[:, index] > 0).astype(np.float32)


# ---------------------------------------------------------------------------------------------- inference
def to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(N, H, W, 3) uint8 → (N, 3, 64, 64) float in [0, 1] (area/bilinear resize when H is not 64)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-1] != INPUT_PX:
        mode = "area" if x.shape[-1] > INPUT_PX else "bilinear"
        x = F.interpolate(x, size=(INPUT_PX, INPUT_PX), mode=mode)
    return x


@dataclass
class TrainedClassifier:
    model: ArtClassifier
    classes: tuple[str, ...]
    info: dict

    @torch.no_grad()
    def predict(self, images: np.ndarray, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """(features (N, FEATURE_DIM) float64, class probabilities (N, C)) of (N, H, W, 3) uint8 images."""
        self.model.eval()
        feats, probs = [], []
        for i in range(0, len(images), batch):
            f = self.model.features(to_tensor(images[i:i + batch]))
            feats.append(f.numpy())
            probs.append(torch.sigmoid(self.model.head(f)).numpy())
        return np.concatenate(feats).astype(np.float64), np.concatenate(probs)

    def features(self, images: np.ndarray) -> np.ndarray:
        """(N, FEATURE_DIM) float64 penultimate-layer features of (N, H, W, 3) uint8 images."""
        return self.predict(images)[0]

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, C) sigmoid probability of each class word."""
        return self.predict(images)[1]


def heldout_metrics(clf: TrainedClassifier, images: np.ndarray, targets: np.ndarray) -> dict:
    """Multi-label scores on held-out images: top-1 (the best class is one of the image's words, over images
    with at least one class word), per-label accuracy at p > 0.5, micro precision/recall/F1."""
    probs = clf.probabilities(images)
    pred = probs > 0.5
    truth = targets > 0
    labelled = truth.any(axis=1)
    top1 = truth[np.arange(len(probs)), probs.argmax(axis=1)]
    tp, fp, fn = (pred & truth).sum(), (pred & ~truth).sum(), (~pred & truth).sum()
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {
        "images": int(len(images)), "images_with_a_class": int(labelled.sum()),
        "top1_accuracy": round(float(top1[labelled].mean()) if labelled.any() else float("nan"), 4),
        "label_accuracy": round(float((pred == truth).mean()), 4),
        "micro_precision": round(float(precision), 4), "micro_recall": round(float(recall), 4),
        "micro_f1": round(float(2 * precision * recall / max(1e-9, precision + recall)), 4),
    }


# ---------------------------------------------------------------------------------------------- training
def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random scale/shift on white and brightness/contrast jitter; (B, 3, H, W) in [0, 1]."""
    b = x.shape[0]
    scale = 0.8 + 0.25 * torch.rand(b, generator=gen)  # < 1 zooms in
    shift = (torch.rand(b, 2, generator=gen) - 0.5) * 0.4  # ±10% of the side (grid units span 2)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = 1 - F.grid_sample(1 - x, grid, align_corners=False)  # zero padding of 1 - x = white
    contrast = 1 + (torch.rand(b, 1, 1, 1, generator=gen) - 0.5) * 0.2
    bright = (torch.rand(b, 1, 1, 1, generator=gen) - 0.5) * 0.2
    return ((x - 0.5) * contrast + 0.5 + bright).clamp(0, 1)


def train_classifier(data: ad.ArtData, opts: ClassifierOptions, set_name: str = "emoji",
                     log: Callable[[str], None] = print) -> TrainedClassifier:
    """Train on ``data``'s training split only; held-out metrics go in ``info``."""
    if opts.threads:
        torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    classes = choose_classes(data, opts.min_images, opts.min_groups, opts.max_overlap, opts.max_classes)
    targets = class_targets(data, classes)
    train = ~data.heldout
    x_all = to_tensor(data.images[train])  # (N, 3, 64, 64)
    y_all = torch.from_numpy(targets[train])
    model = ArtClassifier(len(classes), opts.width)
    # rare words: up-weight positives by sqrt(neg/pos) (≤ 10) so "tagged" (p > 0.5) is not always "no"
    positives = y_all.sum(0).clamp(min=1)
    pos_weight = ((len(y_all) - positives) / positives).sqrt().clamp(1, 10) if opts.balance else None
    optim = torch.optim.AdamW(model.parameters(), lr=opts.lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(opts.seed)
    steps_per_epoch = math.ceil(len(x_all) / opts.batch_size)
    total = opts.epochs * steps_per_epoch
    log(f"art classifier: {len(classes)} classes, {len(x_all)} training images, {opts.epochs} epochs")
    started, step, budget = time.monotonic(), 0, opts.minutes * 60
    for epoch in range(opts.epochs):
        model.train()
        order = torch.randperm(len(x_all), generator=gen)
        losses = []
        for i in range(0, len(order), opts.batch_size):
            idx = order[i:i + opts.batch_size]
            # cosine to 0 over whichever runs out first, the steps or the time budget
            progress = min(1.0, max(step / total, (time.monotonic() - started) / budget))
            for group in optim.param_groups:
                group["lr"] = opts.lr * 0.5 * (1 + math.cos(math.pi * progress))
            loss = F.binary_cross_entropy_with_logits(model(augment(x_all[idx], gen)), y_all[idx],
                                                      pos_weight=pos_weight)
            optim.zero_grad()
            loss.backward()
            optim.step()
            losses.append(loss.item())
            step += 1
        elapsed = time.monotonic() - started
        log(f"  epoch {epoch + 1}/{opts.epochs}: loss {np.mean(losses):.4f} ({elapsed:.0f} s)")
        if elapsed >= budget:
            log(f"  time budget of {opts.minutes:g} min reached")
            break
    model.eval()
    clf = TrainedClassifier(model, tuple(classes), {})
    clf.info = {
        "set": set_name, "version": VERSION, "classes": classes, "feature_dim": FEATURE_DIM,
        "command": opts.command or DEFAULT_COMMAND.format(set=set_name),
        "trained_on": {"split": "training (held-out groups never seen)", "images": int(train.sum()),
                       "data_images": int(len(data.images)), "data_heldout": int(data.heldout.sum()),
                       "source": data.source},
        "class_choice": {k: getattr(opts, k) for k in ("min_images", "min_groups", "max_overlap", "max_classes")}
        | {"excluded_words": sorted(SKIN_TONE_WORDS),
           "training_images_per_class": {c: int(n) for c, n in zip(classes, targets[train].sum(0))},
           "heldout_images_per_class": {c: int(n) for c, n in zip(classes, targets[~train].sum(0))}},
        "options": asdict(opts), "epochs_done": epoch + 1, "train_seconds": round(time.monotonic() - started, 1),
        "quick": opts.quick, "parameters": sum(p.numel() for p in model.parameters()),
        "heldout": heldout_metrics(clf, data.images[~train], targets[~train]),
        "train_split": heldout_metrics(clf, data.images[train], targets[train]),
    }
    log(f"art classifier held-out: {clf.info['heldout']}")
    return clf


# ---------------------------------------------------------------------------------------------- cache
def classifier_paths(set_name: str, cache_dir: Path | None = None) -> tuple[Path, Path]:
    base = Path(cache_dir) if cache_dir else ad.default_cache_dir()
    stem = base / f"classifier-{set_name}-v{VERSION}"
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def save_classifier(clf: TrainedClassifier, set_name: str, cache_dir: Path | None = None) -> tuple[Path, Path]:
    from genai_studio.engines.loading import save_safetensors

    weights, meta = classifier_paths(set_name, cache_dir)
    save_safetensors(clf.model.state_dict(), weights,
                     metadata={"classes": json.dumps(list(clf.classes)), "version": str(VERSION),
                               "width": str(clf.info["options"]["width"]), "feature_dim": str(FEATURE_DIM)})
    tmp = meta.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(clf.info, indent=1) + "\n", encoding="utf-8")
    tmp.replace(meta)
    return weights, meta


def load_classifier(set_name: str, cache_dir: Path | None = None) -> TrainedClassifier:
    from genai_studio.engines.loading import load_state_dict

    weights, meta = classifier_paths(set_name, cache_dir)
    if not weights.exists() or not meta.exists():
        raise ModelError(f"no art classifier for {set_name!r} in {weights.parent}")
    info = json.loads(meta.read_text(encoding="utf-8"))
    model = ArtClassifier(len(info["classes"]), int(info["options"]["width"]))
    try:
        model.load_state_dict(load_state_dict(weights))
    except RuntimeError as exc:
        raise ModelError(f"{weights.name} does not match the art classifier layout: {exc}") from exc
    return TrainedClassifier(model.eval(), tuple(info["classes"]), info)


def is_reusable(info: dict, data: ad.ArtData, quick_ok: bool) -> bool:
    """The cached classifier was trained on this data build (same image and held-out counts)."""
    seen = info.get("trained_on", {})
    return (info.get("version") == VERSION and (quick_ok or not info.get("quick"))
            and seen.get("data_images") == len(data.images) and seen.get("data_heldout") == int(data.heldout.sum()))


def load_or_train(set_name: str, data: ad.ArtData, cache_dir: Path | None = None,
                  opts: ClassifierOptions | None = None, log: Callable[[str], None] = print) -> TrainedClassifier:
    """The cached classifier for ``set_name`` when it fits ``data``; otherwise train one and cache it."""
    opts = opts or ClassifierOptions()
    try:
        clf = load_classifier(set_name, cache_dir)
        if is_reusable(clf.info, data, quick_ok=opts.quick):
            return clf
        log(f"art classifier for {set_name!r}: cached one is stale or a quick one; retraining")
    except ModelError:
        log(f"art classifier for {set_name!r}: none cached yet; training it once")
    clf = train_classifier(data, opts, set_name, log)
    weights, _ = save_classifier(clf, set_name, cache_dir)
    log(f"art classifier saved to {weights}")
    return clf
