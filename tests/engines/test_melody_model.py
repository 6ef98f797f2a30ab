"""MelodyGRU: the numpy runtime is the torch model, the shipped weights beat the n-gram on held-out
tunes, and the manifest tells the truth about the file."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import read_manifest
from genai_studio.engines.loading import sha256_file
from genai_studio.engines.music import tokens as tk
from genai_studio.engines.music.corpus import encode_corpus, load_corpus
from genai_studio.engines.music.melody_runtime import (MODEL_CACHE, MelodyRuntime, default_model_path,
                                                       load_melody_model)
from genai_studio.engines.music.ngram import baseline_ngram
from genai_studio.paths import BUILTIN_MODELS_DIR


def test_numpy_runtime_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from genai_studio.engines.music.melody_model import MelodyGRU, MelodyModelConfig, save_safetensors
    from genai_studio.training.melody_train import collate

    torch.manual_seed(3)
    model = MelodyGRU(MelodyModelConfig(embed=24, hidden=32, layers=2, head=16)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    save_safetensors(model, tmp_path / "m.safetensors")
    runtime = MelodyRuntime.load(tmp_path / "m.safetensors")
    enc = encode_corpus(load_corpus("valid")[:3])
    for e in enc:
        feats = tk.step_inputs(e, transpose=2)
        with torch.no_grad():
            pos_l, pitch_l, dur_l = model(collate([feats], [e.cond]))
        h, _ = runtime.run(runtime.step_inputs(feats, runtime.cond_vector(e.cond)))
        n = e.n_events
        np.testing.assert_allclose(runtime.pos_logits(h), pos_l[0].numpy(), atol=1e-4)
        np.testing.assert_allclose(runtime.pitch_logits(h[:n], feats["pos"][:n]), pitch_l[0, :n].numpy(), atol=1e-4)
        np.testing.assert_allclose(runtime.dur_logits(h[:n], feats["pos"][:n], feats["pitch"][:n], int(e.cond[1])),
                                   dur_l[0, :n].numpy(), atol=1e-4)
        # the one-step path (sampling) agrees with the whole-sequence path (scoring)
        state = runtime.initial_state()
        x = runtime.step_inputs(feats, runtime.cond_vector(e.cond))
        for t in range(6):
            state = runtime.step(state, x[t])
        np.testing.assert_allclose(state[-1], h[5], atol=1e-5)


def test_shipped_model_beats_the_ngram_on_held_out_tunes():
    model = load_melody_model()
    test = encode_corpus(load_corpus("test"))
    model_bits = model.bits_per_event(test)
    ngram_bits = baseline_ngram().bits_per_event([tk.flat_tokens(e) for e in test])
    assert model_bits <= 0.85 * ngram_bits, f"model {model_bits:.3f} vs n-gram {ngram_bits:.3f} bits/note"
    manifest = read_manifest(BUILTIN_MODELS_DIR / "melody-folk.json")
    assert manifest.quality["test_bits_per_event"] == pytest.approx(model_bits, abs=2e-3)


def test_manifest_describes_the_file():
    manifest = read_manifest(BUILTIN_MODELS_DIR / "melody-folk.json")
    weights = default_model_path()
    assert (manifest.family, manifest.task, manifest.architecture) == ("music", "melody", "MelodyGRU")
    assert manifest.files[0].name == weights.name
    assert manifest.files[0].sha256 == sha256_file(weights)
    assert manifest.files[0].size == weights.stat().st_size < 10_000_000
    assert manifest.source.kind == "trained" and manifest.source.command.startswith("genai-studio train melody")
    assert manifest.license == "GPL-3.0-or-later"
    assert "melody_corpus.npz" in manifest.training_data and "Essen" in manifest.training_data
    provenance = json.loads((weights.parent / "data" / "melody_corpus.json").read_text())
    assert "essenFolksong" not in provenance["counts"]["per_book"]


def test_bad_model_files_are_model_errors(tmp_path):
    with pytest.raises(ModelError):
        MelodyRuntime.load(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ModelError):
        MelodyRuntime.load(junk)
    from safetensors.numpy import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": np.zeros(3, np.float32)}, str(other), metadata={"genai_studio.melody_model": json.dumps({"architecture": "ESRGAN"})})
    with pytest.raises(ModelError, match="not a MelodyGRU"):
        MelodyRuntime.load(other)


def test_loaded_models_are_cached_and_reloaded_when_the_file_changes(tmp_path):
    copy = tmp_path / "m.safetensors"
    shutil.copy(default_model_path(), copy)
    first = load_melody_model(copy)
    assert load_melody_model(copy) is first
    copy.write_bytes(copy.read_bytes())  # same content, new mtime
    import os

    os.utime(copy, ns=(1, 1))
    assert load_melody_model(copy) is not first
    MODEL_CACHE.clear()


def test_sampler_sees_the_same_features_as_training():
    """Priming the sampler with a tune event by event ends in the state the scorer reaches on the
    encoded tune: expected positions, phrase bars and lookbacks agree, pickups included."""
    from genai_studio.engines.music.sampler import MelodySampler

    model = load_melody_model()
    tunes = [t for t in load_corpus("valid") if np.array_equal((t.events.pos[:-1] + t.events.dur[:-1])
                                                              % t.events.bar_ticks, t.events.pos[1:])]
    picked = [next(t for t in tunes if t.events.pos[0] > 0), next(t for t in tunes if t.events.pos[0] == 0)]
    for tune in picked:
        ev = tune.events
        enc = tk.encode_events(ev, tune.style)
        feats = tk.step_inputs(enc)
        h, _ = model.run(model.step_inputs(feats, model.cond_vector(enc.cond)))
        sampler = MelodySampler(model, ev.key, ev.meter, tune.style, 0, 127, 1.0, np.random.default_rng(0),
                                first_tick=int(ev.pos[0]))
        for p, d in zip(ev.pitch.tolist(), ev.dur.tolist()):
            sampler.prime(p, d)
        np.testing.assert_allclose(sampler._state[-1], h[-1], atol=1e-4)
