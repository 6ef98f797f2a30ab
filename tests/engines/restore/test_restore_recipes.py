"""Recipes on one image and on a folder: chaining, model resolution up front, per-file errors, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genai_studio.core.errors import BadInput, Cancelled, ModelError
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.core.restore_jobs import RecipeBatchSpec, RecipeSpec, parse_recipe
from genai_studio.engines.restore.recipes import pick_upscaler, run_recipe, run_recipe_batch
from genai_studio.runtime.model_store import ModelStore

from .conftest import photo, write_random_model


def _store(tmp_path, model_dir=None) -> ModelStore:
    return ModelStore(builtin_dir=model_dir or tmp_path / "none", user_dir=tmp_path / "user",
                      converted_dir=tmp_path / "conv", hash_cache=tmp_path / "hashes.json")


def _recipe(*steps):
    return parse_recipe({"name": "test", "steps": list(steps)})


def test_steps_chain_and_each_output_is_kept(tmp_path, model_dir):
    recipe = _recipe({"task": "scratches", "settings": {"sensitivity": 0.5}},
                     {"task": "denoise", "settings": {"strength": 0.5}},
                     {"task": "jpeg", "enabled": False},
                     {"task": "denoise", "settings": {"model_id": "classical"}})
    image = ImageBuffer(photo("coffee", 64))
    result = run_recipe(RecipeSpec(image=image, recipe=recipe), CancelToken(), _store(tmp_path, model_dir))
    assert [s.task for s, _ in result.steps] == ["scratches", "denoise", "denoise"]
    assert result.steps[1][1].metadata["model"] == "test-denoise"  # "" = the installed default model
    assert result.steps[2][1].metadata["method"] == "nlm"
    assert all(img.pixels.shape == (64, 64, 3) for _, img in result.steps)


def test_missing_model_and_maskless_inpaint_name_the_step(tmp_path):
    image = ImageBuffer(photo("coffee", 64))
    store = _store(tmp_path)
    with pytest.raises(ModelError, match=r"test: step 2 \(denoise\): there is no model 'nope'"):
        run_recipe(RecipeSpec(image=image, recipe=_recipe({"task": "scratches"},
                                                          {"task": "denoise", "settings": {"model_id": "nope"}})),
                   CancelToken(), store)
    with pytest.raises(BadInput, match=r"step 1 \(inpaint\): inpainting needs a mask"):
        run_recipe(RecipeSpec(image=image, recipe=_recipe({"task": "inpaint"})), CancelToken(), store)
    with pytest.raises(ModelError, match="no colorization model is installed yet"):
        run_recipe(RecipeSpec(image=image, recipe=_recipe({"task": "colorize"})), CancelToken(), store)


def test_denoise_without_any_model_falls_back_to_classical_with_a_note(tmp_path):
    result = run_recipe(RecipeSpec(image=ImageBuffer(photo("coffee", 48)), recipe=_recipe({"task": "denoise"})),
                        CancelToken(), _store(tmp_path))
    assert any("no denoise model is installed" in n for n in result.notes)


def test_fidelity_upscaler_is_picked_by_tag_or_refused(tmp_path):
    with pytest.raises(ModelError, match="no fidelity upscaler is installed"):
        pick_upscaler(_store(tmp_path), "fidelity")


def test_batch_writes_good_files_and_reports_bad_ones(tmp_path):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.fromarray(photo("coffee", 40)).save(src / name)
    (src / "broken.png").write_bytes(b"\x89PNG not really")
    messages = []
    token = CancelToken(lambda f, m, p: messages.append(m))
    spec = RecipeBatchSpec(input_dir=str(src), output_dir=str(dst), recipe=_recipe({"task": "denoise",
                                                                                    "settings": {"model_id": "classical"}}))
    report = run_recipe_batch(spec, token, _store(tmp_path))
    assert sorted(p.rsplit("/", 1)[1] for p in report.written) == ["a.png", "b.png"]
    assert len(report.failed) == 1 and report.failed[0][0].endswith("broken.png")
    assert any(m.startswith("2/3 b.png") for m in messages)


def test_batch_cancel_between_files(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(photo("coffee", 32)).save(src / name)

    def cancel_at_second(fraction, message, preview):
        if message.startswith("2/3"):
            token.cancel()

    token = CancelToken(cancel_at_second)
    spec = RecipeBatchSpec(input_dir=str(src), output_dir=str(tmp_path / "out"), recipe=_recipe({"task": "scratches"}))
    with pytest.raises(Cancelled):
        run_recipe_batch(spec, token, _store(tmp_path))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]


def test_every_step_is_checked_before_any_step_runs(tmp_path, model_dir, monkeypatch):
    """A model of the wrong kind, a missing upscaler or an output too big for an upscale later in the chain
    fails at once, naming the step: not after the steps before it ran (and in a batch, not once per file)."""
    from genai_studio.engines.restore import recipes

    write_random_model(model_dir, "test-inpaint", task="inpaint")
    write_random_model(model_dir, "test-faithful", task="upscale", tags=("fidelity",))
    store = _store(tmp_path, model_dir)
    monkeypatch.setattr(recipes, "run_step", lambda *a, **k: pytest.fail("a step ran"))
    small = ImageBuffer(photo("coffee", 48))
    wrong_kind = _recipe({"task": "denoise"}, {"task": "jpeg"},
                         {"task": "denoise", "settings": {"model_id": "test-inpaint"}})
    with pytest.raises(ModelError, match=r"test: step 3 \(denoise\): test-inpaint is an inpaint model, not a denoise"):
        run_recipe(RecipeSpec(image=small, recipe=wrong_kind), CancelToken(), store)
    missing = _recipe({"task": "denoise"}, {"task": "upscale", "settings": {"model_id": "nope-x4"}})
    with pytest.raises(ModelError, match=r"test: step 2 \(upscale\): there is no model 'nope-x4'"):
        run_recipe(RecipeSpec(image=small, recipe=missing), CancelToken(), store)
    huge = ImageBuffer(np.zeros((4200, 4200, 3), np.uint8), name="scan")
    too_big = _recipe({"task": "scratches"}, {"task": "upscale", "settings": {"quality": "fidelity", "scale": 4}})
    with pytest.raises(BadInput, match=r"test: step 2 \(upscale\) would make scan 16800×16800, beyond"):
        run_recipe(RecipeSpec(image=huge, recipe=too_big), CancelToken(), store)


def test_misspelt_step_and_recipe_keys_are_refused_not_ignored():
    with pytest.raises(BadInput, match=r"step 1 \(denoise\): unknown key 'enable'"):
        parse_recipe({"steps": [{"task": "denoise", "enable": False}]})
    with pytest.raises(BadInput, match=r"step 1 \(denoise\): unknown key 'setings'"):
        parse_recipe({"steps": [{"task": "denoise", "setings": {"strength": 0.2}}]})
    with pytest.raises(BadInput, match="unknown key 'step'"):
        parse_recipe({"steps": [{"task": "denoise"}], "step": []})
