"""bench art's plumbing: generator discovery from manifests, data-set tags, the baselines."""

from __future__ import annotations

import json
import shutil

import numpy as np

from genai_studio.bench import art_generators as ag
from genai_studio.paths import BUILTIN_MODELS_DIR
from tests.training.test_art_classifier import shapes_data


def test_discovers_built_in_generators_and_their_data_set(tmp_path):
    shutil.copy(BUILTIN_MODELS_DIR / "art-emoji-vae.json", tmp_path)
    untagged = json.loads((tmp_path / "art-emoji-vae.json").read_text())
    untagged.update(id="art-mystery", tags=["art", "generate"])
    (tmp_path / "art-mystery.json").write_text(json.dumps(untagged))
    (tmp_path / "restore-x.json").write_text(json.dumps(untagged | {"id": "restore-x", "family": "restore"}))
    (tmp_path / "broken.json").write_text("{")
    found = {m.id: (m, w) for m, w in ag.builtin_generators(tmp_path)}
    assert set(found) == {"art-emoji-vae", "art-mystery"}
    assert ag.data_set_of(found["art-emoji-vae"][0]) == "emoji"
    assert ag.data_set_of(found["art-mystery"][0]) is None
    assert found["art-emoji-vae"][1] == tmp_path / "art-emoji-vae.safetensors"


def test_baselines_follow_the_prompt():
    data = shapes_data(96)
    index = ag.PromptIndex(data)
    samplers = ag.baseline_samplers(index)
    red = np.array([255, 0, 0])
    for name, sample in samplers.items():
        images = sample("red circle", 5, 3)
        assert images.shape == (5, 64, 64, 3) and images.dtype == np.uint8, name
        dark = images.reshape(-1, 3)[images.reshape(-1, 3).sum(1) < 600].astype(float)
        assert np.abs(dark.mean(0) - red).sum() < np.abs(dark.mean(0) - np.array([0, 0, 255])).sum(), name
    copies = samplers["baseline-copy-train"]("blue square", 4, 0)
    names = [data.names[i] for i in np.flatnonzero(~data.heldout)]
    assert all(any(np.array_equal(c, t) for t, n in zip(index.images, names) if n == "blue square") for c in copies)
    assert np.array_equal(*samplers["baseline-class-mean"]("green", 2, 0))
    assert not np.array_equal(*samplers["baseline-class-gaussian"]("green", 2, 0))
