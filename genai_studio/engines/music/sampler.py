"""Constrained event-by-event sampling from MelodyRuntime.

Hard rules, enforced by masking logits before each choice (never by rejection, so they always hold):
* key lock and range: a sampled pitch is in the key's scale and inside [low, high];
* full bars: a sampled note never crosses a bar line or the end of its segment, so every bar fills
  exactly; the first and the final event are notes, not rests;
* a sensible ending: the last note starts on the final bar's last strong beat, is as long as the
  rest of the bar, and sits on the tonic (else the fifth, else the third, if the range has no tonic).

Work is described as *segments*: spans of ticks either sampled freely or following given events
(whose pitches may be re-sampled). All times are absolute ticks from the melody's bar line 0.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from genai_studio.core.melody_events import REST, TICKS_PER_BEAT, MelodyEvents, bar_ticks
from genai_studio.core.music import Key, Meter
from genai_studio.engines.music import tokens as tk
from genai_studio.engines.music.melody_runtime import MelodyRuntime

# (tick, (previous note's pitch, its onset tick) or None, allowed mask over pitch tokens) -> narrower mask
PitchFilter = Callable[[int, "tuple[int, int] | None", np.ndarray], np.ndarray]


@dataclass
class Segment:
    start: int
    end: int
    events: list[tuple[int, int, bool]] | None = None  # (pitch|REST, ticks, re-sample pitch?); None = free
    pitch_filter: PitchFilter | None = None


def final_note_ticks(meter: Meter) -> int:
    """Length of the closing note: a dotted quarter in compound time, else a half note (quarter in 2/4)."""
    bar = bar_ticks(meter)
    if meter.denominator == 8 and meter.numerator % 3 == 0:
        return min(bar, 18)
    return TICKS_PER_BEAT if bar <= 2 * TICKS_PER_BEAT else min(bar, 2 * TICKS_PER_BEAT)


@dataclass
class MelodySampler:
    model: MelodyRuntime
    key: Key
    meter: Meter
    style: str
    low: int
    high: int
    temperature: float
    rng: np.random.Generator
    first_tick: int = 0
    pitches: list[int] = field(default_factory=list)  # absolute pitch or REST per event
    durs: list[int] = field(default_factory=list)  # ticks

    def __post_init__(self) -> None:
        tk.check_meter(self.meter)
        self.bar = bar_ticks(self.meter)
        self.meter_class = tk.meter_class(self.meter)
        cond = np.array([tk.STYLES.index(self.style), self.meter_class, tk.MODE_LIST.index(self.key.mode)])
        self._cond_vec = self.model.cond_vector(cond)
        # phrase bars count from the first full bar, as in training (a pickup bar is bar -1)
        self._bar_base = self.first_tick // self.bar + (1 if self.first_tick % self.bar else 0)
        self.tick = self.first_tick
        self._onsets: list[int] = []
        self._ends: list[int] = []
        self._ptoks: list[int] = []
        self._dtoks: list[int] = []
        tonic_ref = 60 + self.key.tonic + tk.REL_LO
        self._tok_pitch = tonic_ref + np.arange(tk.PITCH_REST)  # absolute pitch of each pitch token
        in_key = np.array([self.key.contains(int(p)) for p in self._tok_pitch])
        self.allowed = np.append(in_key & (self._tok_pitch >= self.low) & (self._tok_pitch <= self.high), True)
        if not self.allowed[:-1].any():
            from genai_studio.core.errors import BadInput

            raise BadInput(f"no note of {self.key} lies in the range {self.low}..{self.high}")
        self._stable = [self.allowed & np.append((self._tok_pitch - self.key.tonic) % 12 == degree, False)
                        for degree in (0, 7, 3 if self.key.mode in ("minor", "dorian") else 4)]
        self._state = self.model.step(self.model.initial_state(), self._features())

    # ----- features of the next step, as tokens.encode_events computes them for a whole tune -----
    def _lookback(self, target: int) -> tuple[int, int]:
        j = bisect.bisect_right(self._onsets, target) - 1
        if j < 0 or target >= self._ends[j]:
            return tk.PITCH_NONE, tk.DUR_NONE
        return self._ptoks[j], self._dtoks[j] if self._onsets[j] == target else tk.DUR_HELD

    def _features(self) -> np.ndarray:
        k = len(tk.LOOKBACK_BARS)
        if not self._onsets:
            feats = {"prev_pitch": tk.PITCH_NONE, "prev_dur": tk.DUR_NONE, "exp_pos": tk.POS_START,
                     "bar": tk.BAR_START, "lb_pitch": np.full(k, tk.PITCH_NONE), "lb_dur": np.full(k, tk.DUR_NONE)}
        else:
            looks = [self._lookback(self.tick - lag * self.bar) for lag in tk.LOOKBACK_BARS]
            feats = {"prev_pitch": self._ptoks[-1], "prev_dur": self._dtoks[-1], "exp_pos": self.tick % self.bar,
                     "bar": (self.tick // self.bar - self._bar_base) % tk.PHRASE_BARS,
                     "lb_pitch": np.array([p for p, _ in looks]), "lb_dur": np.array([d for _, d in looks])}
        return self.model.step_inputs(feats, self._cond_vec)

    def _append(self, pitch: int, ptok: int, dur: int) -> None:
        self._onsets.append(self.tick)
        self._ends.append(self.tick + dur)
        self._ptoks.append(ptok)
        self._dtoks.append(int(tk.dur_class(dur)))
        self.pitches.append(pitch)
        self.durs.append(dur)
        self.tick += dur
        self._state = self.model.step(self._state, self._features())

    # ----- choosing -----
    def _choose(self, logits: np.ndarray, mask: np.ndarray) -> int:
        scaled = np.where(mask, logits / self.temperature, -np.inf)
        probs = np.exp(scaled - scaled.max())
        cdf = np.cumsum(probs)
        return int(min(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"), len(cdf) - 1))

    def _pitch_token(self, pitch: int) -> int:
        return int(tk.pitch_tokens(np.array([pitch]), self.key.tonic)[0])

    def prime(self, pitch: int, dur: int) -> None:
        """Teacher-force an existing event (a prefix to continue): no constraint applies to it."""
        self._append(pitch, self._pitch_token(pitch), dur)

    def sample_pitch(self, final: bool = False, pitch_filter: PitchFilter | None = None) -> tuple[int, int]:
        """(absolute pitch or REST, token) for the next event, under key/range (+ ending) masks."""
        h = self._state[-1]
        logits = self.model.pitch_logits(h, self.tick % self.bar)
        mask = self.allowed.copy()
        if final or not self.pitches:
            mask[tk.PITCH_REST] = False
        if final:
            mask = next((m for m in self._stable if m.any()), mask)
        if pitch_filter is not None:
            prev = next(((p, self._onsets[i]) for i, p in reversed(list(enumerate(self.pitches))) if p >= 0), None)
            narrowed = pitch_filter(self.tick, prev, mask)
            mask = narrowed if narrowed.any() else mask  # a guide may narrow, never empty, the choice
        tok = self._choose(logits, mask)
        return (REST if tok == tk.PITCH_REST else int(self._tok_pitch[tok])), tok

    def sample_dur(self, ptok: int, max_dur: int) -> int:
        logits = self.model.dur_logits(self._state[-1], self.tick % self.bar, ptok, self.meter_class)
        mask = np.asarray(tk.DUR_VALUES) <= max_dur
        return int(tk.DUR_VALUES[self._choose(logits, mask)])

    def emit(self, pitch: int, ptok: int, dur: int) -> None:
        self._append(pitch, ptok, dur)

    def is_allowed(self, pitch: int) -> bool:
        return pitch == REST or (self.low <= pitch <= self.high and self.key.contains(pitch))

    # ----- segments -----
    def run(self, segments: list[Segment], end: int, report: Callable[[int], None] | None = None) -> None:
        """Fill ``segments`` in order; the piece ends at tick ``end`` (a bar line)."""
        slot = end - final_note_ticks(self.meter)
        for seg in segments:
            if seg.events is None:
                self._free(seg, end, slot, report)
            else:
                self._follow(seg, end, report)
        if report:
            report(end)

    def _free(self, seg: Segment, end: int, slot: int, report: Callable[[int], None] | None) -> None:
        closing = seg.end == end
        while self.tick < seg.end:
            pos = self.tick % self.bar
            if closing and self.tick >= slot:
                pitch, tok = self.sample_pitch(final=True, pitch_filter=seg.pitch_filter)
                self.emit(pitch, tok, end - self.tick)
                break
            pitch, tok = self.sample_pitch(pitch_filter=seg.pitch_filter)
            limit = min(self.bar - pos, seg.end - self.tick, slot - self.tick if closing else 1 << 30)
            bar_before = self.tick // self.bar
            self.emit(pitch, tok, self.sample_dur(tok, limit))
            if report and self.tick // self.bar != bar_before:
                report(self.tick)

    def _follow(self, seg: Segment, end: int, report: Callable[[int], None] | None) -> None:
        assert seg.events is not None
        for index, (pitch, dur, resample) in enumerate(seg.events):
            final = self.tick + dur >= end and pitch != REST
            if final and pitch >= 0 and not self._is_stable(pitch):
                resample = True
            if resample or not self.is_allowed(pitch) or (pitch == REST and not self.pitches):
                pitch, tok = self.sample_pitch(final=final, pitch_filter=seg.pitch_filter)
            else:
                tok = self._pitch_token(pitch)
            bar_before = self.tick // self.bar
            self.emit(pitch, tok, dur)
            if report and self.tick // self.bar != bar_before:
                report(self.tick)

    def _is_stable(self, pitch: int) -> bool:
        return (pitch - self.key.tonic) % 12 in (0, 3, 4, 7) and self.key.contains(pitch)

    def events(self) -> MelodyEvents:
        pos = []
        tick = self.first_tick
        for d in self.durs:
            pos.append(tick % self.bar)
            tick += d
        return MelodyEvents(np.asarray(self.pitches, np.int64), np.asarray(self.durs, np.int64),
                            np.asarray(pos, np.int64), self.meter, self.key)
