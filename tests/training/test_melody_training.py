"""A tiny, seconds-long run of the melody training: it learns, is reproducible, and writes what ships."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from genai_studio.cli import main  # noqa: E402
from genai_studio.core.manifest import read_manifest  # noqa: E402
from genai_studio.engines.loading import sha256_file  # noqa: E402
from genai_studio.engines.music import tokens as tk  # noqa: E402
from genai_studio.engines.music.melody_model import MelodyModelConfig  # noqa: E402
from genai_studio.engines.music.melody_runtime import MelodyRuntime  # noqa: E402
from genai_studio.training.melody_train import TrainOptions, train_melody  # noqa: E402

TINY = MelodyModelConfig(embed=16, hidden=24, layers=1, head=16, dropout=0.0)
UNIFORM_BITS = float(np.log2(tk.POS_SIZE) + np.log2(tk.PITCH_SIZE) + np.log2(tk.DUR_SIZE))


def _run(out, seed=0):
    options = TrainOptions(epochs=2, seed=seed, batch_size=8, lr=3e-2, limit_tunes=24, max_batches=3, config=TINY,
                           threads=1, command="genai-studio train melody --test")
    return train_melody(out, options, log=lambda _line: None)


def test_smoke_training_learns_and_writes_a_loadable_model(tmp_path):
    result = _run(tmp_path / "a")
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert result.history[-1]["valid_bits"] < UNIFORM_BITS - 2  # it learned something in six steps
    assert result.history[-1]["valid_bits"] < result.history[0]["valid_bits"]
    manifest = read_manifest(result.manifest)
    assert manifest.files[0].sha256 == sha256_file(result.weights)
    assert manifest.source.command == "genai-studio train melody --test"
    assert manifest.quality["ngram_order"] == 7 and manifest.quality["test_tunes"] == 24
    runtime = MelodyRuntime.load(result.weights)
    assert runtime.config == json.loads(json.dumps(TINY.__dict__))
    assert manifest.quality["test_bits_per_event"] > manifest.quality["ngram_test_bits_per_event"]  # 6 steps ≠ 15 min


def test_training_is_reproducible_from_the_seed(tmp_path):
    first = _run(tmp_path / "a", seed=5)
    second = _run(tmp_path / "b", seed=5)
    assert sha256_file(first.weights) == sha256_file(second.weights)


def test_train_command_smoke(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["train", "melody", "--epochs", "1", "--limit", "8", "--max-batches", "1", "--batch-size", "4",
                 "--out", str(out), "--threads", "1"]) == 0
    assert (out / "melody-folk.safetensors").is_file()
    manifest = read_manifest(out / "melody-folk.json")
    assert manifest.source.command.startswith("genai-studio train melody --epochs 1 --out")
    assert "epoch 1" in capsys.readouterr().out
