"""Pitch tracking and "sung f0 vs notes" scores, shared by the singing engine, its tests and `bench voice`.

Why a tracker of our own: WORLD's DIO (engines.voice.world.analyze) reports an octave too high on about
a third of the voiced frames of Piper voices (measured on the bundled "joe" voice against Harvest and a
harmonic-sum check), and Harvest is ~25x slower. This is YIN (de Cheveigné & Kawahara 2002) on 5 ms
frames, vectorized in numpy, plus an octave-jump clean-up against a running median.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

FRAME_PERIOD_MS = 5.0  # same grid as engines.voice.world
_BLOCK_FRAMES = 1024  # frames per vectorized block: bounds memory to ~ block x lags x 8 B


def track_f0(samples: np.ndarray, sample_rate: int, f0_floor: float = 55.0, f0_ceil: float = 600.0,
             threshold: float = 0.15, voicing: float = 0.35,
             frame_period_ms: float = FRAME_PERIOD_MS) -> tuple[np.ndarray, np.ndarray]:
    """Mono (n,) samples → (f0 Hz (frames,) with 0 = unvoiced, periodicity error (frames,) in [0, 1+]).

    Frame ``i`` is centred on sample ``i * frame_period``, so the frame count matches WORLD's
    (``n / hop + 1``). ``threshold`` is YIN's absolute threshold; a frame whose best normalized difference
    is above ``voicing`` (or that is 50 dB below the loudest frame) is unvoiced.
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    hop = sample_rate * frame_period_ms / 1000.0
    n_frames = int(len(x) / hop) + 1
    max_lag = int(math.ceil(sample_rate / f0_floor)) + 1
    min_lag = max(2, int(sample_rate / f0_ceil))
    win = max_lag  # integrate over one longest period
    span = win + max_lag
    padded = np.concatenate([np.zeros(span), x, np.zeros(2 * span)])
    starts = np.round(np.arange(n_frames) * hop).astype(np.int64) + span - win // 2
    f0 = np.zeros(n_frames)
    err = np.ones(n_frames)
    energy = np.zeros(n_frames)
    for b0 in range(0, n_frames, _BLOCK_FRAMES):
        sl = slice(b0, min(n_frames, b0 + _BLOCK_FRAMES))
        f0[sl], err[sl], energy[sl] = _yin_block(padded, starts[sl], win, span, min_lag, max_lag, sample_rate,
                                                 threshold)
    f0[err > voicing] = 0.0
    if energy.max() > 0:
        f0[energy < energy.max() * 1e-5] = 0.0
    f0 = _fix_octave_jumps(f0)
    return _drop_short_runs(f0, min_frames=3), err


def _yin_block(padded: np.ndarray, starts: np.ndarray, win: int, span: int, min_lag: int, max_lag: int,
               sample_rate: int, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frames = padded[starts[:, None] + np.arange(span)[None, :]]  # (F, span)
    nfft = 1 << int(math.ceil(math.log2(2 * span)))
    spec_a = np.fft.rfft(frames[:, :win], nfft)
    spec_b = np.fft.rfft(frames, nfft)
    corr = np.fft.irfft(np.conj(spec_a) * spec_b, nfft)[:, : max_lag + 1]  # (F, lags) sum x_j x_{j+tau}
    csum = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames ** 2, axis=1)], axis=1)
    lags = np.arange(max_lag + 1)
    e0 = csum[:, win]
    diff = e0[:, None] + (csum[:, lags + win] - csum[:, lags]) - 2.0 * corr  # YIN difference d(tau)
    diff[:, 0] = 0.0
    cum = np.cumsum(diff[:, 1:], axis=1)
    norm = np.ones_like(diff)
    norm[:, 1:] = diff[:, 1:] * lags[1:] / np.maximum(cum, 1e-12)  # cumulative-mean-normalized d'(tau)
    sub = norm[:, min_lag:]  # (F, L)
    below = sub < threshold
    has_hit = below.any(axis=1)
    first = np.where(has_hit, below.argmax(axis=1), sub.argmin(axis=1))
    # From the first dip under the threshold, walk to its local minimum (within a quarter period).
    cols = np.arange(sub.shape[1])[None, :]
    window = (cols >= first[:, None]) & (cols <= (first + (first + min_lag) // 4 + 1)[:, None])
    best = np.where(window, sub, np.inf).argmin(axis=1)
    rows = np.arange(len(sub))
    best = _prefer_true_period(sub, best, min_lag)
    a = sub[rows, np.maximum(best - 1, 0)]
    b = sub[rows, best]
    c = sub[rows, np.minimum(best + 1, sub.shape[1] - 1)]
    den = a - 2.0 * b + c
    offset = np.where(den > 1e-12, 0.5 * (a - c) / np.where(den > 1e-12, den, 1.0), 0.0)
    tau = best + min_lag + np.clip(offset, -0.5, 0.5)
    return sample_rate / tau, b, e0 / win


def _prefer_true_period(sub: np.ndarray, first: np.ndarray, min_lag: int, slack: float = 0.03) -> np.ndarray:
    """Correct YIN's first-dip choice when one harmonic dominates (a vowel's first formant): the dip at a
    fraction of the period (2T/3 for a strong 3rd harmonic) passes the threshold, but the true period dips
    far deeper. Then take the deepest dip, or the shortest lag T/k (k ≤ 4) that is nearly as deep, so a
    clean signal whose 2T happens to dip a little deeper than T still reads T."""
    rows = np.arange(len(sub))
    deepest = sub.argmin(axis=1)
    deep_value = sub[rows, deepest]
    chosen = np.where(deep_value < 0.5 * sub[rows, first], deepest, first)
    switch = chosen != first
    if not switch.any():
        return first
    lags = deepest + min_lag
    for k in (2, 3, 4):
        col = np.round(lags / k).astype(np.int64) - min_lag
        ok = col >= 2
        col = np.clip(col, 2, sub.shape[1] - 3)
        # the local minimum within ±2 lags of T/k
        around = np.stack([sub[rows, col + d] for d in (-2, -1, 0, 1, 2)], axis=1)
        col = col + around.argmin(axis=1) - 2
        good = switch & ok & (sub[rows, col] <= deep_value + slack)
        chosen = np.where(good, col, chosen)
    return chosen


def _fix_octave_jumps(f0: np.ndarray, width: int = 21) -> np.ndarray:
    """Fold frames an octave off a running median of the voiced track (YIN's typical slip) back into line."""
    voiced = np.flatnonzero(f0 > 0)
    if voiced.size < 5:
        return f0
    logs = np.log2(f0[voiced])
    half = width // 2
    padded = np.pad(logs, half, mode="edge")
    ref = np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=1)
    jump = np.round(logs - ref)
    fix = (jump != 0) & (np.abs(logs - ref - jump) < 0.3)
    out = f0.copy()
    out[voiced[fix]] = 2.0 ** (logs[fix] - jump[fix])
    return out


def _drop_short_runs(f0: np.ndarray, min_frames: int) -> np.ndarray:
    voiced = np.concatenate([[False], f0 > 0, [False]])
    edges = np.flatnonzero(np.diff(voiced.astype(np.int8)))
    out = f0.copy()
    for start, end in zip(edges[::2], edges[1::2]):
        if end - start < min_frames:
            out[start:end] = 0.0
    return out


def speech_median_f0(samples: np.ndarray, sample_rate: int, within_db: float = 25.0) -> float:
    """Median f0 (Hz) of the voiced frames within ``within_db`` of the loudest frame; 0.0 if none.

    Loud frames are vowels, where the pitch is clear; quiet voiced frames are mostly creaky phrase ends that
    every tracker reads inconsistently, and they would bias a comparison between raw and resynthesized speech.
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    f0, _ = track_f0(x, sample_rate)
    level = _frame_level_db(x, sample_rate, len(f0))
    keep = (f0 > 0) & (level > level.max() - within_db)
    return float(np.median(f0[keep])) if keep.any() else 0.0


# --- sung pitch and timing vs the notes ---------------------------------------------------------------


def midi_to_hz(pitch: float) -> float:
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


def cents(f_hz: float, ref_hz: float) -> float:
    return 1200.0 * math.log2(f_hz / ref_hz)


@dataclass(frozen=True)
class NoteScore:
    index: int  # position in time order
    target_hz: float
    sung_hz: float  # median f0 over the note's middle part; 0 when nothing there was voiced
    cents_error: float  # sung vs target; nan when unvoiced
    onset_error_s: float  # detected onset - note start; nan when not found


def score_singing(samples: np.ndarray, sample_rate: int, notes: Sequence, tempo_bpm: float,
                  middle: float = 0.5, onset_window_s: float = 0.15) -> list[NoteScore]:
    """Per-note pitch and onset accuracy of sung audio against ``notes`` (core.music.Note, beats).

    Pitch: median tracked f0 over the central ``middle`` fraction of each note (skips glides and consonants).
    Onset (of the vowel, the perceived start of a sung note): the first frame, from ``onset_window_s``
    before the note start, that is voiced within 50 cents of the note and stays so for 15 ms; when the
    previous note has the same pitch and touches this one, the first voiced frame after the level dip
    between them whose level is back above the dip-to-note midpoint (dB). Audio time 0 is beat 0.
    """
    ordered = sorted(notes, key=lambda n: n.start)
    if not ordered:
        return []
    spb = 60.0 / tempo_bpm
    targets = [midi_to_hz(n.pitch) for n in ordered]
    f0, _ = track_f0(samples, sample_rate, f0_floor=min(targets) / 1.45, f0_ceil=max(targets) * 1.45)
    frame_s = FRAME_PERIOD_MS / 1000.0
    level = _frame_level_db(np.asarray(samples, dtype=np.float64).reshape(-1), sample_rate, len(f0))
    scores = []
    for i, (note, target) in enumerate(zip(ordered, targets)):
        start, end = note.start * spb, note.end * spb
        trim = (1.0 - middle) / 2.0 * (end - start)
        a, b = int(round((start + trim) / frame_s)), int(round((end - trim) / frame_s)) + 1
        seg = f0[max(a, 0):min(b, len(f0))]
        seg = seg[seg > 0]
        sung = float(np.median(seg)) if seg.size else 0.0
        error = cents(sung, target) if sung > 0 else float("nan")
        prev = ordered[i - 1] if i else None
        same_pitch_tied = prev is not None and prev.pitch == note.pitch and prev.end >= note.start - 1e-6
        onset = _onset(f0, level, start, end, target, onset_window_s, frame_s, by_energy=same_pitch_tied)
        scores.append(NoteScore(i, target, sung, error, onset - start if onset is not None else float("nan")))
    return scores


def summarize(scores: Sequence[NoteScore]) -> dict:
    """JSON-ready summary: median/max absolute cents and onset error (ms), and how many notes were voiced."""
    c = np.array([abs(s.cents_error) for s in scores if not math.isnan(s.cents_error)])
    o = np.array([abs(s.onset_error_s) * 1000.0 for s in scores if not math.isnan(s.onset_error_s)])
    return {
        "notes": len(scores),
        "voiced_notes": int(c.size),
        "median_abs_cents": float(np.median(c)) if c.size else float("nan"),
        "max_abs_cents": float(c.max()) if c.size else float("nan"),
        "onsets_found": int(o.size),
        "median_abs_onset_ms": float(np.median(o)) if o.size else float("nan"),
        "max_abs_onset_ms": float(o.max()) if o.size else float("nan"),
    }


def _frame_level_db(x: np.ndarray, sample_rate: int, n_frames: int) -> np.ndarray:
    hop = sample_rate * FRAME_PERIOD_MS / 1000.0
    half = int(hop)
    centers = np.round(np.arange(n_frames) * hop).astype(np.int64)
    csum = np.concatenate([[0.0], np.cumsum(x ** 2)])
    lo = np.clip(centers - half, 0, len(x))
    hi = np.clip(centers + half, 0, len(x))
    power = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
    return 10.0 * np.log10(power + 1e-12)


def _onset(f0: np.ndarray, level_db: np.ndarray, start: float, end: float, target: float, window: float,
           frame_s: float, by_energy: bool) -> float | None:
    a = max(0, int(round((start - window) / frame_s)))
    b = min(len(f0), int(round(min(end, start + window) / frame_s)) + 1)
    if b - a < 3:
        return None
    if by_energy:
        # the consonant between two same-pitch notes is a dip in level; the vowel starts where the level
        # is back above the midpoint (in dB) between that dip and the note's own level
        dip = a + int(np.argmin(level_db[a:b]))
        note_level = float(np.median(level_db[int(start / frame_s): max(int(end / frame_s), int(start / frame_s) + 1)]))
        back = np.flatnonzero((level_db[dip:b] > (level_db[dip] + note_level) / 2.0) & (f0[dip:b] > 0))
        return (dip + int(back[0])) * frame_s if back.size else None
    with np.errstate(divide="ignore", invalid="ignore"):
        close = (f0[a:b] > 0) & (np.abs(1200.0 * np.log2(f0[a:b] / target)) < 50.0)
    run = np.convolve(close.astype(np.int8), np.ones(3, dtype=np.int8), mode="valid") == 3
    hits = np.flatnonzero(run)
    return (a + int(hits[0])) * frame_s if hits.size else None
