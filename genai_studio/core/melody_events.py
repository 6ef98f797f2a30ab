"""A melody line as contiguous note/rest events on a 1/12-beat grid, and its conversion from/to Melody.

The melody model, its n-gram baseline and the corpus builder all see a tune as events: MIDI pitch (or
-1 for a rest), duration in ticks and the onset's position inside its bar in ticks. 12 ticks per beat
is exact for sixteenths (3), eighth-note triplets (4) and dotted values. No torch, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.music import MODES, Key, Melody, Meter, Note, parse_key, parse_meter

TICKS_PER_BEAT = 12
REST = -1

# Krumhansl–Kessler key profiles (probe-tone ratings), rotated for the two church modes we support.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass
class MelodyEvents:
    """Contiguous events: event i starts where event i-1 ended (rests fill the gaps)."""

    pitch: np.ndarray  # (N,) int MIDI pitch, REST = -1
    dur: np.ndarray  # (N,) int ticks, > 0
    pos: np.ndarray  # (N,) int ticks: onset position in its bar, 0 ≤ pos < bar_ticks
    meter: Meter
    key: Key
    title: str = ""
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def bar_ticks(self) -> int:
        return bar_ticks(self.meter)

    def __len__(self) -> int:
        return len(self.pitch)

    @property
    def n_notes(self) -> int:
        return int((self.pitch >= 0).sum())


def bar_ticks(meter: Meter) -> int:
    return int(round(meter.beats_per_bar * TICKS_PER_BEAT))


def melody_to_events(melody: Melody, key: Key | None = None, meter: Meter | None = None) -> MelodyEvents:
    """Quantize a Melody to the grid; time 0 is a bar line. Polyphony is reduced to its top line.

    Where notes overlap, the higher one wins and the lower one is cut (the "skyline" melody, which is
    what a listener follows). Raises BadInput for a melody with no notes.
    """
    key = key or parse_key(melody.key)
    meter = meter or parse_meter(melody.time_signature)
    bar = bar_ticks(meter)
    spans: list[tuple[int, int, int]] = []
    for n in sorted(melody.notes, key=lambda n: (n.start, -n.pitch)):
        on, off = round(n.start * TICKS_PER_BEAT), round(n.end * TICKS_PER_BEAT)
        if off <= on:
            off = on + 1  # a grace-like blip still counts as a (one-tick) note
        if spans and on < spans[-1][1]:  # overlap: keep the higher note over the shared time
            p_on, p_off, p_pitch = spans[-1]
            if n.pitch <= p_pitch:
                if off <= p_off:
                    continue
                on = p_off
            else:
                spans[-1] = (p_on, on, p_pitch)
                if on <= p_on:
                    spans.pop()
        spans.append((on, off, n.pitch))
    if not spans:
        raise BadInput(f"'{melody.name}' has no notes")
    pitch, dur, pos = [], [], []
    cursor = spans[0][0]
    for on, off, p in spans:
        if on > cursor:
            pitch.append(REST), dur.append(on - cursor), pos.append(cursor % bar)
        pitch.append(p), dur.append(off - on), pos.append(on % bar)
        cursor = off
    return MelodyEvents(np.asarray(pitch, np.int32), np.asarray(dur, np.int32), np.asarray(pos, np.int32),
                        meter, key, melody.name)


def events_to_melody(events: MelodyEvents, tempo_bpm: float = 120.0, name: str = "melody",
                     start_tick: int | None = None, accent: bool = True) -> Melody:
    """Events back to notes. The first event starts at ``start_tick`` (default: its in-bar position).

    With ``accent`` the first note of each bar is played a little louder, as a fiddler would.
    """
    tick = int(events.pos[0]) if start_tick is None and len(events) else int(start_tick or 0)
    bar = events.bar_ticks
    notes = []
    for p, d in zip(events.pitch.tolist(), events.dur.tolist()):
        if p >= 0:
            velocity = 100 if accent and tick % bar == 0 else 84
            notes.append(Note(int(p), tick / TICKS_PER_BEAT, d / TICKS_PER_BEAT, velocity))
        tick += d
    return Melody(tuple(notes), tempo_bpm, str(events.key), str(events.meter), name)


def estimate_key(events: MelodyEvents) -> Key:
    """Best of the 48 (tonic, mode) keys by profile correlation with the duration-weighted pitch classes.

    The last note breaks near-ties: folk tunes end on their tonic far more often than not.
    """
    hist = np.zeros(12)
    for p, d in zip(events.pitch.tolist(), events.dur.tolist()):
        if p >= 0:
            hist[p % 12] += d
    if not hist.any():
        raise BadInput("no notes to find a key from")
    last = next((p for p in events.pitch[::-1].tolist() if p >= 0), 0)
    best, best_score = Key(0, "major"), -np.inf
    for mode, steps in MODES.items():
        base = _MAJOR_PROFILE if mode in ("major", "mixolydian") else _MINOR_PROFILE
        profile = base.copy()
        if mode == "mixolydian":  # flat seventh instead of the leading tone
            profile[10], profile[11] = profile[11], profile[10]
        if mode == "dorian":  # raised sixth
            profile[8], profile[9] = profile[9], profile[8]
        for tonic in range(12):
            rotated = np.roll(profile, tonic)
            score = float(np.corrcoef(hist, rotated)[0, 1]) + (0.05 if last % 12 == tonic else 0.0)
            # out-of-scale weight is penalized, so a modal key beats its parent only when it fits better
            out = sum(hist[(tonic + s) % 12] for s in range(12) if s not in steps) / hist.sum()
            score -= 0.5 * out
            if score > best_score:
                best, best_score = Key(tonic, mode), score
    return best


def in_key_ratio(events: MelodyEvents, key: Key | None = None) -> float:
    key = key or events.key
    sounding = events.pitch[events.pitch >= 0]
    return float(np.mean([key.contains(int(p)) for p in sounding])) if len(sounding) else 0.0
