"""`bench melody`: the melody model's figures as JSON (never asserted as wall-clock in tests).

* held-out bits per note event on the corpus test split, MelodyGRU vs the Kneser–Ney n-gram;
* generated melodies (several keys, meters, styles and seeds, 16 bars each) against the corpus:
  in-key ratio, bar validity, pitch range and span;
* time to generate 16 bars once the model is loaded (median and worst of N), and model load time.
Hum-to-MIDI F1 and play latency are measured by the audio side; their keys are left as null here.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

CASES = (("D major", "4/4", "reel"), ("G major", "6/8", "jig"), ("E minor", "3/4", "air"),
         ("F major", "4/4", "hymn"), ("A dorian", "2/2", "reel"), ("D mixolydian", "9/8", "jig"))


def _timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_melody(seeds: int = 8, timing_repeats: int = 21, model_path: str | None = None) -> dict:
    from genai_studio.engines.music.corpus import encode_corpus, load_corpus
    from genai_studio.engines.music.generate import DEFAULT_RANGE, generate
    from genai_studio.engines.music.melody_runtime import MelodyRuntime, default_model_path
    from genai_studio.engines.music.ngram import baseline_ngram, select_ngram_order
    from genai_studio.engines.music.score import corpus_stats, is_bar_valid, melody_stats
    from genai_studio.engines.music.tokens import flat_tokens

    path = model_path or default_model_path()
    load_s = _timed(lambda: MelodyRuntime.load(path), 5)
    model = MelodyRuntime.load(path)
    t0 = time.perf_counter()
    baseline_ngram.cache_clear()
    order, ngram = select_ngram_order()
    ngram_fit_s = time.perf_counter() - t0

    test_tunes = load_corpus("test")
    test = encode_corpus(test_tunes)
    model_bits = model.bits_per_event(test)
    ngram_bits = ngram.bits_per_event([flat_tokens(e) for e in test])

    stats, valid, per_case = [], 0, []
    for key, meter, style in CASES:
        case = []
        for seed in range(seeds):
            melody = generate(model, key, meter, 16, 120, style, 1.0, seed, DEFAULT_RANGE)
            valid += is_bar_valid(melody, 16)
            s = melody_stats(melody)
            s["in_range"] = DEFAULT_RANGE[0] <= s["lowest"] and s["highest"] <= DEFAULT_RANGE[1]
            case.append(s)
        stats += case
        per_case.append({"key": key, "meter": meter, "style": style,
                         "notes_median": statistics.median(s["notes"] for s in case),
                         "span_median": statistics.median(s["span"] for s in case),
                         "distinct_pitches_median": statistics.median(s["distinct_pitches"] for s in case)})

    timings = {}
    for key, meter, style in CASES:
        generate(model, key, meter, 16, 120, style, 1.0, 0)  # warm caches
        seeds_iter = iter(range(1000, 1000 + timing_repeats))
        runs = _timed(lambda: generate(model, key, meter, 16, 120, style, 1.0, next(seeds_iter)), timing_repeats)
        timings[f"{style} {meter}"] = round(statistics.median(runs) * 1000, 2)
    all_tunes = load_corpus()
    return {
        "benchmark": "melody",
        "model": str(path),
        "heldout": {"split": "test", "tunes": len(test), "events": sum(e.n_events for e in test),
                    "model_bits_per_note": round(model_bits, 4), "ngram_bits_per_note": round(ngram_bits, 4),
                    "ngram_order": order, "reduction_vs_ngram": round(1 - model_bits / ngram_bits, 4),
                    "target_reduction": 0.15},
        "generated": {
            "melodies": len(stats), "bars_each": 16, "range": list(DEFAULT_RANGE),
            "in_key_ratio": round(float(np.mean([s["in_key_ratio"] for s in stats])), 4),
            "bar_valid_ratio": round(valid / len(stats), 4),
            "in_range_ratio": round(float(np.mean([s["in_range"] for s in stats])), 4),
            "lowest_min": min(s["lowest"] for s in stats), "highest_max": max(s["highest"] for s in stats),
            "span_median": statistics.median(s["span"] for s in stats),
            "per_case": per_case,
        },
        "corpus": corpus_stats(all_tunes),
        "generate_16_bars_ms": {"median_by_case": timings, "median": statistics.median(timings.values()),
                                "worst_case_median": max(timings.values()), "target_ms": 150,
                                "repeats": timing_repeats},
        "model_load_ms": round(statistics.median(load_s) * 1000, 2),
        "ngram_fit_and_order_selection_s": round(ngram_fit_s, 2),
        "hum_to_midi": _hum_report(),
        "play_to_first_sound_ms": _play_latency(),
    }


def _hum_report() -> dict:
    from genai_studio.bench.hum_data import hum_f1_report, sung_f1_report

    return hum_f1_report() | {"sung_by_piper_voice": sung_f1_report()}


def _play_latency() -> dict:
    from genai_studio.bench.play_latency import bench_play_latency

    return bench_play_latency()
