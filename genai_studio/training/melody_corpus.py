"""Tune-book parsing for the melody corpus: a music21 part → contiguous events on the 1/12-beat grid.

Used by ``scripts/build_melody_corpus.py``. The books need care a plain MIDI export would lose: the
exact position of every note in its bar (pickups, bars split over a section's repeat sign), ties
merged, grace notes and chord symbols dropped, chords reduced to their top note. (Reading a user's
MusicXML/ABC file as a Melody is mediaio's job: ``mediaio.midi.load_melody``.)

music21 is imported inside the functions: it takes about a second to import.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genai_studio.core.melody_events import TICKS_PER_BEAT, MelodyEvents
from genai_studio.core.music import MODES, Key, Meter
# ABC / music21 mode names folded onto the four modes the app knows (lydian ≈ major, phrygian ≈ minor:
# one scale degree apart, and rare in these books).
_MODE_FOLD = {"major": "major", "ionian": "major", "lydian": "major", "minor": "minor", "aeolian": "minor",
              "phrygian": "minor", "dorian": "dorian", "mixolydian": "mixolydian"}


class TuneRejected(ValueError):
    """A tune that cannot become a clean monophonic event list; ``reason`` is a short counting key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _key_of(stream: Any, analyse_whole: Any = None) -> Key:
    """Key from the first key.Key in the stream (ABC K: field with its mode), else music21's analysis."""
    from music21 import key as m21key

    for k in stream.recurse().getElementsByClass(m21key.KeySignature):
        if isinstance(k, m21key.Key):
            mode = _MODE_FOLD.get(str(k.mode).lower())
            if mode is None:
                raise TuneRejected("unsupported-mode", str(k.mode))
            return Key(k.tonic.pitchClass, mode)
        break  # a bare key signature: its mode is ambiguous, so analyse the notes
    analysed = (analyse_whole if analyse_whole is not None else stream).analyze("key")
    return Key(analysed.tonic.pitchClass, _MODE_FOLD.get(str(analysed.mode).lower(), "major"))


def _meter_of(part: Any) -> Meter:
    from music21 import meter as m21meter

    first = next(iter(part.recurse().getElementsByClass(m21meter.TimeSignature)), None)
    if first is None:
        raise TuneRejected("no-meter")
    return Meter(int(first.numerator), int(first.denominator))


def _measure_items(measure: Any) -> list[tuple[float, float, int, bool, bool]]:
    """(offset, length, pitch|-1, tie_continues_previous, is_chord) for the sounding items of a bar."""
    from music21 import chord, harmony

    if len([v for v in measure.voices if v.notesAndRests]) > 1:
        raise TuneRejected("polyphonic", "several voices in one bar")
    items = []
    for el in measure.recurse().notesAndRests:
        length = float(el.quarterLength)
        if length <= 0 or el.duration.isGrace or isinstance(el, harmony.ChordSymbol):
            continue  # grace notes and chord symbols take no time in the melody line
        if el.isRest:
            items.append((float(el.getOffsetInHierarchy(measure)), length, -1, False, False))
            continue
        is_chord = isinstance(el, chord.Chord)
        pitch = max(p.midi for p in el.pitches) if is_chord else el.pitch.midi  # top note carries the tune
        tied = el.tie is not None and el.tie.type in ("stop", "continue")
        items.append((float(el.getOffsetInHierarchy(measure)), length, pitch, tied, is_chord))
    return sorted(items)


def events_from_part(part: Any, key: Key, title: str = "", min_notes: int = 16) -> MelodyEvents:
    """Walk the bars of one music21 part into contiguous tick events with their in-bar positions.

    Bars shorter than the meter are placed by context: the first one is a pickup (it ends on a bar
    line), one that completes the previous short bar continues it (a bar split over a section's
    repeat sign), any other starts on a bar line. Tied notes are merged.
    """
    meter = _meter_of(part)
    bar = int(round(meter.beats_per_bar * TICKS_PER_BEAT))
    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        raise TuneRejected("no-bars")
    pitch: list[int] = []
    dur: list[int] = []
    pos: list[int] = []
    stats = {"chords": 0, "overfull_bars": 0}
    carry = 0  # position where the next bar starts when the previous one was cut short
    for index, measure in enumerate(measures):
        items = _measure_items(measure)
        if not items:
            continue
        length = int(round(max(o + q for o, q, *_ in items) * TICKS_PER_BEAT))
        if length > bar:
            stats["overfull_bars"] += 1
            start = 0
        elif index == 0 and length < bar:
            start = bar - length  # pickup
        elif carry and carry + length <= bar:
            start = carry
        else:
            start = 0
        end_of_bar = start + length
        carry = end_of_bar if end_of_bar < bar else 0
        cursor = start  # next free tick in this bar: gaps become rests, overlaps are trimmed
        for offset, q, p, tied, is_chord in items:
            on = start + int(round(offset * TICKS_PER_BEAT))
            off = start + int(round((offset + q) * TICKS_PER_BEAT))
            on = max(on, cursor)
            if off <= on:
                continue  # shorter than one tick after quantization (e.g. a 32nd of a triplet)
            if on > cursor:
                pitch.append(-1), dur.append(on - cursor), pos.append(cursor % bar)
            stats["chords"] += is_chord
            if tied and pitch and pitch[-1] == p and on == cursor:
                dur[-1] += off - on  # a tie continues the previous note, across the bar line too
            else:
                pitch.append(p), dur.append(off - on), pos.append(on % bar)
            cursor = off
    while pitch and pitch[-1] < 0:  # trailing rests say nothing about the tune
        pitch.pop(), dur.pop(), pos.pop()
    while pitch and pitch[0] < 0:
        pitch.pop(0), dur.pop(0), pos.pop(0)
    notes = sum(1 for p in pitch if p >= 0)
    if notes < min_notes:
        raise TuneRejected("tiny", f"{notes} notes")
    if stats["overfull_bars"] > max(1, len(measures) // 10):
        raise TuneRejected("irregular-bars", "meter changes or overfull bars")
    if stats["chords"] > notes // 5:
        raise TuneRejected("polyphonic", "chords in the melody line")
    return MelodyEvents(np.asarray(pitch, np.int16), np.asarray(dur, np.int32), np.asarray(pos, np.int32),
                      meter, key, title, stats)


def events_from_score(score: Any, title: str = "", analyse_key_on_score: bool = False,
                      min_notes: int = 16) -> MelodyEvents:
    """The melody (first part) of a parsed music21 score or part."""
    parts = list(getattr(score, "parts", [])) or [score]
    melody_part = parts[0]
    key = _key_of(melody_part, score if analyse_key_on_score else None)
    if not title and getattr(score, "metadata", None) is not None:
        title = score.metadata.title or ""
    return events_from_part(melody_part, key, title, min_notes)


assert set(_MODE_FOLD.values()) <= set(MODES)
