"""Restoration specs and recipe files: masks are checked, and a bad recipe names the bad step."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.core.media import ImageBuffer
from genai_studio.core.restore_jobs import (
    Recipe, RecipeSpec, RecipeStep, RestoreSpec, loads_recipe, parse_recipe,
)

IMAGE = ImageBuffer(np.zeros((20, 30, 3), dtype=np.uint8), name="photo")


def _mask(value=255, shape=(20, 30)):
    m = np.zeros(shape, dtype=np.uint8)
    m[5:10, 5:10] = value
    return m


def test_restore_spec_checks_the_mask_against_the_image():
    assert RestoreSpec(image=IMAGE, task="inpaint", mask=_mask()).title == "Inpaint in mask · photo"
    with pytest.raises(ValueError, match="30×20.*they must be the same size"):
        RestoreSpec(image=IMAGE, task="denoise", mask=_mask(shape=(21, 30)))
    with pytest.raises(ValueError, match="mask is empty"):
        RestoreSpec(image=IMAGE, task="denoise", mask=_mask(0))
    with pytest.raises(ValueError, match="single-channel 8-bit"):
        RestoreSpec(image=IMAGE, task="denoise", mask=np.ones((20, 30, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="inpainting needs a mask"):
        RestoreSpec(image=IMAGE, task="inpaint")
    with pytest.raises(ValueError, match="strength"):
        RestoreSpec(image=IMAGE, strength=1.5)
    assert RestoreSpec(image=IMAGE, mask=_mask()).to_json()["mask"] == {"mask": "layer", "covered": 0.0417}


def test_a_recipe_round_trips_through_json():
    recipe = Recipe((RecipeStep("scratches", {"sensitivity": 0.6}), RecipeStep("denoise", {"strength": 0.8}),
                     RecipeStep("upscale", {"scale": 2, "quality": "fidelity"}, enabled=False)), name="old photo")
    again = loads_recipe(recipe.dumps())
    assert again == recipe


@pytest.mark.parametrize("data, words", [
    ({"steps": [{"task": "denoise"}, {"task": "sharpen"}]}, "step 2: unknown task 'sharpen'"),
    ({"steps": [{"task": "denoise", "settings": {"strength": 2}}]}, "step 1 (denoise): strength must be between"),
    ({"steps": [{"task": "jpeg", "settings": {"quality": 3}}]}, "step 1 (jpeg): unknown setting 'quality'"),
    ({"steps": [{"task": "upscale", "settings": {"scale": 8}}]}, "step 1 (upscale): scale must be 2, 3 or 4"),
    ({"steps": [{"task": "denoise", "settings": {"model_id": 5}}]}, "model_id must be a str"),
    ({"steps": [{"task": "denoise", "enabled": "yes"}]}, "enabled must be true or false"),
    ({"steps": []}, "no steps"),
    ({"schema_version": 9, "steps": [{"task": "denoise"}]}, "schema version 9"),
    ([1, 2], "JSON object"),
])
def test_bad_recipes_name_the_bad_step(data, words):
    with pytest.raises(BadInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_recipe(data, "mine.json")


def test_broken_json_names_line_and_column():
    with pytest.raises(BadInput, match=r"mine.json is not valid JSON \(line 2"):
        loads_recipe('{"steps": [\n  {"task": }]}', "mine.json")


def test_recipe_spec_needs_an_enabled_step():
    off = Recipe((RecipeStep("denoise", enabled=False),))
    with pytest.raises(ValueError, match="no enabled steps"):
        RecipeSpec(image=IMAGE, recipe=off)


def test_recipe_specs_serialize_to_plain_json():
    import json

    recipe = Recipe((RecipeStep("denoise", {"strength": 0.5}),), name="r")
    record = RecipeSpec(image=IMAGE, recipe=recipe, mask=_mask()).to_json()
    assert json.loads(json.dumps(record))["recipe"]["steps"][0]["task"] == "denoise"
    assert record["mask"]["covered"] > 0
