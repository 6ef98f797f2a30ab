"""Generation with the shipped melody model: the hard constraints hold for every seed, and the
continue / vary / interpolate contracts (prefix kept, rhythm kept, endpoints near A and B)."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.errors import BadInput, Cancelled
from genai_studio.core.melody_events import TICKS_PER_BEAT, events_to_melody
from genai_studio.core.music import Melody, Note, parse_key, parse_meter
from genai_studio.core.progress import CancelToken
from genai_studio.engines.music.corpus import load_corpus
from genai_studio.engines.music.generate import continue_melody, generate, interpolate, vary
from genai_studio.engines.music.melody_runtime import load_melody_model
from genai_studio.engines.music.score import is_bar_valid

CASES = [("D major", "4/4", "reel", (55, 84)), ("G major", "6/8", "jig", (60, 79)),
         ("E minor", "3/4", "air", (52, 76)), ("F major", "4/4", "hymn", (60, 72)),
         ("A dorian", "2/2", "reel", (57, 81)), ("D mixolydian", "9/8", "jig", (62, 86)),
         ("Bb major", "2/4", "reel", (58, 70)), ("C minor", "12/8", "jig", (48, 67))]


@pytest.fixture(scope="module")
def model():
    return load_melody_model()


def _check_constraints(melody: Melody, key: str, lo: int, hi: int, bars: int | None) -> None:
    k = parse_key(key)
    assert melody.notes
    assert all(k.contains(n.pitch) for n in melody.notes), "a note left the key"
    assert all(lo <= n.pitch <= hi for n in melody.notes), "a note left the range"
    assert melody.is_monophonic()
    assert is_bar_valid(melody, bars), "bars are not complete"
    last = max(melody.notes, key=lambda n: n.start)
    assert (last.pitch - k.tonic) % 12 in (0, 3, 4, 7), "the melody does not end on a stable degree"


@pytest.mark.parametrize("key,meter,style,rng", CASES)
def test_constraints_hold_for_many_seeds(model, key, meter, style, rng):
    for seed in range(12):
        temperature = (0.5, 1.0, 1.6)[seed % 3]
        melody = generate(model, key, meter, 4 + seed % 5, 120, style, temperature, seed, rng)
        _check_constraints(melody, key, rng[0], rng[1], 4 + seed % 5)
        assert melody.time_signature == meter and parse_key(melody.key) == parse_key(key)


def test_same_seed_same_melody_and_seeds_differ(model):
    a = generate(model, "D major", "6/8", 8, 110, "jig", 1.0, 7)
    b = generate(model, "D major", "6/8", 8, 110, "jig", 1.0, 7)
    c = generate(model, "D major", "6/8", 8, 110, "jig", 1.0, 8)
    assert a.notes == b.notes and a.notes != c.notes
    assert a.tempo_bpm == 110 and a.metadata["seed"] == 7


def test_generated_melodies_are_tunes_not_noise(model):
    melody = generate(model, "G major", "4/4", 16, 120, "reel", 1.0, 3)
    pitches = [n.pitch for n in melody.notes]
    assert 40 <= len(pitches) <= 200
    assert len(set(pitches)) >= 6  # it moves around the scale…
    steps = np.abs(np.diff(pitches))
    assert np.mean(steps <= 4) > 0.6  # …mostly by step, as folk tunes do


def test_continue_keeps_the_prefix_and_adds_whole_bars(model):
    tune = load_corpus("test")[3]
    prefix = events_to_melody(tune.events, 100.0, "prefix")
    prefix = Melody(prefix.notes[:20], 100.0, prefix.key, prefix.time_signature, "prefix")
    out = continue_melody(model, prefix, 4, seed=1)
    assert out.notes[:20] == prefix.notes
    bar = parse_meter(prefix.time_signature).beats_per_bar
    end = max(n.end for n in out.notes)
    assert end == pytest.approx((np.ceil(prefix.duration_beats / bar - 1e-9) + 4) * bar)
    key = parse_key(out.key)
    assert all(key.contains(n.pitch) for n in out.notes[20:])
    assert out.is_monophonic()


def test_continue_a_polyphonic_clip_uses_its_top_line(model):
    chords = tuple(Note(p, float(i), 1.0) for i in range(8) for p in (60 + (i % 3) * 2, 67 + (i % 3) * 2))
    out = continue_melody(model, Melody(chords, key="C major"), 2, seed=0)
    assert out.is_monophonic()
    assert [n.pitch for n in out.notes[:8]] == [67 + (i % 3) * 2 for i in range(8)]


def test_vary_keep_rhythm_keeps_every_onset_and_duration(model):
    source = generate(model, "A minor", "6/8", 8, 120, "jig", 1.0, 11)
    for amount, seed in ((0.5, 1), (1.0, 2)):
        out = vary(model, source, "keep_rhythm", amount, seed)
        assert [(n.start, n.duration) for n in out.notes] == [(n.start, n.duration) for n in source.notes]
        assert all(parse_key(out.key).contains(n.pitch) for n in out.notes)
        changed = sum(a.pitch != b.pitch for a, b in zip(out.notes, source.notes))
        assert changed >= 0.2 * len(source.notes)
    same = vary(model, source, "keep_rhythm", 0.0, 3)
    assert [n.pitch for n in same.notes] == [n.pitch for n in source.notes]


@pytest.mark.parametrize("mode", ["keep_contour", "free"])
def test_other_variations_keep_length_key_and_bars(model, mode):
    source = generate(model, "D major", "4/4", 8, 120, "reel", 1.0, 5)
    for seed in range(4):
        out = vary(model, source, mode, 0.6, seed)
        _check_constraints(out, source.key, 55, 84, 8)
    untouched = vary(model, source, mode, 0.0, 0)
    assert [(n.pitch, n.start, n.duration) for n in untouched.notes] == \
           [(n.pitch, n.start, n.duration) for n in source.notes]


def test_keep_contour_follows_the_shape(model):
    source = generate(model, "D major", "4/4", 8, 120, "reel", 1.0, 9)
    out = vary(model, source, "keep_contour", 0.3, 4)
    grid = np.arange(0, 32, 0.5)

    def sounding(m: Melody) -> np.ndarray:  # pitch of the latest onset at each eighth-note slot
        return np.array([next(n.pitch for n in reversed(m.notes) if n.start <= t + 1e-9) for t in grid])

    a, b = sounding(source), sounding(out)
    band = 2 + round(7 * 0.3)
    assert np.mean(np.abs(a - b)) <= band  # near the original line…
    assert np.corrcoef(a, b)[0, 1] > 0.5  # …and moving with it


def _distance(x: Melody, y: Melody) -> float:
    """Fraction of sixteenth-note slots where the sounding pitch differs."""
    end = max(x.duration_beats, y.duration_beats)
    grid = np.arange(0, end, 0.25)

    def at(m: Melody, t: float) -> int:
        on = [n.pitch for n in m.notes if n.start <= t + 1e-9 < n.end]
        return on[0] if on else -1

    return float(np.mean([at(x, t) != at(y, t) for t in grid]))


def test_interpolation_moves_from_a_to_b(model):
    a = generate(model, "D major", "6/8", 8, 120, "jig", 1.0, 21)
    b = generate(model, "D major", "6/8", 8, 120, "jig", 1.0, 22)
    steps = interpolate(model, a, b, 5, seed=0)
    assert len(steps) == 5
    to_a = [_distance(m, a) for m in steps]
    to_b = [_distance(m, b) for m in steps]
    assert to_a[0] < to_b[0] and to_b[-1] < to_a[-1]
    assert to_a[-1] > to_a[0] and to_b[0] > to_b[-1]
    for m in steps:
        _check_constraints(m, "D major", 0, 127, 8)


def test_interpolation_across_keys_and_lengths(model):
    a = generate(model, "G major", "4/4", 8, 120, "reel", 1.0, 1)
    b = generate(model, "A major", "4/4", 4, 120, "reel", 1.0, 2)
    out = interpolate(model, a, b, 2, seed=3)
    for m in out:
        assert all(parse_key(m.key).contains(n.pitch) for n in m.notes)
        assert m.is_monophonic() and m.bars == pytest.approx(8)
    with pytest.raises(BadInput):
        interpolate(model, a, generate(model, "G major", "6/8", 4, 120, "jig", 1.0, 2), 2)


def test_bad_parameters_are_clear_errors(model):
    for kwargs in ({"bars": 0}, {"tempo": 0}, {"temperature": 0}, {"pitch_range": (60, 64)},
                   {"style": "polka"}, {"meter": "7/4"}):
        args = {"key": "D major", "meter": "4/4", "bars": 4, "tempo": 120.0, "style": "reel", "seed": 0} | kwargs
        with pytest.raises(BadInput):
            generate(model, **args)
    with pytest.raises(BadInput):
        generate(model, "H major", "4/4", 4)
    with pytest.raises(BadInput):
        continue_melody(model, Melody((), key="C major"), 2)
    with pytest.raises(BadInput):
        vary(model, Melody((Note(60, 0, 1),)), "sideways")


def test_progress_reports_and_cancel(model):
    fractions: list[float] = []
    token = CancelToken(lambda f, _m, _p: fractions.append(f))
    generate(model, "D major", "4/4", 8, 120, "reel", 1.0, 0, token=token)
    assert fractions[-1] == pytest.approx(1.0) and len(fractions) >= 8
    cancelled = CancelToken()
    cancelled.cancel()
    with pytest.raises(Cancelled):
        generate(model, "D major", "4/4", 8, 120, "reel", 1.0, 0, token=cancelled)
    assert TICKS_PER_BEAT == 12


def test_job_entry_points_take_the_panel_specs(model):
    from genai_studio.core.jobs import (MelodyContinueSpec, MelodyGenerateSpec, MelodyInterpolateSpec,
                                        MelodyVarySpec)
    from genai_studio.engines.music import jobs

    token = CancelToken()
    made = jobs.run_generate(MelodyGenerateSpec(key="E minor", meter="6/8", bars=4, style="jig", seed=2,
                                                low=60, high=79), token)
    (melody,) = made.melodies
    _check_constraints(melody, "E minor", 60, 79, 4)
    assert token.fraction == pytest.approx(1.0)
    longer = jobs.run_continue(MelodyContinueSpec(melody=melody, bars=2, seed=1), CancelToken()).melodies[0]
    assert longer.notes[: len(melody.notes)] == melody.notes and longer.bars == pytest.approx(6)
    varied = jobs.run_vary(MelodyVarySpec(melody=melody, mode="free", amount=1.0, seed=3), CancelToken())
    assert varied.melodies[0].bars == pytest.approx(4)
    steps = jobs.run_interpolate(MelodyInterpolateSpec(a=melody, b=varied.melodies[0], steps=3, seed=0), CancelToken())
    assert len(steps.melodies) == 3 and steps.seconds >= 0


def test_continue_vary_and_interpolate_keep_the_instrument_and_dynamics(model):
    """A soft violin line stays a soft violin line: kept notes keep their exact velocity, new notes are
    scaled to the source's typical loudness (accent pattern kept), and the GM program carries over."""
    tune = load_corpus("test")[3]
    base = events_to_melody(tune.events, 100.0, "violin")
    soft = Melody(tuple(Note(n.pitch, n.start, n.duration, 40 + (i % 3) * 5) for i, n in enumerate(base.notes[:20])),
                  100.0, base.key, base.time_signature, "violin", program=40)
    out = continue_melody(model, soft, 4, seed=1)
    assert out.program == 40
    assert out.notes[:20] == soft.notes  # velocities included
    added = [n.velocity for n in out.notes[20:]]
    assert added and max(added) <= 60 and min(added) >= 35  # the generator alone plays 84/100
    same = vary(model, soft, "keep_rhythm", 0.0, 3)  # (its last note may move to the tonic: a hard rule)
    assert same.notes[:-1] == soft.notes[:-1] and same.program == 40
    varied = vary(model, soft, "free", 1.0, 4)
    assert varied.program == 40 and max(n.velocity for n in varied.notes) <= 60
    other = Melody(tuple(Note(n.pitch, n.start, n.duration, 45) for n in base.notes[10:30]), 100.0, base.key,
                   base.time_signature, "other", program=73)
    steps = interpolate(model, soft, other, 2, seed=0)
    assert all(m.program == 40 for m in steps)  # A's instrument, as A's key and tempo


def test_a_negative_seed_and_interpolating_a_melody_with_itself_are_clear_errors(model):
    with pytest.raises(BadInput, match="seed must be a whole number from 0"):
        generate(model, "D major", "4/4", 4, seed=-5)
    tune = events_to_melody(load_corpus("test")[3].events, 100.0, "tune")
    with pytest.raises(BadInput, match="are the same melody"):
        interpolate(model, tune, tune, 2, seed=0)
