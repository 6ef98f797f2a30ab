"""Variations near an image and latent walks between two, with the shipped emoji generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from genai_studio.cli import main
from genai_studio.core.art_generate_jobs import GenerateSpec, LatentWalkSpec
from genai_studio.core.progress import CancelToken
from genai_studio.engines.art.explore import run_walk, slerp
from genai_studio.engines.art.generate import run_generate


@pytest.fixture(scope="module")
def pair():
    result = run_generate(GenerateSpec(prompt="smiling cat face", count=4, seed=1), CancelToken())
    return result.images[0], result.images[3]


def _dist(a, b) -> float:
    return float(np.abs(a.to_float() - b.to_float()).mean())


def test_variations_are_near_the_chosen_image_and_spread_widens_them(pair):
    a, b = pair
    near = run_generate(GenerateSpec(prompt="smiling cat face", count=4, seed=5, around=a, spread=0.2), CancelToken())
    wide = run_generate(GenerateSpec(prompt="smiling cat face", count=4, seed=5, around=a, spread=2.0), CancelToken())
    d_near = np.mean([_dist(x, a) for x in near.images])
    d_wide = np.mean([_dist(x, a) for x in wide.images])
    assert d_near < _dist(a, b) / 2 and d_near < d_wide


def test_a_walk_runs_smoothly_from_a_to_b(pair):
    a, b = pair
    walk = run_walk(LatentWalkSpec(a=a, b=b, prompt="smiling cat face", steps=6), CancelToken())
    frames = walk.images
    assert len(frames) == 6
    assert _dist(frames[0], a) < _dist(frames[0], b) and _dist(frames[-1], b) < _dist(frames[-1], a)
    steps = [_dist(frames[i], frames[i + 1]) for i in range(5)]
    assert max(steps) < _dist(a, b)  # no jump as big as the whole way


def test_slerp_keeps_ends_and_norm():
    a, b = torch.tensor([[3.0, 0.0]]), torch.tensor([[0.0, 3.0]])
    assert torch.allclose(slerp(a, b, 0.0), a) and torch.allclose(slerp(a, b, 1.0), b)
    assert float(slerp(a, b, 0.5).norm()) == pytest.approx(3.0)


def test_cli_walk_writes_frames_and_a_looping_gif(tmp_path, pair):
    a, b = pair
    Image.fromarray(a.pixels).save(tmp_path / "a.png")
    Image.fromarray(b.pixels).save(tmp_path / "b.png")
    out = tmp_path / "walk"
    assert main(["generate", "-o", str(out), "--walk", str(tmp_path / "a.png"), str(tmp_path / "b.png"),
                 "--steps", "4", "--quiet"]) == 0
    assert Image.open(out / "walk.gif").n_frames == 6 and len(list(out.glob("*-0[1-4].png"))) == 4
    assert main(["generate", "-o", str(out), "--walk", str(tmp_path / "a.png"), str(tmp_path / "b.png"),
                 "--steps", "1", "--quiet"]) == 2
