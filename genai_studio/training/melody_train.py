"""Train MelodyGRU on the committed melody corpus: ``genai-studio train melody [--epochs N] [--out DIR]``.

Reproduces ``models/melody-folk.safetensors`` + its manifest from ``models/data/melody_corpus.npz``
(itself rebuilt by scripts/build_melody_corpus.py). Every epoch sees each training tune once; half
of them are transposed by a random -6..+5 semitones (the augmentation). The weights kept are those of
the epoch with the lowest validation bits per event; the test split is scored once, at the end, for
the model and for the Kneser–Ney n-gram baseline (its order chosen on the validation split).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, write_manifest
from genai_studio.engines.loading import sha256_file
from genai_studio.engines.music import tokens as tk
from genai_studio.engines.music.corpus import default_corpus_path, encode_corpus, load_corpus
from genai_studio.engines.music.melody_model import (ARCHITECTURE, MelodyGRU, MelodyModelConfig, event_nll,
                                                     parameter_count, save_safetensors)
from genai_studio.engines.music.ngram import BASELINE_ORDER, baseline_ngram, select_ngram_order

MODEL_ID = "melody-folk"
BOOKS_TEXT = ("O'Neill's Music of Ireland (1850), Aird's Airs, Ryan's Mammoth Collection, miscFolk and the "
              "soprano lines of the 371 Bach chorales, from the music21 corpus (public-domain tunes; music21 "
              "BSD-3). Never the Essen collection.")


@dataclass
class TrainOptions:
    epochs: int = 10
    seed: int = 0
    batch_size: int = 32
    lr: float = 3e-3
    augment_prob: float = 0.5
    max_minutes: float | None = None  # stop after the epoch that crosses this wall-clock budget
    limit_tunes: int | None = None  # train on the first N training tunes only (smoke tests)
    max_batches: int | None = None  # per epoch (smoke tests)
    threads: int | None = None  # torch CPU threads (default: 1 up to 4 cores, else half the cores)
    config: MelodyModelConfig = field(default_factory=MelodyModelConfig)
    command: str = ""  # recorded in the manifest


@dataclass
class TrainResult:
    weights: Path
    manifest: Path
    quality: dict
    history: list[dict]


def collate(items: list[dict[str, np.ndarray]], cond: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """Pad step arrays to the longest tune: inputs with 0, targets with -100 (ignored)."""
    t = max(len(it["pos"]) for it in items)
    batch: dict[str, torch.Tensor] = {}
    for name in items[0]:
        fill = -100 if name in ("pos", "pitch", "dur") else 0
        shape = (len(items), t) + items[0][name].shape[1:]
        arr = np.full(shape, fill, np.int64)
        for i, it in enumerate(items):
            arr[i, : len(it[name])] = it[name]
        batch[name] = torch.from_numpy(arr)
    batch["cond"] = torch.from_numpy(np.stack(cond).astype(np.int64))
    return batch


def _batches(encoded: list, batch_size: int, rng: np.random.Generator | None, augment_prob: float):
    """Batches of similar-length tunes (little padding), in random order when ``rng`` is given."""
    order = np.argsort([e.n_events for e in encoded], kind="stable")
    groups = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(groups)
    for group in groups:
        items, cond = [], []
        for i in group:
            shift = int(rng.integers(-6, 6)) if rng is not None and rng.random() < augment_prob else 0
            items.append(tk.step_inputs(encoded[i], shift))
            cond.append(encoded[i].cond)
        yield collate(items, cond)


@torch.no_grad()
def bits_per_event(model: MelodyGRU, encoded: list, batch_size: int = 64) -> float:
    model.eval()
    total, events = 0.0, 0
    for batch in _batches(encoded, batch_size, None, 0.0):
        nll, n = event_nll(model, batch)
        total += float(nll)
        events += n
    return float(total / max(events, 1) / np.log(2))


def train_melody(out_dir: Path, options: TrainOptions, log: Callable[[str], None] = print) -> TrainResult:
    torch.manual_seed(options.seed)
    # One thread on small machines: this GRU's matrices are small, and on a shared 2-core machine
    # OpenMP threads waiting for each other made an epoch 10x slower than one thread.
    cores = os.cpu_count() or 1
    torch.set_num_threads(options.threads or (1 if cores <= 4 else cores // 2))
    rng = np.random.default_rng(options.seed)
    train_tunes = load_corpus("train")[: options.limit_tunes]
    # a smoke run (--limit) also scores only a slice of the held-out splits
    valid = encode_corpus(load_corpus("valid")[: options.limit_tunes])
    test = encode_corpus(load_corpus("test")[: options.limit_tunes])
    train = encode_corpus(train_tunes)
    model = MelodyGRU(options.config)
    log(f"{ARCHITECTURE}: {parameter_count(model):,} parameters; {len(train)} training tunes, "
        f"{sum(e.n_events for e in train):,} events")
    steps_per_epoch = -(-len(train) // options.batch_size)
    if options.max_batches:
        steps_per_epoch = min(steps_per_epoch, options.max_batches)
    opt = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=0.01)
    total_steps = max(1, steps_per_epoch * options.epochs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, options.lr, total_steps=total_steps, pct_start=0.05)
    started = time.perf_counter()
    best: tuple[float, dict] | None = None
    history: list[dict] = []
    for epoch in range(1, options.epochs + 1):
        model.train()
        seen_nll, seen_events = 0.0, 0
        for step, batch in enumerate(_batches(train, options.batch_size, rng, options.augment_prob)):
            if step >= steps_per_epoch:
                break
            nll, n = event_nll(model, batch)
            opt.zero_grad(set_to_none=True)
            (nll / n).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            seen_nll, seen_events = seen_nll + float(nll.detach()), seen_events + n
        valid_bits = bits_per_event(model, valid)
        minutes = (time.perf_counter() - started) / 60
        history.append({"epoch": epoch, "train_bits": round(float(seen_nll / max(seen_events, 1) / np.log(2)), 4),
                        "valid_bits": round(valid_bits, 4), "minutes": round(minutes, 2)})
        log(f"epoch {epoch}: train {history[-1]['train_bits']:.3f} valid {valid_bits:.3f} bits/event "
            f"({minutes:.1f} min)")
        if best is None or valid_bits < best[0]:
            best = (valid_bits, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if options.max_minutes is not None and minutes >= options.max_minutes:
            log(f"stopping: {options.max_minutes:g} min budget reached")
            break
    model.load_state_dict(best[1])
    test_bits = bits_per_event(model, test)
    if options.limit_tunes:
        ngram_order, ngram = BASELINE_ORDER, baseline_ngram()
    else:
        ngram_order, ngram = select_ngram_order()
    ngram_test = ngram.bits_per_event([tk.flat_tokens(e) for e in test])
    quality = {
        "metric": "held-out bits per note event (pos + pitch + duration), corpus test split",
        "test_bits_per_event": round(test_bits, 4), "valid_bits_per_event": round(float(best[0]), 4),
        "ngram_order": ngram_order, "ngram_test_bits_per_event": round(ngram_test, 4),
        "reduction_vs_ngram": round(float(1 - test_bits / ngram_test), 4),
        "test_tunes": len(test), "test_events": sum(e.n_events for e in test),
        "epochs_run": len(history), "train_minutes": history[-1]["minutes"],
        "parameters": parameter_count(model),
    }
    log(f"test: model {test_bits:.3f} vs {ngram_order}-gram {ngram_test:.3f} bits/event "
        f"({quality['reduction_vs_ngram'] * 100:.1f}% lower)")
    return _write(out_dir, model, quality, history, options)


def _write(out_dir: Path, model: MelodyGRU, quality: dict, history: list[dict], options: TrainOptions) -> TrainResult:
    weights = out_dir / f"{MODEL_ID}.safetensors"
    save_safetensors(model, weights, {"test_bits_per_event": quality["test_bits_per_event"]})
    corpus = default_corpus_path()
    manifest = ModelManifest(
        id=MODEL_ID, name="Folk melody (MelodyGRU)", family="music", task="melody", architecture=ARCHITECTURE,
        files=(ModelFile(weights.name, sha256_file(weights), weights.stat().st_size),),
        source=ModelSource(kind="trained", command=options.command or "genai-studio train melody",
                           upstream="GenAI Studio"),
        license="GPL-3.0-or-later",
        description="Autoregressive GRU over note events (position, pitch relative to the tonic, duration) with "
                    "lookback features; generates, continues, varies and interpolates melodies under key, "
                    "range and bar constraints.",
        training_data=f"genai_studio/models/data/{corpus.name} (sha256 {sha256_file(corpus)[:16]}…): {BOOKS_TEXT}",
        quality=quality,
        defaults={"temperature": 1.0, "low": 55, "high": 84},
        tags=("melody", "folk", "trained-here"),
    )
    path = out_dir / f"{MODEL_ID}.json"
    write_manifest(manifest, path)
    return TrainResult(weights, path, quality, history)
