"""How well the models predict a melody (bits per note event), and the statistics the bench compares.

Bits per note event: the negative log2-likelihood of each event's position, pitch and duration,
plus the end of the tune, divided by the number of events (notes and rests), for MelodyGRU and the
Kneser–Ney n-gram on the very same tokens.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from genai_studio.core.melody_events import MelodyEvents, in_key_ratio
from genai_studio.core.music import Melody, parse_key, parse_meter
from genai_studio.engines.music import tokens as tk
from genai_studio.engines.music.melody_runtime import MelodyRuntime, load_melody_model
from genai_studio.engines.music.ngram import KneserNeyNgram, baseline_ngram


def score_events(events: MelodyEvents, style: str, model: MelodyRuntime | None = None,
                 ngram: KneserNeyNgram | None = None) -> dict:
    model = model or load_melody_model()
    ngram = ngram or baseline_ngram()
    enc = tk.encode_events(events, style)
    model_bits, n = model.score(enc)
    ngram_bits = -float(ngram.token_log2probs(tk.flat_tokens(enc)).sum())
    n = max(n, 1)
    return {"events": len(events), "notes": events.n_notes, "key": str(events.key), "meter": str(events.meter),
            "style": style, "model_bits_per_note": round(model_bits / n, 4),
            "ngram_bits_per_note": round(ngram_bits / n, 4), "ngram_order": ngram.order,
            "model_vs_ngram": round(1 - model_bits / ngram_bits, 4) if ngram_bits else 0.0}


def score_melody(melody: Melody, model: MelodyRuntime | None = None, ngram: KneserNeyNgram | None = None,
                 style: str | None = None) -> dict:
    """Bits per note event of a user's melody for the model and the n-gram (key chosen as for continuation)."""
    from genai_studio.engines.music.generate import melody_context

    events, key, _ = melody_context(melody)
    style = style or tk.style_of("", events.meter, events.dur)
    return {"name": melody.name, **score_events(replace(events, key=key), style, model, ngram)}


def bar_report(melody: Melody) -> dict:
    """Bar structure of a melody: bars spanned, notes crossing bar lines, whether it fills whole bars."""
    meter = parse_meter(melody.time_signature)
    bar = tk.bar_ticks(meter)
    crossing = 0
    for n in melody.notes:
        on, off = round(n.start * tk.TICKS_PER_BEAT), round(n.end * tk.TICKS_PER_BEAT)
        crossing += (on // bar) != ((off - 1) // bar)
    end = round(melody.duration_beats * tk.TICKS_PER_BEAT)
    return {"bars": end / bar, "notes_crossing_bar_lines": crossing, "whole_bars": end % bar == 0,
            "starts_on_bar_line": bool(melody.notes) and round(min(n.start for n in melody.notes) * tk.TICKS_PER_BEAT) % bar == 0}


def is_bar_valid(melody: Melody, bars: int | None = None) -> bool:
    """Every bar complete: starts on a bar line, fills whole bars, no note held over a bar line,
    monophonic (and exactly ``bars`` bars long when given). Rests inside bars are allowed."""
    report = bar_report(melody)
    return bool(report["whole_bars"] and report["starts_on_bar_line"] and report["notes_crossing_bar_lines"] == 0
                and melody.is_monophonic() and (bars is None or abs(report["bars"] - bars) < 1e-9))


def melody_stats(melody: Melody) -> dict:
    pitches = np.array([n.pitch for n in melody.notes])
    key = parse_key(melody.key)
    return {"notes": len(pitches), "in_key_ratio": float(np.mean([key.contains(int(p)) for p in pitches])),
            "lowest": int(pitches.min()), "highest": int(pitches.max()), "span": int(pitches.max() - pitches.min()),
            "distinct_pitches": int(len(set(pitches.tolist())))}


def corpus_stats(tunes: list) -> dict:
    """Reference figures of the corpus (CorpusTune list): in-key ratio, range span, notes over bar lines."""
    spans, ratios, crossing, total = [], [], 0, 0
    for t in tunes:
        ev = t.events
        sounding = ev.pitch[ev.pitch >= 0]
        spans.append(int(sounding.max() - sounding.min()))
        ratios.append(in_key_ratio(ev))
        over = (ev.pos + ev.dur) > ev.bar_ticks
        crossing += int(over[ev.pitch >= 0].sum())
        total += int((ev.pitch >= 0).sum())
    return {"tunes": len(tunes), "in_key_ratio_mean": round(float(np.mean(ratios)), 4),
            "span_median": float(np.median(spans)), "span_p5_p95": [float(np.percentile(spans, 5)),
                                                                     float(np.percentile(spans, 95))],
            "notes_crossing_bar_lines_ratio": round(crossing / max(total, 1), 5)}
