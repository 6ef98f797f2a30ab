"""Note-event tokens shared by the melody model, its n-gram baseline and the sampler.

A tune is a sequence of steps. Step i predicts event i as three factors, in this order:
  position in bar (ticks, or END after the last event) → pitch (semitones above/below the key's tonic
  in octave 4, or REST) → duration class.
Pitches are relative to the tonic, so the model learns scale degrees; transposition augmentation then
moves a tune's register by octaves relative to that reference (see :func:`pitch_tokens`).

Besides the previous event, each step sees features that are fixed functions of the history:
the expected position (previous onset + duration, mod bar), the bar's place in a 16-bar phrase, and
"lookbacks" — what sounded at the same spot 1, 2, 4 and 8 bars earlier (as in Magenta's Lookback RNN),
which lets a small recurrent model repeat and answer phrases the way folk tunes do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.melody_events import REST, TICKS_PER_BEAT, MelodyEvents, bar_ticks
from genai_studio.core.music import MODES, Key, Meter

MAX_BAR_TICKS = 6 * TICKS_PER_BEAT  # 12/8, 6/4, 3/2; longer bars are not modelled
POS_END = MAX_BAR_TICKS  # position class meaning "the tune ends here"
POS_SIZE = MAX_BAR_TICKS + 1  # output classes of the position head
POS_START = POS_SIZE  # input-only: the expected position before the first event
REL_LO, REL_HI = -24, 36  # pitch relative to MIDI 60 + tonic: two octaves below to three above
PITCH_REST = REL_HI - REL_LO + 1  # 61
PITCH_SIZE = PITCH_REST + 1  # output classes of the pitch head
PITCH_NONE = PITCH_SIZE  # input-only: "no previous event" / "nothing sounded there"
# Durations in ticks (12 per beat). Covers >99.99 % of the corpus; others map to the nearest class.
DUR_VALUES = (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 21, 24, 27, 30, 33, 36, 42, 48, 54, 60, 72, 84, 96,
              120, 144)
DUR_SIZE = len(DUR_VALUES)
DUR_HELD = DUR_SIZE  # lookback input: a note was sounding there but did not start there
DUR_NONE = DUR_SIZE + 1  # input-only: no previous event / nothing there
PHRASE_BARS = 16
BAR_START = PHRASE_BARS  # bar feature before the first event (its bar is not known yet)
LOOKBACK_BARS = (1, 2, 4, 8)
STYLES = ("reel", "jig", "air", "hymn")
METERS = ("2/4", "3/4", "4/4", "2/2", "6/8", "9/8", "12/8", "3/8", "6/4", "3/2")
METER_OTHER = len(METERS)
MODE_LIST = tuple(MODES)

_DUR_ARRAY = np.asarray(DUR_VALUES)
# flat ids for the n-gram: BOS, styles, meters(+other), modes, positions(+END), pitches(+rest), durations
_FLAT_STYLE = 1
_FLAT_METER = _FLAT_STYLE + len(STYLES)
_FLAT_MODE = _FLAT_METER + len(METERS) + 1
_FLAT_POS = _FLAT_MODE + len(MODE_LIST)
_FLAT_PITCH = _FLAT_POS + POS_SIZE
_FLAT_DUR = _FLAT_PITCH + PITCH_SIZE
FLAT_VOCAB = _FLAT_DUR + DUR_SIZE
FLAT_PREFIX = 4  # BOS style meter mode: given, never scored


def dur_class(ticks: np.ndarray | int) -> np.ndarray:
    """Nearest duration class for tick counts (ties go to the shorter value)."""
    t = np.asarray(ticks)
    return np.abs(t[..., None] - _DUR_ARRAY).argmin(-1)


def dur_ticks(classes: np.ndarray | int) -> np.ndarray:
    return _DUR_ARRAY[np.asarray(classes)]


def meter_class(meter: Meter) -> int:
    text = str(meter)
    return METERS.index(text) if text in METERS else METER_OTHER


def style_of(book: str, meter: Meter, dur_ticks_: np.ndarray) -> str:
    """Style label of a corpus tune: chorales are hymns; compound meters are jigs (and slides);
    duple/quadruple tunes moving mostly in eighths are reels (hornpipes, polkas and marches too);
    everything else is an air."""
    if book == "bachChorales":
        return "hymn"
    if meter.denominator == 8 and meter.numerator in (3, 6, 9, 12):
        return "jig"
    if str(meter) in ("2/4", "4/4", "2/2") and np.mean(dur_ticks_ <= TICKS_PER_BEAT // 2) >= 0.6:
        return "reel"
    return "air"


def pitch_tokens(abs_pitch: np.ndarray, tonic: int, transpose: int = 0) -> np.ndarray:
    """Pitch classes for MIDI pitches (REST = -1) in a key with ``tonic``, optionally transposed.

    Transposing by t moves the tonic too, so the token is ``p + t - (60 + (tonic + t) % 12)``: the same
    scale degree, an octave higher or lower when the tonic wraps past B/C. Out-of-range pitches are
    folded by octaves into [REL_LO, REL_HI].
    """
    ref = 60 + (tonic + transpose) % 12
    rel = np.asarray(abs_pitch) + transpose - ref
    rel = np.where(rel < REL_LO, rel + 12 * ((REL_LO - rel + 11) // 12), rel)
    rel = np.where(rel > REL_HI, rel - 12 * ((rel - REL_HI + 11) // 12), rel)
    return np.where(np.asarray(abs_pitch) < 0, PITCH_REST, rel - REL_LO).astype(np.int64)


def abs_pitch_of(token: int, tonic: int) -> int:
    """MIDI pitch of a pitch token (REST → -1)."""
    return REST if token == PITCH_REST else 60 + tonic + REL_LO + int(token)


@dataclass
class EncodedTune:
    """Everything the models need for one tune; T = N + 1 steps (the last one predicts END)."""

    abs_pitch: np.ndarray  # (N,) MIDI pitch or REST
    tonic: int
    cond: np.ndarray  # (3,) style, meter, mode classes
    pos: np.ndarray  # (T,) target position classes, last = POS_END
    dur: np.ndarray  # (N,) duration classes
    exp_pos: np.ndarray  # (T,) expected position (POS_START at step 0)
    bar: np.ndarray  # (T,) bar in phrase (BAR_START at step 0)
    lb_index: np.ndarray  # (T, len(LOOKBACK_BARS)) event sounding at each lookback, -1 = none
    lb_onset: np.ndarray  # (T, len(LOOKBACK_BARS)) bool: that event starts exactly there

    @property
    def n_events(self) -> int:
        return len(self.abs_pitch)


def onset_ticks(pos: np.ndarray, dur: np.ndarray, bar: int) -> np.ndarray:
    """Bar-aligned onset ticks (bar index × bar + position); a pickup's bar is bar -1.

    Usually event i starts where i-1 ended; when a bar was cut short (a section end in the books),
    the next event starts a new bar instead.
    """
    ticks = np.empty(len(pos), np.int64)
    bar_index = 0 if pos[0] == 0 else -1
    ticks[0] = bar_index * bar + pos[0]
    for i in range(1, len(pos)):
        end = int(pos[i - 1]) + int(dur[i - 1])
        if pos[i] == end % bar:
            bar_index += end // bar
        else:
            bar_index += max(1, -(-end // bar))
        ticks[i] = bar_index * bar + pos[i]
    return ticks


def encode_events(events: MelodyEvents, style: str) -> EncodedTune:
    bar = events.bar_ticks
    if bar > MAX_BAR_TICKS:
        raise ValueError(f"bars of {events.meter} are longer than the model's {MAX_BAR_TICKS} ticks")
    dur = np.asarray(events.dur, np.int64)
    pos_in = np.asarray(events.pos, np.int64)
    onsets = onset_ticks(pos_in, dur, bar)
    ends = onsets + dur
    exp_tick = np.concatenate([[0], ends])  # (T,) where each step's event is expected to start
    exp_pos = np.concatenate([[POS_START], exp_tick[1:] % bar])
    bar_feat = np.concatenate([[BAR_START], (exp_tick[1:] // bar) % PHRASE_BARS])
    # for every step and lag: the event sounding `lag` bars before the expected onset (step 0 has no history)
    targets = exp_tick[:, None] - np.asarray(LOOKBACK_BARS)[None, :] * bar  # (T, K)
    j = np.searchsorted(onsets, targets, side="right") - 1
    safe = np.clip(j, 0, None)
    valid = (j >= 0) & (targets < ends[safe])
    valid[0] = False
    lb_index = np.where(valid, j, -1)
    lb_onset = valid & (onsets[safe] == targets)
    cond = np.array([STYLES.index(style), meter_class(events.meter), MODE_LIST.index(events.key.mode)])
    return EncodedTune(np.asarray(events.pitch, np.int64), events.key.tonic, cond,
                       np.concatenate([pos_in, [POS_END]]), dur_class(dur), exp_pos, bar_feat, lb_index, lb_onset)


def step_inputs(enc: EncodedTune, transpose: int = 0) -> dict[str, np.ndarray]:
    """Model inputs and targets, each (T,) or (T, K), for one (optionally transposed) tune."""
    ptok = pitch_tokens(enc.abs_pitch, enc.tonic, transpose)
    has = enc.lb_index >= 0
    safe = np.where(has, enc.lb_index, 0)
    return {
        "prev_pitch": np.concatenate([[PITCH_NONE], ptok]),
        "prev_dur": np.concatenate([[DUR_NONE], enc.dur]),
        "exp_pos": enc.exp_pos,
        "bar": enc.bar,
        "lb_pitch": np.where(has, ptok[safe] if len(ptok) else 0, PITCH_NONE),
        "lb_dur": np.where(has, np.where(enc.lb_onset, enc.dur[safe] if len(ptok) else 0, DUR_HELD), DUR_NONE),
        "pos": enc.pos,
        "pitch": np.concatenate([ptok, [-100]]),  # -100: ignored by the loss (the END step)
        "dur": np.concatenate([enc.dur, [-100]]),
    }


def flat_tokens(enc: EncodedTune, transpose: int = 0) -> np.ndarray:
    """The tune as one token stream for the n-gram: BOS style meter mode (pos pitch dur)* END."""
    ptok = pitch_tokens(enc.abs_pitch, enc.tonic, transpose)
    body = np.stack([_FLAT_POS + enc.pos[:-1], _FLAT_PITCH + ptok, _FLAT_DUR + enc.dur], 1).reshape(-1)
    head = [0, _FLAT_STYLE + enc.cond[0], _FLAT_METER + enc.cond[1], _FLAT_MODE + enc.cond[2]]
    return np.concatenate([head, body, [_FLAT_POS + POS_END]]).astype(np.int64)


def decode_flat(tokens: np.ndarray, key: Key, meter: Meter) -> MelodyEvents:
    """Inverse of :func:`flat_tokens` (for the round-trip check and for n-gram samples)."""
    body = np.asarray(tokens[FLAT_PREFIX:])
    if len(body) and body[-1] == _FLAT_POS + POS_END:
        body = body[:-1]
    triples = body[: len(body) // 3 * 3].reshape(-1, 3)
    pitch = [abs_pitch_of(int(t) - _FLAT_PITCH, key.tonic) for t in triples[:, 1]]
    return MelodyEvents(np.asarray(pitch, np.int64), dur_ticks(triples[:, 2] - _FLAT_DUR),
                        triples[:, 0] - _FLAT_POS, meter, key)


def vocab_signature() -> dict[str, int | list[int]]:
    """Token layout baked into a weight file; loading refuses files made for another layout."""
    return {"pos": POS_SIZE, "pitch": PITCH_SIZE, "rel_lo": REL_LO, "dur": list(DUR_VALUES),
            "lookback": list(LOOKBACK_BARS), "phrase": PHRASE_BARS, "styles": len(STYLES),
            "meters": len(METERS) + 1, "modes": len(MODE_LIST)}


def check_meter(meter: Meter) -> None:
    if bar_ticks(meter) > MAX_BAR_TICKS:
        raise BadInput(f"bars of {meter} are longer than the melody model handles (at most 6 beats, e.g. 12/8)")
