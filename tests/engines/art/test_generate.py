"""The shipped emoji generator: right sizes, prompts matter, unknown words reported, seeds reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.art_generate_jobs import GenerateSpec, prompt_words
from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import read_manifest
from genai_studio.core.progress import CancelToken
from genai_studio.engines import registry
from genai_studio.engines.art.generate import SHIPPED_WEIGHTS, run_generate, vocabulary


def _run(**kw):
    return run_generate(GenerateSpec(device="cpu", **kw), CancelToken())


def _stack(result) -> np.ndarray:
    return np.stack([im.pixels for im in result.images]).astype(np.int16)


def test_shipped_model_has_manifest_and_vocabulary():
    manifest = read_manifest(SHIPPED_WEIGHTS.with_suffix(".json"))
    assert (manifest.family, manifest.task, manifest.source.kind) == ("art", "generate", "trained")
    assert manifest.defaults["native_px"] == 64
    words = vocabulary()
    assert manifest.defaults["vocabulary"] == words
    for w in ("cat", "face", "heart", "smiling", "rocket"):
        assert w in words
    assert SHIPPED_WEIGHTS.stat().st_size < 10 * 2 ** 20


def test_native_and_display_sizes_and_count():
    result = _run(prompt="cat", count=3, seed=1)
    assert len(result.images) == 3 and all(im.pixels.shape == (64, 64, 3) for im in result.images)
    big = _run(prompt="cat", count=2, seed=1, size=128)
    assert big.images[0].pixels.shape == (128, 128, 3)
    assert result.grid().pixels.shape == (128, 128, 3)  # 3 images → 2x2 grid


def test_same_seed_same_images_and_other_seed_differs():
    a, b = _run(prompt="heart", count=4, seed=7), _run(prompt="heart", count=4, seed=7)
    assert np.array_equal(_stack(a), _stack(b))
    c = _run(prompt="heart", count=4, seed=8)
    assert np.abs(_stack(a) - _stack(c)).mean() > 1.0
    # image i does not depend on how many were asked for
    assert np.array_equal(_stack(_run(prompt="heart", count=1, seed=7))[0], _stack(a)[0])


def test_prompt_words_change_the_output():
    cat, rocket = _run(prompt="cat", count=4, seed=3), _run(prompt="rocket", count=4, seed=3)
    assert np.abs(_stack(cat) - _stack(rocket)).mean() > 2.0
    assert cat.used_words == ("cat",) and not cat.unknown_words


def test_unknown_words_are_reported():
    result = _run(prompt="Smiling cats xyzzyq", count=1, seed=0)
    assert result.used_words == ("smiling", "cat")
    assert result.unknown_words == ("xyzzyq",)
    assert any("xyzzyq" in note for note in result.notes)
    none = _run(prompt="qwertyuiop", count=1, seed=0)
    assert none.used_words == () and any("no known prompt words" in n for n in none.notes)


def test_temperature_zero_ignores_the_seed():
    a, b = _run(prompt="rocket", temperature=0.0, seed=1), _run(prompt="rocket", temperature=0.0, seed=2)
    assert np.array_equal(_stack(a), _stack(b))


def test_spec_validation_and_words():
    for bad in ({"count": 0}, {"count": 65}, {"temperature": -1}, {"size": 8}, {"guidance": 9}, {"seed": -1}):
        with pytest.raises(ValueError):
            GenerateSpec(**bad)
    assert prompt_words("Smiling CAT, cat!") == ["smiling", "cat"]
    assert "cat" in GenerateSpec(prompt="cat", count=2).title


def test_registry_and_wrong_manifest(tmp_path):
    assert registry.get("art.generate") is run_generate
    manifest = read_manifest(SHIPPED_WEIGHTS.with_suffix(".json"))
    from dataclasses import replace

    with pytest.raises(ModelError):
        run_generate(GenerateSpec(), CancelToken(), replace(manifest, task="upscale"), SHIPPED_WEIGHTS)


def test_cancel_stops_generation():
    from genai_studio.core.errors import Cancelled

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_generate(GenerateSpec(count=4, device="cpu"), token)


def test_large_sizes_go_through_the_projects_upscaler(studio_home):
    """size ≥ 2x native: the x4 illustration upscaler enlarges the result (sharper edges than bicubic)."""
    from genai_studio.runtime.model_store import ModelStore

    entry = ModelStore().get("realesr-animevideov3-x4")
    upscaled = run_generate(GenerateSpec(device="cpu", prompt="red heart", count=2, seed=4, size=256), CancelToken(),
                            upscaler=(entry.manifest, entry.weight_path))
    plain = _run(prompt="red heart", count=2, seed=4, size=256)
    assert upscaled.images[0].pixels.shape == (256, 256, 3)
    assert any("through Real-ESRGAN" in n for n in upscaled.notes) and not any("through" in n for n in plain.notes)
    a, b = _stack(upscaled).astype(np.float32), _stack(plain).astype(np.float32)
    assert 1.0 < np.abs(a - b).mean() < 40  # the same pictures, enlarged differently

    def edge_energy(x):  # mean squared horizontal gradient: higher = crisper edges
        return float((np.diff(x, axis=2) ** 2).mean())

    assert edge_energy(a) > edge_energy(b)
    small = run_generate(GenerateSpec(device="cpu", prompt="red heart", count=1, seed=4, size=96), CancelToken(),
                         upscaler=(entry.manifest, entry.weight_path))
    assert small.images[0].pixels.shape == (96, 96, 3) and not small.notes  # under 2x: plain resize, no note
