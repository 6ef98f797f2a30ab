"""`genai-studio bench art --quick` end to end on a small synthetic set; `train art-classifier` writes the cache."""

from __future__ import annotations

import json

import pytest
import torch

from genai_studio.cli import main
from genai_studio.training import art_data as ad
from tests.training.test_art_classifier import shapes_data


@pytest.fixture
def shapes_set(monkeypatch):
    data = shapes_data(120)
    monkeypatch.setattr(ad, "load_builtin", lambda name, cache_dir=None, log=print: data)
    threads = torch.get_num_threads()
    yield data
    torch.set_num_threads(threads)  # the commands run with --threads 1 (fast on a busy 2-core machine)


def test_bench_art_quick_reports_models_and_baselines(shapes_set, tmp_path, capsys):
    import shutil

    from genai_studio.paths import BUILTIN_MODELS_DIR

    out = tmp_path / "art.json"
    previous = tmp_path / "previous"  # e.g. the model before retraining, kept outside the repo
    previous.mkdir()
    for name in ("art-emoji-vae.json", "art-emoji-vae.safetensors"):
        shutil.copy(BUILTIN_MODELS_DIR / name, previous / name)
    assert main(["bench", "art", "--quick", "--models", "art-emoji-vae", "--classifier-dir", str(tmp_path / "clf"),
                 "--samples", "8", "--threads", "1", "-o", str(out),
                 "--compare", str(previous / "art-emoji-vae.json")]) == 0
    report = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == report
    assert report["benchmark"] == "art-generators" and report["quick"]
    emoji = report["sets"]["emoji"]
    assert (tmp_path / "clf" / "classifier-emoji-v1.safetensors").exists()
    assert {"red", "circle"} <= set(emoji["classifier"]["classes"])
    gens = emoji["generators"]
    assert set(gens) == {"art-emoji-vae", "art-emoji-vae (compared)", "baseline-copy-train", "baseline-class-mean",
                         "baseline-class-gaussian"}
    # the same weights score the same: the compared copy is sampled exactly like the built-in
    assert gens["art-emoji-vae (compared)"]["fd_vs_heldout"] == gens["art-emoji-vae"]["fd_vs_heldout"]
    assert gens["baseline-copy-train"]["memorisation"]["pixel32"]["fraction_closer_than_threshold"] == 1.0
    assert gens["baseline-class-mean"]["diversity"]["mean_pairwise_feature_distance"] == 0.0
    speed = gens["art-emoji-vae"]["speed"]["cpu"]
    assert speed["single_256px"]["warm_median_s"] > 0 and speed["grid_16x256px"]["cold_s"] > 0
    assert [row["generator"] for row in emoji["summary"]][0] == "art-emoji-vae"
    assert emoji["real_reference"]["train_vs_heldout_fd"] >= 0


def test_bench_art_rejects_bad_options(capsys, tmp_path):
    assert main(["bench", "art", "--samples", "1"]) == 2
    assert "error: --samples" in capsys.readouterr().err
    assert main(["bench", "art", "--compare", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --compare") and "not a readable model manifest" in err


def test_train_art_classifier_writes_the_cache(shapes_set, tmp_path, capsys):
    assert main(["train", "art-classifier", "--data", "emoji", "--cache", str(tmp_path), "--epochs", "1",
                 "--threads", "1"]) == 0
    meta = json.loads((tmp_path / "classifier-emoji-v1.json").read_text())
    assert meta["command"].startswith("genai-studio train art-classifier --data emoji --epochs 1")
    assert "top1_accuracy" in meta["heldout"] and "wrote" in capsys.readouterr().out
