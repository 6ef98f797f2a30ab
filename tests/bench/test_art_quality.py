"""bench art's metrics: Fréchet distance, nearest-neighbour memorisation flag, diversity, adherence."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.bench import art_quality as q


def test_frechet_distance_of_identical_sets_is_zero():
    feats = np.random.default_rng(0).normal(size=(300, 16))
    assert q.frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_grows_with_a_mean_shift():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    values = [q.frechet_distance(a, b + shift) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert values == sorted(values)
    # a pure shift of s in every one of 8 dims adds about 8 s²
    assert values[3] - values[0] == pytest.approx(8 * 4, rel=0.1)


def test_frechet_distance_is_finite_for_singular_covariances():
    rng = np.random.default_rng(2)
    a = np.concatenate([rng.normal(size=(20, 4)), np.zeros((20, 28))], axis=1)  # rank 4 of 32; fewer rows than D
    b = np.concatenate([rng.normal(size=(20, 4)) + 1, np.zeros((20, 28))], axis=1)
    value = q.frechet_distance(a, b)
    assert np.isfinite(value) and value > 1
    with pytest.raises(ValueError):
        q.frechet_distance(a[:1], b)


def test_pixels32_box_filters():
    img = np.zeros((1, 64, 64, 3), np.uint8)
    img[0, ::2] = 255  # every other row white → grey at 32 px
    assert np.allclose(q.pixels32(img), 0.5)
    assert q.pixels32(np.zeros((2, 32, 32, 3), np.uint8)).shape == (2, 3072)


def test_memorisation_flag_fires_for_copies_and_not_for_noise():
    rng = np.random.default_rng(3)
    train = rng.random((200, 48))
    threshold = q.copy_threshold(train)
    assert threshold == pytest.approx(q.train_neighbour_distance(train) / 3)
    copies = q.memorisation(train[rng.choice(200, 50)], train, threshold)
    noise = q.memorisation(rng.random((50, 48)) * 3 + 1, train, threshold)
    assert copies["fraction_closer_than_threshold"] == 1.0 and copies["median_nn_distance"] == 0.0
    assert noise["fraction_closer_than_threshold"] == 0.0


def test_train_neighbour_distance_ignores_variants_of_the_same_group():
    rng = np.random.default_rng(4)
    designs = rng.random((40, 16))
    train = np.concatenate([designs, designs + 0.001])  # each design twice (like skin-tone variants)
    groups = np.concatenate([np.arange(40), np.arange(40)])
    assert q.train_neighbour_distance(train) < 0.01
    assert q.train_neighbour_distance(train, groups) > 0.1


def test_diversity_and_adherence():
    assert q.mean_pairwise_distance(np.zeros((5, 3))) == 0.0
    assert q.mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    assert q.mean_pairwise_distance(np.zeros((1, 3))) == 0.0
    probs = np.array([[0.9, 0.2], [0.6, 0.7], [0.1, 0.3]])
    assert q.adherence(probs, 0) == {"tagged": pytest.approx(2 / 3, abs=1e-4), "top1": pytest.approx(1 / 3, abs=1e-4)}
