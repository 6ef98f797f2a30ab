"""Note edits as pure functions: (notes, selected indices, parameters) -> new notes.

Notes keep their positions in the tuple (an edited note stays at its index), so a selection — a frozenset of
indices — stays valid across an edit; new notes are appended. Times are beats, pitches MIDI numbers.
Results always satisfy Melody's rules (start >= 0, duration > 0, pitch 0..127, velocity 1..127).
"""

from __future__ import annotations

import math
from dataclasses import replace

from genai_studio.core.music import Key, Note

Notes = tuple[Note, ...]
Selection = frozenset[int]
MIN_DURATION = 1 / 64  # beats: the shortest note an unsnapped resize can make


def move(notes: Notes, sel: Selection, d_beats: float, d_pitch: int) -> Notes:
    """Shift the selected notes in time and pitch, clamped so none goes before beat 0 or off the keyboard."""
    d_beats, d_pitch = clamp_move(notes, sel, d_beats, d_pitch)
    return tuple(replace(n, start=max(0.0, n.start + d_beats), pitch=n.pitch + d_pitch) if i in sel else n
                 for i, n in enumerate(notes))


def clamp_move(notes: Notes, sel: Selection, d_beats: float, d_pitch: int) -> tuple[float, int]:
    chosen = [notes[i] for i in sel]
    if not chosen:
        return 0.0, 0
    d_beats = max(d_beats, -min(n.start for n in chosen))
    d_pitch = min(max(d_pitch, -min(n.pitch for n in chosen)), 127 - max(n.pitch for n in chosen))
    return d_beats, d_pitch


def resize(notes: Notes, sel: Selection, d_beats: float, min_duration: float = MIN_DURATION) -> Notes:
    """Lengthen (or shorten) every selected note by ``d_beats``, none shorter than ``min_duration``."""
    return tuple(replace(n, duration=max(min_duration, n.duration + d_beats)) if i in sel else n
                 for i, n in enumerate(notes))


def delete(notes: Notes, sel: Selection) -> Notes:
    return tuple(n for i, n in enumerate(notes) if i not in sel)


def quantize(notes: Notes, sel: Selection, grid: float, strength: float) -> Notes:
    """Pull each selected note's start ``strength`` (0..1) of the way to the nearest grid line.

    Durations are kept: quantizing fixes where notes fall, not how long they ring.
    """
    strength = min(1.0, max(0.0, strength))

    def pulled(n: Note) -> Note:
        target = math.floor(n.start / grid + 0.5) * grid  # half-way rounds later, never to even
        return replace(n, start=max(0.0, n.start + strength * (target - n.start)))

    return tuple(pulled(n) if i in sel else n for i, n in enumerate(notes))


def transpose(notes: Notes, sel: Selection, semitones: int, key: Key | None = None) -> Notes:
    """Move the selected notes by ``semitones``. With ``key`` (scale lock) every result is in the key:
    ±1 steps to the next scale degree in that direction; larger steps move by the interval, then to the
    nearest scale note in the direction of travel. Notes that would leave 0..127 stay where they are."""
    def moved(n: Note) -> Note:
        pitch = _locked(n.pitch, semitones, key) if key is not None else n.pitch + semitones
        return replace(n, pitch=pitch) if 0 <= pitch <= 127 else n

    return tuple(moved(n) if i in sel else n for i, n in enumerate(notes))


def _locked(pitch: int, semitones: int, key: Key) -> int:
    if semitones == 0:
        return pitch
    direction = 1 if semitones > 0 else -1
    target = pitch + (direction if abs(semitones) == 1 else semitones)
    while not key.contains(target) and 0 <= target <= 127:
        target += direction
    return target


def set_velocity(notes: Notes, sel: Selection, velocity: int) -> Notes:
    velocity = min(127, max(1, int(velocity)))
    return tuple(replace(n, velocity=velocity) if i in sel else n for i, n in enumerate(notes))


def copy(notes: Notes, sel: Selection) -> Notes:
    """The selected notes in time order, re-timed so the earliest starts at beat 0 (a clipboard)."""
    chosen = sorted((notes[i] for i in sel), key=lambda n: (n.start, n.pitch))
    if not chosen:
        return ()
    origin = chosen[0].start
    return tuple(replace(n, start=n.start - origin) for n in chosen)


def paste(notes: Notes, clipboard: Notes, at_beat: float) -> tuple[Notes, Selection]:
    """Append the clipboard's notes starting at ``at_beat``; returns the notes and the pasted ones' indices."""
    at_beat = max(0.0, at_beat)
    pasted = tuple(replace(n, start=n.start + at_beat) for n in clipboard)
    return notes + pasted, frozenset(range(len(notes), len(notes) + len(pasted)))


def selection_end(notes: Notes, sel: Selection) -> float:
    """Beat where the last selected note ends (0 without a selection)."""
    return max((notes[i].end for i in sel), default=0.0)
