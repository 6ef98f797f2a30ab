"""Sharpening a VAE: only the decoder learns, the file stays a loadable VAE, and the CLI refuses wrong input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genai_studio.cli import main
from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import read_manifest
from genai_studio.engines.art.generate import load_generator
from genai_studio.training import art_sharpen, art_vae
from genai_studio.training.art_vae import ArtTrainOptions, train_art_vae
from tests.training.test_art_vae import synthetic_data


@pytest.fixture(scope="module")
def small_vae(tmp_path_factory):
    """A VAE trained 30 steps on coloured shapes, with its manifest."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("vae")
    data = synthetic_data(36)
    opts = ArtTrainOptions(steps=30, minutes=2, batch_size=8, width=8, latent=16, threads=1,
                           command="genai-studio train art --family vae (test)")
    result = train_art_vae(out, opts, log=lambda _: None, data=data)
    yield data, result.weights
    torch.set_num_threads(threads)


def test_only_the_decoder_changes_and_the_result_loads_as_a_vae(small_vae, tmp_path):
    data, weights = small_vae
    before, _, _ = art_sharpen.load_vae(weights)
    opts = art_sharpen.SharpenOptions(weights=weights, steps=12, batch_size=6, ramp=4, threads=1,
                                      command="first && sharpen (test)")
    result = art_sharpen.sharpen_vae(tmp_path, opts, log=lambda _: None, data=data)
    after, _, vocabulary = art_sharpen.load_vae(result.weights)
    assert vocabulary == data.vocabulary and result.steps_done == 12
    old, new = before.state_dict(), after.state_dict()
    trained = [k for k in old if k.split(".")[0] in art_sharpen.DECODER_PARTS]
    frozen = [k for k in old if k not in trained]
    assert trained and frozen
    assert all(torch.equal(old[k], new[k]) for k in frozen)  # encoder, embedding, prior: exactly as they were
    assert any(not torch.equal(old[k], new[k]) for k in trained)
    manifest = read_manifest(result.manifest)
    assert "sharpened" in manifest.tags and manifest.description.endswith(art_vae.SHARPENED_NOTE)
    assert manifest.source.command == "first && sharpen (test)"
    assert manifest.quality["sharpened_from"]["steps"] == 30  # the first stage's figures are kept
    assert "heldout_recon_psnr_db" in manifest.quality and manifest.quality["sharpen_steps"] == 12
    gen = load_generator(result.weights, torch.device("cpu"))
    cond = torch.from_numpy(data.conditions()[:1])
    img = gen.sample(cond, torch.Generator().manual_seed(0), guidance=2.0)
    assert img.shape == (1, 3, 64, 64) and torch.isfinite(img).all()


def test_a_file_that_is_not_a_vae_is_refused(tmp_path, capsys):
    from genai_studio.engines.art import gan_model as gm
    from genai_studio.engines.loading import save_safetensors

    cfg = gm.GANConfig(vocab_size=3, px=32, width=8, latent=8, embed=8)
    path = tmp_path / "gan.safetensors"
    save_safetensors(gm.Generator(cfg).state_dict(), path,
                     metadata={"architecture": gm.ARCHITECTURE, "vocabulary": json.dumps(["a", "b", "c"]),
                               **cfg.to_metadata()})
    with pytest.raises(ModelError, match="only VAEs can be sharpened"):
        art_sharpen.load_vae(path)
    assert main(["train", "art-sharpen", "--weights", str(path), "-o", str(tmp_path / "o")]) == 2
    assert "only VAEs can be sharpened" in capsys.readouterr().err
    assert main(["train", "art-sharpen", "--weights", str(path), "-o", str(tmp_path), "--steps", "0"]) == 2


def test_data_of_another_vocabulary_is_refused(small_vae, tmp_path):
    from genai_studio.core.errors import BadInput

    _, weights = small_vae
    other = synthetic_data(12)
    other = type(other)(other.images, other.names, other.sequences, other.heldout, ("x", "y"), other.source)
    with pytest.raises(BadInput, match="another vocabulary"):
        art_sharpen.sharpen_vae(tmp_path, art_sharpen.SharpenOptions(weights=weights, steps=1, threads=1),
                                log=lambda _: None, data=other)
    assert not np.any([p.suffix == ".safetensors" for p in tmp_path.iterdir()])
