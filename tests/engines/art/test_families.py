"""The three generator families behind one interface: shapes, seeds, latents, round trips, loading."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genai_studio.core.errors import ModelError
from genai_studio.core.media import ImageBuffer
from genai_studio.engines.art import diffusion_model as dm
from genai_studio.engines.art import gan_model as gm
from genai_studio.engines.art.generate import SHIPPED_WEIGHTS
from genai_studio.engines.art.generators import load_generator, slerp
from genai_studio.engines.loading import save_safetensors

VOCAB = ["red", "circle", "square"]


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _save(tmp_path, family: str, vocab=VOCAB, px: int = 32):
    """A random-init generator of ``family`` written and loaded like a trained one."""
    torch.manual_seed(0)
    if family == "gan":
        cfg = gm.GANConfig(len(vocab), px, width=16, latent=32, embed=16)
        net, arch = gm.Generator(cfg), gm.ARCHITECTURE
    else:
        cfg = dm.DiffusionConfig(len(vocab), px, width=16)
        net, arch = dm.UNet(cfg), dm.ARCHITECTURE
        with torch.no_grad():  # untrained: nudge the zero-initialised layers so the prompt reaches the output
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.02)
            for p in net.conv_out.parameters():  # small, smooth v: DDIM behaves like a mild denoiser
                p.mul_(0.1)
    path = tmp_path / f"{family}.safetensors"
    save_safetensors({k: v.half() for k, v in net.state_dict().items()}, path,
                     metadata={"architecture": arch, "vocabulary": json.dumps(list(vocab)), **cfg.to_metadata()})
    return load_generator(path, torch.device("cpu"))


def _buffer(x: torch.Tensor) -> ImageBuffer:
    return ImageBuffer((x[0].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy())


def _mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b) ** 2).mean())


@pytest.mark.parametrize("family", ["gan", "diffusion"])
def test_shapes_seeds_and_prompts(tmp_path, family):
    gen = _save(tmp_path, family)
    assert gen.family == family and gen.px == 32 and gen.vocabulary == VOCAB
    assert gen.words("Red circles blorp") == (["red", "circle"], ["blorp"])
    cond = gen.condition(["red", "circle"])
    assert cond.shape == (1, 3)
    a = gen.sample(cond, torch.Generator().manual_seed(3))
    b = gen.sample(cond, torch.Generator().manual_seed(3))
    c = gen.sample(cond, torch.Generator().manual_seed(4))
    assert a.shape == (1, 3, 32, 32) and 0 <= float(a.min()) and float(a.max()) <= 1
    assert torch.equal(a, b) and _mse(a, c) > 1e-6
    other = gen.sample(gen.condition(["square"]), torch.Generator().manual_seed(3), guidance=2.0)
    assert _mse(a, other) > 1e-8


def test_gan_latent_fit_reconstructs_better_than_a_random_latent(tmp_path):
    gen = _save(tmp_path, "gan")
    cond = gen.condition(["red"])
    z_true = torch.randn(1, 32, generator=torch.Generator().manual_seed(11))
    target = gen.decode(z_true, cond)
    z = gen.latent_of(_buffer(target), cond)
    assert z.shape == (1, 32)
    fitted = _mse(gen.decode(z, cond), target)
    random = np.mean([_mse(gen.sample(cond, torch.Generator().manual_seed(s)), target) for s in range(4)])
    assert fitted < random / 3


def test_vae_latent_round_trip_beats_a_random_sample():
    gen = load_generator(SHIPPED_WEIGHTS, torch.device("cpu"))
    assert gen.family == "vae" and gen.px == 64
    cond = gen.condition(["cat"])
    image = gen.sample(cond, torch.Generator().manual_seed(2))
    z = gen.latent_of(_buffer(image), cond)
    recon = _mse(gen.decode(z, cond), image)
    random = np.mean([_mse(gen.sample(cond, torch.Generator().manual_seed(s)), image) for s in (5, 6, 7)])
    assert recon < random / 2
    near = gen.near(z, cond, torch.Generator().manual_seed(0), 0.1)
    assert _mse(near, image) < random


def test_ddim_inversion_reconstructs_a_sample(tmp_path):
    gen = _save(tmp_path, "diffusion")
    cond = gen.condition(["circle"])
    noise = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    image = gen.decode(noise, cond)
    latent = gen.latent_of(_buffer(image), cond)
    assert latent.shape == (1, 3, 32, 32)
    recon = _mse(gen.decode(latent, cond), image)
    other = _mse(gen.decode(torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(6)), cond), image)
    assert recon < other / 4
    # variations: a small spread stays near the image, a walk starts and ends at its ends
    near = gen.near(latent, cond, torch.Generator().manual_seed(1), 0.1)
    assert _mse(near, image) < other
    assert torch.allclose(slerp(latent, noise, 0.0), latent) and torch.allclose(slerp(latent, noise, 1.0), noise)


def test_unconditional_models_have_no_vocabulary(tmp_path):
    gen = _save(tmp_path, "gan", vocab=[])
    assert gen.vocabulary == [] and gen.words("red") == ([], ["red"])
    x = gen.sample(gen.condition([]), torch.Generator().manual_seed(0), guidance=3.0)
    assert x.shape == (1, 3, 32, 32)


def test_gan_augment_keeps_shape_and_changes_pixels():
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    torch.manual_seed(0)
    y = gm.augment(x)
    assert y.shape == x.shape and not torch.equal(x, y)


def test_unknown_architecture_is_a_model_error(tmp_path):
    path = tmp_path / "x.safetensors"
    save_safetensors({"w": torch.zeros(2)}, path, metadata={"architecture": "Mystery", "vocabulary": "[]"})
    with pytest.raises(ModelError, match="unknown generator architecture"):
        load_generator(path, torch.device("cpu"))
