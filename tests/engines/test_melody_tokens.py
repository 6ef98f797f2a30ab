"""Melody events and tokens: lossless round trips, transposition, features shared by training and sampling."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.core.melody_events import (REST, TICKS_PER_BEAT, estimate_key, events_to_melody, in_key_ratio,
                                             melody_to_events)
from genai_studio.core.music import Key, Melody, Meter, Note
from genai_studio.engines.music import tokens as tk
from genai_studio.engines.music.corpus import load_corpus


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_corpus_is_the_licensed_books_only(corpus):
    books = {t.book for t in corpus}
    assert books == {"oneills1850", "airdsAirs", "ryansMammoth", "miscFolk", "bachChorales"}
    assert len(corpus) > 4000
    splits = {s: sum(t.split == s for t in corpus) for s in ("train", "valid", "test")}
    assert splits["test"] > 150 and splits["valid"] > 150 and splits["train"] > 3500
    # the same title always lands in the same split (tunes printed in two books cannot leak)
    by_title: dict[str, set[str]] = {}
    for t in corpus:
        by_title.setdefault(t.title.lower().strip(" ."), set()).add(t.split)
    assert sum(len(s) > 1 for s in by_title.values()) < 0.01 * len(by_title)


def test_corpus_events_are_contiguous_bars(corpus):
    resets = total = 0
    for t in corpus[::7]:
        ev = t.events
        assert (ev.dur > 0).all() and (ev.pos >= 0).all() and (ev.pos < ev.bar_ticks).all()
        expected = (ev.pos[:-1] + ev.dur[:-1]) % ev.bar_ticks
        resets += int((expected != ev.pos[1:]).sum())
        total += len(ev) - 1
    assert resets < 0.01 * total  # only at the books' split section-end bars


def test_flat_tokens_round_trip_every_in_vocabulary_tune(corpus):
    checked = 0
    for t in corpus:
        ev = t.events
        if not np.isin(ev.dur, tk.DUR_VALUES).all():
            continue
        enc = tk.encode_events(ev, t.style)
        back = tk.decode_flat(tk.flat_tokens(enc), ev.key, ev.meter)
        assert back.pitch.tolist() == ev.pitch.tolist()
        assert back.dur.tolist() == ev.dur.tolist()
        assert back.pos.tolist() == ev.pos.tolist()
        checked += 1
    assert checked > 0.99 * len(corpus)


def test_melody_events_round_trip():
    notes = (Note(62, 1.5, 0.5), Note(66, 2.0, 1.0), Note(69, 3.5, 0.25), Note(74, 3.75, 1 / 3), Note(73, 4 + 1 / 12, 2.0))
    melody = Melody(notes, 100.0, "D major", "4/4", "t")
    ev = melody_to_events(melody)
    assert ev.pitch.tolist() == [62, 66, REST, 69, 74, 73]  # the gap at beat 3 is a rest
    assert ev.pos.tolist() == [18, 24, 36, 42, 45, 1]
    back = events_to_melody(ev, 100.0, "t", accent=False)
    assert [(n.pitch, n.start, round(n.duration, 9)) for n in back.notes] == \
           [(n.pitch, n.start, round(n.duration, 9)) for n in notes]


def test_polyphony_becomes_its_top_line():
    chord = (Note(60, 0, 1), Note(64, 0, 1), Note(67, 0, 2), Note(62, 1, 1), Note(72, 2, 1))
    ev = melody_to_events(Melody(chord, key="C major"))
    assert ev.pitch.tolist() == [67, 72] and ev.dur.tolist() == [24, 12]
    with pytest.raises(BadInput):
        melody_to_events(Melody((), key="C major"))


def test_transposition_keeps_scale_degrees_and_moves_register_by_octaves():
    pitch = np.array([62, 66, 69, 74, REST, 61])  # D F# A D' rest C# in D major
    base = tk.pitch_tokens(pitch, tonic=2)
    assert base[4] == tk.PITCH_REST
    for t in range(-6, 6):
        moved = tk.pitch_tokens(pitch, tonic=2, transpose=t)
        shift = moved[:4] - base[:4]
        assert len(set(shift.tolist())) == 1 and shift[0] % 12 == 0  # same degrees, ±an octave at most
        assert moved[4] == tk.PITCH_REST
    assert tk.abs_pitch_of(int(base[0]), 2) == 62
    # pitches beyond the vocabulary fold by octaves instead of failing
    folded = tk.pitch_tokens(np.array([127, 0]), tonic=0)
    assert ((0 <= folded) & (folded < tk.PITCH_REST)).all()


def test_style_rules():
    eighths = np.full(32, 6)
    assert tk.style_of("oneills1850", Meter(6, 8), eighths) == "jig"
    assert tk.style_of("ryansMammoth", Meter(2, 2), eighths) == "reel"
    assert tk.style_of("airdsAirs", Meter(3, 4), np.full(20, 12)) == "air"
    assert tk.style_of("airdsAirs", Meter(4, 4), np.full(20, 24)) == "air"
    assert tk.style_of("bachChorales", Meter(4, 4), eighths) == "hymn"


def test_lookback_features_point_at_the_same_spot_earlier_bars(corpus):
    tune = next(t for t in corpus if str(t.events.meter) == "6/8" and t.events.pos[0] == 0)
    enc = tk.encode_events(tune.events, tune.style)
    bar = tune.events.bar_ticks
    onsets = np.concatenate([[0], np.cumsum(tune.events.dur)])  # contiguous from a bar line
    for step in range(1, enc.n_events):
        for k, lag in enumerate(tk.LOOKBACK_BARS):
            j = enc.lb_index[step, k]
            target = onsets[step] - lag * bar
            if target < 0:
                assert j == -1
            else:
                assert onsets[j] <= target < onsets[j] + tune.events.dur[j]
                assert enc.lb_onset[step, k] == (onsets[j] == target)


def test_estimate_key_finds_the_key_of_corpus_tunes(corpus):
    tunes = [t for t in corpus if t.events.key.mode == "major" and t.book == "oneills1850"][:60]
    hits = sum(estimate_key(t.events).tonic == t.events.key.tonic for t in tunes)
    assert hits >= 0.8 * len(tunes)
    assert in_key_ratio(tunes[0].events, tunes[0].events.key) > 0.8


def test_meters_longer_than_the_model_are_bad_input():
    with pytest.raises(BadInput):
        tk.check_meter(Meter(7, 4))
    tk.check_meter(Meter(12, 8))
    assert TICKS_PER_BEAT * 6 == tk.MAX_BAR_TICKS
    assert Key(2, "major").contains(61)
