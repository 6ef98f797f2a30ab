"""Generator quality measures for ``bench art``: pure numpy/scipy functions of images and classifier features.

- ``frechet_distance``: the Fréchet (2-Wasserstein) distance between Gaussians fitted to two feature sets,
  ‖μa − μb‖² + Tr(Σa + Σb − 2(ΣaΣb)^½) — FID's formula, here in the art classifier's feature space.
- ``nearest_distances`` / ``memorisation``: how close each sample is to its nearest training image, in pixel space
  (32x32 RGB in [0, 1], Euclidean) and in feature space; a sample closer than a third of the typical distance
  between two *different* training designs (``copy_threshold``) is flagged as a likely copy.
- ``mean_pairwise_distance``: diversity of one prompt's samples (compare with real images of that class).
- ``adherence``: how often the classifier tags a prompt-word sample with that word.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray, eps: float = 1e-6) -> float:
    """Fréchet distance between (Na, D) and (Nb, D) features (each needs at least 2 rows).

    ``sqrtm`` of a product of (near-)singular covariances can come back non-finite or with tiny imaginary parts
    from round-off: then ``eps`` is added to both diagonals, and the real part is kept.
    """
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"need two (N≥2, D) feature sets of equal D, got {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # singular products (dead ReLU units, N < D) are expected and handled
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
        if not np.isfinite(covmean).all():
            offset = np.eye(len(cov_a)) * eps
            covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    covmean = np.real(covmean)
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))
    return max(0.0, value)  # round-off can push identical sets a hair below zero


def pixels32(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 (H = W, a multiple of 32) → (N, 3072) float64 in [0, 1]: 32x32 box-filtered."""
    n, h, w, c = images.shape
    if h % 32 or w % 32:
        raise ValueError(f"image side must be a multiple of 32, got {h}x{w}")
    f = h // 32
    small = images.reshape(n, 32, f, 32, f, c).astype(np.float64).mean(axis=(2, 4)) / 255.0
    return small.reshape(n, -1)


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(Na, Nb) squared Euclidean distances, clipped at 0 (the expansion can go slightly negative)."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0.0)


def nearest_distances(queries: np.ndarray, reference: np.ndarray, exclude: np.ndarray | None = None,
                      chunk: int = 512) -> np.ndarray:
    """(Nq,) Euclidean distance of each query row to its nearest reference row.

    ``exclude`` (Nq, Nr) bool marks pairs that do not count (a training image itself and its own group's
    variants when measuring train-to-train distances).
    """
    out = np.empty(len(queries))
    for i in range(0, len(queries), chunk):
        d = squared_distances(queries[i:i + chunk], reference)
        if exclude is not None:
            d = np.where(exclude[i:i + chunk], np.inf, d)
        out[i:i + chunk] = np.sqrt(d.min(axis=1))
    return out


def train_neighbour_distance(train: np.ndarray, groups: np.ndarray | None = None, max_rows: int = 1000,
                             seed: int = 0) -> float:
    """Median distance from a training row to its nearest *other* training row — of another group when
    ``groups`` is given (skin-tone variants of one emoji are one design, not two). Up to ``max_rows`` queries."""
    rng = np.random.default_rng(seed)
    rows = np.arange(len(train)) if len(train) <= max_rows else np.sort(rng.choice(len(train), max_rows, False))
    keys = np.asarray(groups) if groups is not None else np.arange(len(train))
    exclude = keys[rows][:, None] == keys[None, :]
    exclude[np.arange(len(rows)), rows] = True
    return float(np.median(nearest_distances(train[rows], train, exclude)))


COPY_FACTOR = 1 / 3  # on emoji, ~3% of held-out (never seen) images fall below this; half the median: ~9%


def copy_threshold(train: np.ndarray, groups: np.ndarray | None = None, factor: float = COPY_FACTOR) -> float:
    """Distance under which a sample counts as a likely copy: ``factor`` × ``train_neighbour_distance`` (a third of
    how close two different training designs typically are)."""
    return factor * train_neighbour_distance(train, groups)


def memorisation(samples: np.ndarray, train: np.ndarray, threshold: float) -> dict:
    """Nearest-training-image distances of ``samples`` (rows in the same space as ``train``) and the fraction of
    samples closer than ``threshold`` (``copy_threshold``): the memorisation flag."""
    d = nearest_distances(samples, train)
    return {"median_nn_distance": round(float(np.median(d)), 4), "threshold": round(float(threshold), 4),
            "fraction_closer_than_threshold": round(float((d < threshold).mean()), 4)}


def mean_pairwise_distance(feats: np.ndarray) -> float:
    """Mean Euclidean distance over all distinct pairs of rows (0 for fewer than two rows)."""
    n = len(feats)
    if n < 2:
        return 0.0
    d = np.sqrt(squared_distances(feats, feats))
    return float(d[np.triu_indices(n, 1)].mean())


def adherence(probs: np.ndarray, class_index: int, threshold: float = 0.5) -> dict:
    """For (K, C) class probabilities of K samples prompted with class ``class_index``: the fraction tagged with
    it (p > threshold) and the fraction where it is the top-1 class."""
    probs = np.asarray(probs)
    return {"tagged": round(float((probs[:, class_index] > threshold).mean()), 4),
            "top1": round(float((probs.argmax(axis=1) == class_index).mean()), 4)}
