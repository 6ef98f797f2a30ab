"""The art classifier: class choice, a tiny real training run on synthetic shapes, the cache, adherence."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.bench import art_quality as q
from genai_studio.core.errors import BadInput
from genai_studio.training import art_classifier as ac
from genai_studio.training import art_data as ad

COLOURS = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 170, 60), "yellow": (240, 200, 20)}


def shapes_data(n: int = 144, seed: int = 0) -> ad.ArtData:
    """Coloured circles, squares and triangles of random size and position, named "red circle", …"""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    images, names = [], []
    for i in range(n):
        colour, shape = list(COLOURS)[i % 4], ("circle", "square", "triangle")[(i // 4) % 3]
        cy, cx, r = rng.integers(24, 40), rng.integers(24, 40), rng.integers(10, 20)
        inside = {"circle": (yy - cy) ** 2 + (xx - cx) ** 2 < r * r,
                  "square": (abs(yy - cy) < r) & (abs(xx - cx) < r),
                  "triangle": (yy - cy < r) & (yy - cy > -r) & (abs(xx - cx) < (yy - cy + r) / 2)}[shape]
        img = np.full((64, 64, 3), 255, np.uint8)
        img[inside] = COLOURS[colour]
        images.append(img)
        names.append(f"{colour} {shape}")
    seqs = tuple(chr(0x1F300 + i) for i in range(n))
    return ad.ArtData(np.stack(images), tuple(names), seqs, ad.heldout_mask(seqs),
                      tuple(ad.build_vocabulary(names)), {"package": "synthetic", "version": "0", "license": "CC0"})


def tiny_options(**kw) -> ac.ClassifierOptions:
    return ac.ClassifierOptions(**({"epochs": 8, "minutes": 2.0, "batch_size": 16, "width": 8, "threads": 1} | kw))


@pytest.fixture(scope="module")
def trained() -> tuple[ad.ArtData, ac.TrainedClassifier]:
    data = shapes_data()
    return data, ac.train_classifier(data, tiny_options(), "shapes", log=lambda line: None)


def test_classes_skip_skin_tones_synonyms_and_single_designs():
    names, seqs = [], []
    for i in range(12):  # 12 designs of "cat face", each also in 5 skin tones
        for tone in ("", " light skin tone", " dark skin tone"):
            names.append(f"cat face{tone}")
            seqs.append(chr(0x1F400 + i) + ("" if not tone else ("\U0001F3FB" if "light" in tone else "\U0001F3FF")))
    for i in range(30):  # one design of "rocket ship" in 30 copies: many images, one group
        names.append("rocket ship")
        seqs.append("\U0001F680")
    for i in range(10):  # 10 designs of "blue heart": blue and heart always co-occur, only one is kept
        names.append("blue heart")
        seqs.append(chr(0x1F500 + i))
    data = ad.ArtData(np.zeros((len(names), 64, 64, 3), np.uint8), tuple(names), tuple(seqs),
                      np.zeros(len(names), bool), tuple(ad.build_vocabulary(names)), {})
    # cat/face always co-occur; skin, tone, light, dark never count; rocket/ship are one group
    assert ac.choose_classes(data, min_images=10, min_groups=10) == ["cat", "blue"]
    with pytest.raises(BadInput):
        ac.choose_classes(data, min_images=10, min_groups=11)


def test_shapes_classifier_learns_and_reports_heldout(trained):
    data, clf = trained
    assert set(clf.classes) == set(COLOURS) | {"circle", "square", "triangle"}
    info = clf.info
    assert info["trained_on"]["images"] == int((~data.heldout).sum())
    assert info["heldout"]["images"] == int(data.heldout.sum())
    assert info["heldout"]["top1_accuracy"] >= 0.8
    assert clf.features(data.images[:5]).shape == (5, ac.FEATURE_DIM)


def test_adherence_of_real_images_of_a_class_is_high(trained):
    data, clf = trained
    for colour in ("red", "blue"):
        rows = np.array([colour in n for n in data.names])
        score = q.adherence(clf.probabilities(data.images[rows]), clf.classes.index(colour))
        assert score["tagged"] >= 0.8
    blue = np.array(["blue" in n for n in data.names])
    assert q.adherence(clf.probabilities(data.images[blue]), clf.classes.index("red"))["tagged"] <= 0.2


def test_cache_round_trip_and_reuse(trained, tmp_path):
    data, clf = trained
    ac.save_classifier(clf, "shapes", tmp_path)
    loaded = ac.load_classifier("shapes", tmp_path)
    assert loaded.classes == clf.classes
    np.testing.assert_allclose(loaded.features(data.images[:8]), clf.features(data.images[:8]), atol=1e-5)
    lines: list[str] = []
    again = ac.load_or_train("shapes", data, tmp_path, tiny_options(), log=lines.append)
    assert lines == [] and again.classes == clf.classes  # reused, not retrained


def test_a_quick_classifier_is_not_reused_by_a_full_run(tmp_path):
    data = shapes_data(96)
    quick = ac.load_or_train("shapes", data, tmp_path, tiny_options(epochs=1, quick=True), log=lambda line: None)
    assert quick.info["quick"]
    lines: list[str] = []
    full = ac.load_or_train("shapes", data, tmp_path, tiny_options(epochs=1), log=lines.append)
    assert not full.info["quick"] and any("retraining" in line for line in lines)
    assert ac.load_or_train("shapes", data, tmp_path, tiny_options(quick=True), log=lines.append).info["quick"] is False
