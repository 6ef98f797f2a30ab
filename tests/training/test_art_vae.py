"""Emoji data builder helpers and a tiny real training run of the conditional VAE on synthetic images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genai_studio.core.manifest import read_manifest
from genai_studio.engines.art.generate import load_generator
from genai_studio.engines.art.vae_model import ConditionalVAE, VAEConfig
from genai_studio.training import art_data as ad
from genai_studio.training.art_vae import ArtTrainOptions, train_art_vae

SYSTEM_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")


def synthetic_data(n: int = 24) -> ad.ArtData:
    """Coloured discs and squares named like emoji: 'red circle', 'blue square', …"""
    rng = np.random.default_rng(0)
    colours = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 180, 60)}
    images, names = [], []
    yy, xx = np.mgrid[:64, :64]
    for i in range(n):
        colour = list(colours)[i % 3]
        shape = ("circle", "square")[(i // 3) % 2]
        img = np.full((64, 64, 3), 255, np.uint8)
        r = rng.integers(12, 24)
        if shape == "circle":
            inside = (yy - 32) ** 2 + (xx - 32) ** 2 < r * r
        else:
            inside = (abs(yy - 32) < r) & (abs(xx - 32) < r)
        img[inside] = colours[colour]
        images.append(img)
        names.append(f"large {colour} {shape}")
    seqs = tuple(chr(0x1F300 + i) for i in range(n))
    return ad.ArtData(np.stack(images), tuple(names), seqs, ad.heldout_mask(seqs, 0.2),
                      tuple(ad.build_vocabulary(names)), {"package": "synthetic", "version": "0", "license": "CC0"})


def test_sequence_names_and_words():
    assert ad.sequence_name("\U0001F431") == "cat face"
    assert ad.sequence_name("\U0001F44B\U0001F3FD") == "waving hand sign medium skin tone"
    assert ad.sequence_name("\U0001F1EB\U0001F1F7") == "flag fr"
    assert ad.name_words("grinning cat face with smiling eyes") == ["grinning", "cat", "face", "smiling", "eyes"]


def test_vocabulary_keeps_words_used_three_times():
    names = ["cat face", "dog face", "smiling face", "cat", "rocket", "cat with heart"]
    assert ad.build_vocabulary(names) == ["cat", "face"]
    hot = ad.multi_hot(["face", "unknown"], ["cat", "face"])
    assert hot.tolist() == [0.0, 1.0]


def test_heldout_split_is_stable_and_keeps_skin_tones_together():
    seqs = [chr(0x1F466 + i) + tone for i in range(40) for tone in ("", "\U0001F3FB", "\U0001F3FF")]
    mask = ad.heldout_mask(seqs)
    assert mask.tolist() == ad.heldout_mask(seqs).tolist()
    groups = mask.reshape(40, 3)
    assert (groups.all(1) | ~groups.any(1)).all()  # a group is held out whole or not at all
    assert 0 < mask.sum() < len(seqs)


@pytest.mark.skipif(not SYSTEM_FONT.exists(), reason="fonts-noto-color-emoji is not installed")
def test_render_emoji_from_the_font():
    from PIL import ImageFont

    img = ad.render_emoji(ImageFont.truetype(str(SYSTEM_FONT), size=ad.FONT_SIZE), "\U0001F680")
    assert img.shape == (64, 64, 3) and (img < 250).mean() > 0.1


def test_cache_round_trip(tmp_path):
    data = synthetic_data()
    ad.save_art_data(data, tmp_path)
    back = ad.load_art_data(tmp_path, build_if_missing=False)
    assert back.names == data.names and back.vocabulary == data.vocabulary
    assert np.array_equal(back.images, data.images) and np.array_equal(back.heldout, data.heldout)
    assert back.conditions().shape == (len(data.names), len(data.vocabulary))


def test_missing_cache_is_a_clear_error(tmp_path):
    from genai_studio.core.errors import BadInput

    with pytest.raises(BadInput, match="train art"):
        ad.load_art_data(tmp_path / "none", build_if_missing=False)


def test_model_shapes_and_kl():
    model = ConditionalVAE(VAEConfig(vocab_size=5, latent=8, width=8))
    x, words = torch.rand(2, 3, 64, 64), torch.zeros(2, 5)
    recon, kl = model(x, words)
    assert recon.shape == x.shape and kl.shape == (2,) and (kl >= -1e-4).all()
    assert model.sample(words, torch.Generator().manual_seed(0)).shape == (2, 3, 64, 64)


def test_tiny_training_run_writes_loadable_weights(tmp_path):
    data = synthetic_data()
    opts = ArtTrainOptions(steps=4, minutes=5, batch_size=4, width=8, latent=8, threads=1,
                           command="genai-studio train art --family vae -o X --steps 4")
    result = train_art_vae(tmp_path, opts, log=lambda line: None, data=data)
    assert result.steps_done == 4
    manifest = read_manifest(result.manifest)
    assert (manifest.family, manifest.task, manifest.source.kind) == ("art", "generate", "trained")
    assert manifest.source.command == opts.command
    assert manifest.defaults["vocabulary"] == list(data.vocabulary) and manifest.defaults["native_px"] == 64
    assert "heldout_recon_mse" in manifest.quality and "synthetic" in manifest.training_data
    gen = load_generator(result.weights, torch.device("cpu"))
    assert gen.vocabulary == list(data.vocabulary)
    assert gen.words("Red circles xyzzy") == (["red", "circle"], ["xyzzy"])
    from safetensors import safe_open

    with safe_open(str(result.weights), framework="pt") as fh:
        assert json.loads(fh.metadata()["vocabulary"]) == list(data.vocabulary)
        assert all(fh.get_tensor(k).dtype == torch.float16 for k in fh.keys())
