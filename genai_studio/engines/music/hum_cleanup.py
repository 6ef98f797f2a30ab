"""Turning detected hum segments into notes a musician would write: one line, no scraps, on the grid.

Input is what :mod:`.hum` decodes from the model — segments in seconds with a pitch, a confidence and a
loudness. A voice leaves three kinds of debris there: scoops (a few tens of ms just below the target pitch
before the note settles), fall-offs at note ends, and dropouts (the decoder losing a held note for a frame or
two). The rules below remove each, then the line is put on the tempo grid and, if asked, into a key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from genai_studio.core.music import Key, Note

FRAGMENT_S = 0.06  # anything shorter than this is never a sung note, whatever the minimum note length
JOIN_GAP_S = 0.05  # fragments this close to a neighbour belong to it (scoop into it / fall off it)
SCOOP_SEMITONES = 2  # a scoop or fall-off stays within a whole tone of the note it belongs to
DROPOUT_GAP_S = 0.04  # same pitch resumed after less than this, without a new onset, is one note


@dataclass(frozen=True)
class RawNote:
    start: float  # seconds
    end: float  # seconds
    pitch: int  # MIDI
    strength: float  # mean model posterior 0..1
    level_db: float  # loudest RMS inside the note, dBFS
    articulated: bool = True  # starts with evidence of a new attack (onset peak / loudness dip)
    lean: float = 0.0  # >0: the voice sat sharp of ``pitch`` (toward pitch+1), <0 flat; used by key snapping

    @property
    def duration(self) -> float:
        return self.end - self.start


def clean_line(raw: list[RawNote], min_note_s: float) -> list[RawNote]:
    """One monophonic line: scoops/fall-offs folded into their notes, dropouts bridged, scraps removed."""
    line = sorted(raw, key=lambda n: n.start)
    line = _absorb_fragments(line, max(FRAGMENT_S, min_note_s))
    line = _bridge_dropouts(line)
    # Overlaps cannot come out of one Viterbi path, but notes extended by absorbing may touch the next one.
    out: list[RawNote] = []
    for n in line:
        if out and n.start < out[-1].end:
            out[-1] = replace(out[-1], end=n.start)
        out.append(n)
    return [n for n in out if n.duration > 0]


def _absorb_fragments(line: list[RawNote], short_s: float) -> list[RawNote]:
    """Fold each note shorter than ``short_s`` into the neighbour it is a scoop or fall-off of, else drop it.

    Shortest first, so a scrap next to another scrap cannot claim it before the real note does.
    """
    notes = list(line)
    while True:
        shorts = [i for i, n in enumerate(notes) if n.duration < short_s]
        if not shorts:
            return notes
        i = min(shorts, key=lambda k: notes[k].duration)
        frag = notes.pop(i)
        nxt = notes[i] if i < len(notes) else None
        prev = notes[i - 1] if i > 0 else None
        if nxt is not None and _belongs(frag, nxt, nxt.start - frag.end):
            # A scoop: the note really started when the voice did.
            notes[i] = replace(nxt, start=frag.start, articulated=nxt.articulated or frag.articulated)
        elif prev is not None and _belongs(frag, prev, frag.start - prev.end):
            notes[i - 1] = replace(prev, end=frag.end)


def _belongs(frag: RawNote, note: RawNote, gap: float) -> bool:
    return gap <= JOIN_GAP_S and abs(frag.pitch - note.pitch) <= SCOOP_SEMITONES and note.duration > frag.duration


def _bridge_dropouts(line: list[RawNote]) -> list[RawNote]:
    """Join a pitch that resumes after a tiny gap with no new attack: the decoder lost it, the singer did not."""
    out: list[RawNote] = []
    for n in line:
        if (out and n.pitch == out[-1].pitch and n.start - out[-1].end <= DROPOUT_GAP_S
                and not n.articulated):
            prev = out[-1]
            out[-1] = replace(prev, end=n.end, strength=max(prev.strength, n.strength),
                              level_db=max(prev.level_db, n.level_db))
        else:
            out.append(n)
    return out


def snap_pitch(pitch: int, key: Key, lean: float = 0.0) -> int:
    """Nearest scale tone to ``pitch``; between two equally near ones, the side the voice leaned to."""
    if key.contains(pitch):
        return pitch
    up = next(p for p in range(pitch + 1, pitch + 12) if key.contains(p))
    down = next(p for p in range(pitch - 1, pitch - 12, -1) if key.contains(p))
    if up - pitch != pitch - down:
        return up if up - pitch < pitch - down else down
    return up if lean > 0 else down


def to_melody_notes(line: list[RawNote], seconds_per_beat: float, grid_beats: float, min_note_beats: float,
                    key: Key | None = None) -> list[Note]:
    """Seconds → beats on the grid, one note per grid onset, rests of one grid step or less closed.

    Velocity follows loudness: the loudest note gets 100, every 2/3 dB quieter one step less (30..127).
    """
    if not line:
        return []
    loudest = max(n.level_db for n in line)
    placed: list[tuple[float, float, RawNote]] = []  # (start beats, end beats, source)
    for n in line:
        start, end = n.start / seconds_per_beat, n.end / seconds_per_beat
        if grid_beats > 0:
            start = round(start / grid_beats) * grid_beats
            end = max(start + grid_beats, round(end / grid_beats) * grid_beats)
        else:
            start, end = round(start, 4), round(end, 4)
        start = max(0.0, start)
        if placed and start <= placed[-1][0] + 1e-9:
            # Two notes on one grid slot: keep the one that was sung longer.
            if n.duration > placed[-1][2].duration:
                placed[-1] = (placed[-1][0], max(end, placed[-1][0] + grid_beats), n)
            continue
        placed.append((start, end, n))
    notes: list[Note] = []
    for i, (start, end, n) in enumerate(placed):
        if i + 1 < len(placed):
            nxt = placed[i + 1][0]
            # A rest of up to one grid step inside a sung line is a breath or a consonant, not a rest.
            end = nxt if end > nxt or (grid_beats > 0 and nxt - end <= grid_beats + 1e-9) else end
        if end - start < min_note_beats - 1e-9 and grid_beats <= 0:
            continue
        pitch = snap_pitch(n.pitch, key, n.lean) if key is not None else n.pitch
        velocity = int(min(127, max(30, round(100 + 1.5 * (n.level_db - loudest)))))
        notes.append(Note(pitch, start, end - start, velocity))
    return notes
