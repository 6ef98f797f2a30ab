"""Generate, continue, vary and interpolate melodies with MelodyGRU under hard musical constraints.

Pure functions of (model, melodies, parameters, seed): the same seed gives the same melody. Key/scale
lock, the pitch range, full bars and a tonic ending always hold (see :mod:`sampler`). Progress goes to
an optional ProgressToken once per bar, which also makes the loops cancellable.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.melody_events import (REST, TICKS_PER_BEAT, MelodyEvents, estimate_key, events_to_melody,
                                             in_key_ratio, melody_to_events)
from genai_studio.core.music import Key, Melody, Meter, parse_key, parse_meter
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.music import tokens as tk
from genai_studio.engines.music.melody_runtime import MelodyRuntime, load_melody_model
from genai_studio.engines.music.sampler import MelodySampler, Segment

DEFAULT_RANGE = (55, 84)  # G3..C6: a fiddle's first two positions, a comfortable singing/whistle range


def _check(bars: int, temperature: float, tempo: float | None = None, pitch_range: tuple[int, int] | None = None) -> None:
    if not 1 <= int(bars) <= 64:
        raise BadInput(f"bars must be between 1 and 64, got {bars}")
    if not 0.05 <= float(temperature) <= 3.0:
        raise BadInput(f"temperature must be between 0.05 and 3, got {temperature}")
    if tempo is not None and not 20 <= float(tempo) <= 300:
        raise BadInput(f"tempo must be between 20 and 300 BPM, got {tempo:g}")
    if pitch_range is not None:
        lo, hi = pitch_range
        if not 0 <= lo < hi <= 127 or hi - lo < 7:
            raise BadInput(f"the pitch range {lo}..{hi} must span at least 7 semitones within 0..127")


MAX_SEED = 2**63 - 1


def _seed(seed: int | None) -> tuple[int, np.random.Generator]:
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**31))
    if not 0 <= int(seed) <= MAX_SEED:
        raise BadInput(f"the seed must be a whole number from 0 to {MAX_SEED}, got {seed}")
    return int(seed), np.random.default_rng(int(seed))


def _style(style: str | None, events: MelodyEvents | None = None, meter: Meter | None = None) -> str:
    if style is not None:
        if style not in tk.STYLES:
            raise BadInput(f"unknown style '{style}'; use one of {', '.join(tk.STYLES)}")
        return style
    assert events is not None
    return tk.style_of("", events.meter, events.dur)


def _reporter(token: ProgressToken | None, start: int, end: int):
    if token is None:
        return None
    token.report(0, 1)
    return lambda tick: token.report(max(0, tick - start), max(1, end - start))


def _model(model: MelodyRuntime | None) -> MelodyRuntime:
    return model if model is not None else load_melody_model()


def _finish(sampler: MelodySampler, first_tick: int, tempo: float, name: str, metadata: dict,
            source: Melody | None = None) -> Melody:
    melody = events_to_melody(sampler.events(), tempo, name, start_tick=first_tick)
    if source is not None:
        melody = keep_performance(melody, source)
    return replace(melody, metadata=metadata)


GENERATED_OFFBEAT_VELOCITY = 84  # what events_to_melody gives a note that is not on a downbeat


def keep_performance(result: Melody, source: Melody) -> Melody:
    """``result`` played like ``source``: its instrument, the exact velocity of every note it kept from the
    source (same onset and pitch), and new notes scaled to the source's typical loudness (the generated
    downbeat accent is kept as a ratio), so continuing a soft violin line does not turn it into a loud piano."""
    if not source.notes:
        return replace(result, program=source.program)
    kept = {(round(n.start * TICKS_PER_BEAT), n.pitch): n.velocity for n in source.notes}
    typical = float(np.median([n.velocity for n in source.notes]))
    notes = tuple(replace(n, velocity=kept.get((round(n.start * TICKS_PER_BEAT), n.pitch),
                                               int(np.clip(round(n.velocity * typical / GENERATED_OFFBEAT_VELOCITY),
                                                           1, 127))))
                  for n in result.notes)
    return replace(result, notes=notes, program=source.program)


def generate(model: MelodyRuntime | None, key: Key | str = "D major", meter: Meter | str = "4/4", bars: int = 8,
             tempo: float = 120.0, style: str = "reel", temperature: float = 1.0, seed: int | None = None,
             pitch_range: tuple[int, int] = DEFAULT_RANGE, token: ProgressToken | None = None) -> Melody:
    """A new melody of exactly ``bars`` bars, starting on the downbeat and ending on the tonic."""
    key = parse_key(key) if isinstance(key, str) else key
    meter = parse_meter(meter) if isinstance(meter, str) else meter
    _check(bars, temperature, tempo, pitch_range)
    tk.check_meter(meter)
    seed, rng = _seed(seed)
    sampler = MelodySampler(_model(model), key, meter, _style(style), pitch_range[0], pitch_range[1],
                            temperature, rng)
    end = bars * sampler.bar
    sampler.run([Segment(0, end)], end, _reporter(token, 0, end))
    return _finish(sampler, 0, tempo, f"{style} in {key}", {"model": "melody-folk", "seed": seed, "style": style,
                                                               "temperature": temperature, "bars": bars})


def melody_context(melody: Melody, pitch_range: tuple[int, int] | None = None) -> tuple[MelodyEvents, Key, tuple[int, int]]:
    """Events of a user's melody, the key to lock to and a range around its notes.

    The declared key is kept when ≥ 90% of the notes belong to it; otherwise (e.g. a MIDI file without a
    key signature, read as C major) the key is estimated from the notes.
    """
    if not melody.notes:
        raise BadInput(f"'{melody.name}' has no notes")
    meter = parse_meter(melody.time_signature)
    tk.check_meter(meter)
    events = melody_to_events(melody, meter=meter)
    try:
        declared = parse_key(melody.key)
    except BadInput:
        declared = None
    if declared is None or in_key_ratio(events, declared) < 0.9:
        estimated = estimate_key(events)
        if declared is None or in_key_ratio(events, estimated) > in_key_ratio(events, declared):
            declared = estimated
    events = replace(events, key=declared)
    if pitch_range is None:
        sounding = events.pitch[events.pitch >= 0]
        lo, hi = int(sounding.min()) - 2, int(sounding.max()) + 2
        pad = max(0, 12 - (hi - lo))  # leave room to move: at least an octave
        pitch_range = (max(0, lo - pad // 2), min(127, hi + pad - pad // 2))
    _check(1, 1.0, None, pitch_range)
    return events, declared, pitch_range


def _first_tick(melody: Melody) -> int:
    return min(round(n.start * TICKS_PER_BEAT) for n in melody.notes)


def continue_melody(model: MelodyRuntime | None, melody: Melody, bars: int = 4, temperature: float = 1.0,
                    seed: int | None = None, pitch_range: tuple[int, int] | None = None, style: str | None = None,
                    token: ProgressToken | None = None) -> Melody:
    """The melody followed by a continuation: first its last bar is completed, then ``bars`` more bars.
    The original notes are kept exactly (a polyphonic input keeps only its top line)."""
    _check(bars, temperature)
    events, key, pitch_range = melody_context(melody, pitch_range)
    seed, rng = _seed(seed)
    first = _first_tick(melody)
    sampler = MelodySampler(_model(model), key, events.meter, _style(style, events), pitch_range[0], pitch_range[1],
                            temperature, rng, first_tick=first)
    for p, d in zip(events.pitch.tolist(), events.dur.tolist()):
        sampler.prime(p, d)
    prefix_end = sampler.tick
    bar = sampler.bar
    end = (-(-prefix_end // bar) + bars) * bar
    segments = ([Segment(prefix_end, -(-prefix_end // bar) * bar)] if prefix_end % bar else []) + [
        Segment(-(-prefix_end // bar) * bar, end)]
    sampler.run(segments, end, _reporter(token, prefix_end, end))
    meta = {"model": "melody-folk", "seed": seed, "continued_from_beat": prefix_end / TICKS_PER_BEAT,
            "prefix_notes": int(events.n_notes), "bars_added": bars}
    return _finish(sampler, first, melody.tempo_bpm, f"{melody.name} (continued)", meta, source=melody)


def _bar_events(events: MelodyEvents, first: int, bar_start: int, bar_end: int) -> list[tuple[int, int]]:
    """(pitch|REST, ticks) covering [bar_start, bar_end) exactly, cut from contiguous events."""
    out: list[tuple[int, int]] = []
    tick = first
    for p, d in zip(events.pitch.tolist(), events.dur.tolist()):
        on, off = max(tick, bar_start), min(tick + d, bar_end)
        if off > on:
            out.append((p, off - on))
        tick += d
    covered = sum(d for _, d in out)
    head = max(0, min(first, bar_end) - bar_start)  # before the first note (a pickup's empty beats)
    if head:
        out.insert(0, (REST, head))
    if covered + head < bar_end - bar_start:
        out.append((REST, bar_end - bar_start - covered - head))
    return out


def _contour_filter(events: MelodyEvents, first: int, band: int, key_tonic: int):
    """Pitch filter keeping the original's up/down shape and staying within ``band`` semitones of it.

    The original's pitch sounding at a tick is its reference there; a new note must move in the same
    direction from the previous new note as the reference moves between their two onsets."""
    onsets = first + np.concatenate([[0], np.cumsum(events.dur)[:-1]])
    pitches = events.pitch.copy()
    for i in range(len(pitches)):  # rests take the pitch before them, so the contour is defined everywhere
        if pitches[i] < 0:
            pitches[i] = pitches[i - 1] if i else next(p for p in pitches if p >= 0)
    tok_pitch = 60 + key_tonic + tk.REL_LO + np.arange(tk.PITCH_SIZE)  # absolute pitch of each token

    def ref_at(tick: int) -> int:
        return int(pitches[max(0, np.searchsorted(onsets, tick, side="right") - 1)])

    def narrow(tick: int, prev: tuple[int, int] | None, mask: np.ndarray) -> np.ndarray:
        ref = ref_at(tick)
        out = mask & (np.abs(tok_pitch - ref) <= band)
        if prev is not None:
            prev_pitch, prev_tick = prev
            same_dir = (np.sign(tok_pitch - prev_pitch) == np.sign(ref - ref_at(prev_tick))) & out
            out = same_dir if same_dir[: tk.PITCH_REST].any() else out
        out[tk.PITCH_REST] = mask[tk.PITCH_REST]
        return out

    return narrow


def vary(model: MelodyRuntime | None, melody: Melody, mode: str = "keep_rhythm", amount: float = 0.5,
         seed: int | None = None, temperature: float = 1.0, pitch_range: tuple[int, int] | None = None,
         style: str | None = None, token: ProgressToken | None = None) -> Melody:
    """A variation of the same length and meter.

    keep_rhythm: every duration and onset is kept; each pitch is re-sampled with probability ``amount``.
    keep_contour: the up/down shape is kept and every new pitch stays within 2 + 7·amount semitones of
      the original's; each bar is re-composed (new rhythm) with probability ``amount``, and in the
      other bars each pitch is re-sampled with probability ``amount``.
    free: each bar is re-composed by the model with probability ``amount`` (others kept), so new bars
      still answer the kept ones through the model's lookbacks.
    amount = 0 returns the melody (in its key) unchanged.
    """
    if mode not in ("keep_rhythm", "keep_contour", "free"):
        raise BadInput(f"unknown variation mode '{mode}'; use keep_rhythm, keep_contour or free")
    if not 0.0 <= amount <= 1.0:
        raise BadInput(f"amount must be between 0 and 1, got {amount}")
    _check(1, temperature)
    events, key, pitch_range = melody_context(melody, pitch_range)
    seed, rng = _seed(seed)
    first = _first_tick(melody)
    sampler = MelodySampler(_model(model), key, events.meter, _style(style, events), pitch_range[0], pitch_range[1],
                            temperature, rng, first_tick=first)
    bar = sampler.bar
    end_of_notes = first + int(events.dur.sum())
    end = -(-end_of_notes // bar) * bar
    if mode == "keep_rhythm":
        # the rhythm is kept exactly, so the piece ends where the melody ends, not at the next bar line
        end = end_of_notes
        plan = [(p, d, p >= 0 and bool(rng.random() < amount)) for p, d in zip(events.pitch.tolist(), events.dur.tolist())]
        segments = [Segment(first, end, plan)]
    else:
        contour = _contour_filter(events, first, 2 + round(7 * amount), key.tonic) if mode == "keep_contour" else None
        segments = []
        for bar_start in range(first - first % bar, end, bar):
            start, stop = max(bar_start, first), bar_start + bar
            if rng.random() < amount:
                segments.append(Segment(start, stop, None, contour))
            else:
                kept = [(p, d, mode == "keep_contour" and p >= 0 and bool(rng.random() < amount))
                        for p, d in _bar_events(events, first, start, stop)]
                segments.append(Segment(start, stop, _close(kept) if stop == end else kept, contour))
    sampler.run(segments, end, _reporter(token, first, end))
    meta = {"model": "melody-folk", "seed": seed, "mode": mode, "amount": amount}
    return _finish(sampler, first, melody.tempo_bpm, f"{melody.name} ({mode.replace('_', ' ')} variation)", meta,
                   source=melody)


def _close(plan: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """A trailing rest becomes part of the last note, so the piece ends on a note held to the bar line."""
    while len(plan) > 1 and plan[-1][0] == REST:
        rest = plan.pop()
        p, d, resample = plan[-1]
        plan[-1] = (p, d + rest[1], resample)
    return plan


def interpolate(model: MelodyRuntime | None, a: Melody, b: Melody, steps: int = 4, seed: int | None = None,
                temperature: float = 1.0, token: ProgressToken | None = None) -> list[Melody]:
    """``steps`` melodies moving from A towards B (A and B themselves excluded).

    Bar-wise crossfade: B is transposed to A's key and both are aligned on their first downbeat; each
    bar gets a seeded switch point u in (0, 1). Step j (fraction f = (j+1)/(steps+1)) takes bar k from
    B when u_k < f, else from A, so each step keeps every bar the previous step took from B. The model
    then re-sings the seams: the first and last note of a bar whose source differs from its
    neighbour's is re-sampled (rhythm kept), plus a few other notes, most in the middle steps, all
    under A's key and the union of both ranges. (No latent space: the path is discrete by bars.)
    """
    if not 1 <= steps <= 16:
        raise BadInput(f"steps must be between 1 and 16, got {steps}")
    _check(1, temperature)
    if a.notes and a.notes == b.notes:
        raise BadInput(f"'{a.name}' and '{b.name}' are the same melody; choose two different ones to interpolate "
                       "between")
    ev_a, key, range_a = melody_context(a)
    ev_b, key_b, range_b = melody_context(b)
    if str(ev_a.meter) != str(ev_b.meter):
        raise BadInput(f"both melodies need the same time signature ({a.name} is {ev_a.meter}, {b.name} is {ev_b.meter})")
    shift = (key.tonic - key_b.tonic + 6) % 12 - 6
    ev_b = replace(ev_b, pitch=np.where(ev_b.pitch >= 0, ev_b.pitch + shift, REST), key=key)
    seed, rng = _seed(seed)
    runtime = _model(model)
    bar = ev_a.bar_ticks
    firsts = [_first_tick(a), _first_tick(b)]
    downbeat = 1 if any(f % bar for f in firsts) else 0  # where both tunes' first full bar will sit
    firsts = [f + (downbeat - -(-f // bar)) * bar for f in firsts]
    sources = [(ev_a, firsts[0], firsts[0] + int(ev_a.dur.sum())), (ev_b, firsts[1], firsts[1] + int(ev_b.dur.sum()))]
    n_bars = max(-(-end // bar) for _, _, end in sources)
    switch = (rng.permutation(n_bars) + 0.5) / n_bars  # (n_bars,) fraction at which bar k turns into B's
    lo = max(0, min(range_a[0], range_b[0] + shift))
    hi = min(127, max(range_a[1], range_b[1] + shift))
    style = _style(None, ev_a)
    out = []
    for j in range(steps):
        f = (j + 1) / (steps + 1)
        src = []
        for k in range(n_bars):
            want = int(switch[k] < f)
            has = [s_first < (k + 1) * bar and s_end > k * bar for _, s_first, s_end in sources]
            src.append(want if has[want] else 1 - want)
        first = sources[src[0]][1] if sources[src[0]][1] < bar else min(firsts)
        extra = 0.2 * (1 - abs(2 * f - 1))  # extra re-sampling, strongest half-way
        segments = []
        for k in range(first // bar, n_bars):
            ev, s_first, _ = sources[src[k]]
            start, stop = max(k * bar, first), (k + 1) * bar
            cells = _bar_events(ev, s_first, start, stop)
            seam_in = k > first // bar and src[k - 1] != src[k]
            seam_out = k + 1 < n_bars and src[k + 1] != src[k]
            plan = [(p, d, p >= 0 and ((i == 0 and seam_in) or (i == len(cells) - 1 and seam_out)
                                       or bool(rng.random() < extra))) for i, (p, d) in enumerate(cells)]
            segments.append(Segment(start, stop, _close(plan) if k == n_bars - 1 else plan))
        sampler = MelodySampler(runtime, key, ev_a.meter, style, lo, hi, temperature,
                                np.random.default_rng([seed, j]), first_tick=first)
        sampler.run(segments, n_bars * bar)
        meta = {"model": "melody-folk", "seed": seed, "fraction_b": round(f, 4), "bars_from_b": int(sum(src))}
        out.append(_finish(sampler, first, a.tempo_bpm, f"{a.name} to {b.name} {j + 1} of {steps}", meta, source=a))
        if token is not None:
            token.report(j + 1, steps)
    return out
