"""Track effects: a chain of typed, validated effect settings and its rendering with pedalboard.

An :class:`EffectSpec` is a frozen, hashable, JSON-serializable value (kind, parameters, bypass flag), so a
track's chain is a tuple of them: it goes into undo snapshots and project files as it is, and a rendered
track can be cached under it. :func:`apply_chain` runs the enabled effects over a whole clip or track and
lets reverb and echo ring out past the end, for a bounded time. pedalboard (JUCE, GPL-3) is imported on the
first render only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from genai_studio.core.errors import BadInput

MAX_TAIL_S = 10.0  # the longest ring-out any chain may add after the input ends
TAIL_FADE_S = 0.05  # a tail cut at MAX_TAIL_S ends with this fade instead of a click
_SILENCE = 1e-5  # -100 dBFS: tail samples below this are trimmed off
_DECAY_FLOOR = 1e-3  # -60 dB: an echo quieter than this counts as gone


@dataclass(frozen=True)
class ParamSpec:
    """One knob of an effect: its range, default and unit (shown by the effects dialog)."""

    name: str
    label: str
    low: float
    high: float
    default: float
    unit: str = ""
    decimals: int = 1
    step: float = 1.0


@dataclass(frozen=True)
class EffectKind:
    kind: str
    label: str
    params: tuple[ParamSpec, ...]

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def _db(name: str, label: str, default: float = 0.0, low: float = -24.0, high: float = 24.0) -> ParamSpec:
    return ParamSpec(name, label, low, high, default, "dB", 1, 0.5)


EFFECT_KINDS: dict[str, EffectKind] = {k.kind: k for k in (
    EffectKind("reverb", "Reverb", (
        ParamSpec("room_size", "Room size", 0.0, 1.0, 0.5, "", 2, 0.05),
        ParamSpec("damping", "Damping", 0.0, 1.0, 0.5, "", 2, 0.05),
        ParamSpec("wet", "Wet", 0.0, 1.0, 0.3, "", 2, 0.05),
    )),
    EffectKind("delay", "Echo", (
        ParamSpec("time_ms", "Time", 1.0, 2000.0, 350.0, "ms", 0, 10.0),
        ParamSpec("feedback", "Feedback", 0.0, 0.95, 0.35, "", 2, 0.05),
        ParamSpec("mix", "Mix", 0.0, 1.0, 0.3, "", 2, 0.05),
    )),
    EffectKind("eq", "EQ", (
        _db("low_db", "Low shelf"),
        ParamSpec("low_hz", "Low frequency", 30.0, 1000.0, 150.0, "Hz", 0, 10.0),
        _db("mid_db", "Peak"),
        ParamSpec("mid_hz", "Peak frequency", 100.0, 10000.0, 1000.0, "Hz", 0, 50.0),
        _db("high_db", "High shelf"),
        ParamSpec("high_hz", "High frequency", 1000.0, 20000.0, 6000.0, "Hz", 0, 100.0),
    )),
    EffectKind("highpass", "High-pass", (ParamSpec("cutoff_hz", "Cutoff", 20.0, 2000.0, 80.0, "Hz", 0, 10.0),)),
    EffectKind("lowpass", "Low-pass", (ParamSpec("cutoff_hz", "Cutoff", 500.0, 20000.0, 8000.0, "Hz", 0, 100.0),)),
    EffectKind("compressor", "Compressor", (
        _db("threshold_db", "Threshold", -18.0, -60.0, 0.0),
        ParamSpec("ratio", "Ratio", 1.0, 20.0, 4.0, ": 1", 1, 0.5),
        ParamSpec("attack_ms", "Attack", 0.1, 200.0, 10.0, "ms", 1, 1.0),
        ParamSpec("release_ms", "Release", 5.0, 2000.0, 150.0, "ms", 0, 10.0),
    )),
    EffectKind("gain", "Gain", (_db("gain_db", "Gain", 0.0, -60.0, 24.0),)),
)}
_EQ_PEAK_Q = 0.9  # about 1.5 octaves wide: a broad tone control, not a surgical notch


def effect_kind(kind: str) -> EffectKind:
    try:
        return EFFECT_KINDS[kind]
    except (KeyError, TypeError):
        raise BadInput(f"Unknown effect {kind!r}; the effects are {', '.join(EFFECT_KINDS)}.") from None


@dataclass(frozen=True)
class EffectSpec:
    """One effect of a chain. ``params`` may be given as a mapping; it is stored as sorted (name, value)
    pairs with every parameter present (missing ones take their defaults), so equal settings compare and
    hash equal. Invalid kinds, names or values raise BadInput naming the effect and the parameter."""

    kind: str
    params: tuple[tuple[str, float], ...] = ()
    enabled: bool = True  # False: bypassed (kept in the chain, not heard)

    def __post_init__(self) -> None:
        spec = effect_kind(self.kind)
        given = dict(self.params.items() if isinstance(self.params, Mapping) else self.params)
        for name in given:
            if not any(p.name == name for p in spec.params):
                known = ", ".join(p.name for p in spec.params)
                raise BadInput(f"{spec.label} effect has no parameter {name!r} (it has {known}).")
        values = []
        for p in spec.params:
            value = given.get(p.name, p.default)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value):
                raise BadInput(f"{spec.label} effect: {_named(p)} must be a number, got {value!r}.")
            if not p.low <= value <= p.high:
                raise BadInput(f"{spec.label} effect: {_named(p)} must be between {p.low:g} and "
                               f"{p.high:g}{' ' + p.unit if p.unit else ''}, got {float(value):g}.")
            values.append((p.name, float(value)))
        object.__setattr__(self, "params", tuple(sorted(values)))
        object.__setattr__(self, "enabled", bool(self.enabled))

    @property
    def label(self) -> str:
        return EFFECT_KINDS[self.kind].label

    def value(self, name: str) -> float:
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(f"{self.label} effect has no parameter {name!r}")

    def values(self) -> dict[str, float]:
        return dict(self.params)

    def with_values(self, **changes: float) -> EffectSpec:
        return EffectSpec(self.kind, {**dict(self.params), **changes}, self.enabled)

    def with_enabled(self, enabled: bool) -> EffectSpec:
        return EffectSpec(self.kind, self.params, enabled)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "enabled": self.enabled, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Any) -> EffectSpec:
        if not isinstance(data, Mapping):
            raise BadInput(f"an effect must be a JSON object with 'kind' and 'params', not {type(data).__name__}")
        params = data.get("params", {})
        if not isinstance(params, Mapping):
            raise BadInput(f"the parameters of effect {data.get('kind')!r} must be a JSON object")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise BadInput(f"effect {data.get('kind')!r} has enabled {enabled!r}; expected true or false")
        return cls(data.get("kind"), dict(params), enabled)


def _named(p: ParamSpec) -> str:
    label = p.label.lower()
    return label if label == p.name else f"{label} ({p.name})"


def default_effect(kind: str) -> EffectSpec:
    return EffectSpec(kind)


def active(chain: Iterable[EffectSpec]) -> tuple[EffectSpec, ...]:
    """The effects that are heard (not bypassed), in order."""
    return tuple(e for e in chain if e.enabled)


def chain_tail_s(chain: Iterable[EffectSpec]) -> float:
    """An upper bound (s) on how long the enabled effects ring after the input stops, capped at MAX_TAIL_S."""
    total = 0.0
    for e in active(chain):
        if e.kind == "reverb":
            # Measured -60 dB decay of pedalboard's Freeverb: 0.4 s (room 0) … 2.9 s (0.95) … 4.4 s (1.0).
            total += 0.6 / (1.0 - 0.9 * e.value("room_size"))
        elif e.kind == "delay":
            feedback, time_s = e.value("feedback"), e.value("time_ms") / 1000.0
            repeats = 1 if feedback <= 0 else math.ceil(math.log(_DECAY_FLOOR) / math.log(feedback))
            total += time_s * (repeats + 1)
    return min(MAX_TAIL_S, total)


def apply_chain(samples: np.ndarray, sample_rate: int, chain: Sequence[EffectSpec]) -> np.ndarray:
    """(frames, C) float32 → (frames + tail, C) float32: the enabled effects of ``chain`` in order.

    The tail is what reverb and echo add after the input ends: at most :func:`chain_tail_s` seconds, with
    trailing silence (below -100 dBFS) trimmed and a short fade where the bound cuts a still-ringing tail.
    With no enabled effect the input comes back unchanged (a copy, no tail).
    """
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 2:
        raise ValueError(f"samples must be (frames, channels), got shape {samples.shape}")
    effects = active(chain)
    if not effects or len(samples) == 0:
        return samples.copy()
    from pedalboard import Pedalboard  # JUCE loads on the first render only

    frames = len(samples)
    tail = int(round(chain_tail_s(effects) * sample_rate))
    padded = np.zeros((samples.shape[1], frames + tail), dtype=np.float32)  # (C, frames): pedalboard's layout
    padded[:, :frames] = samples.T
    board = Pedalboard([plugin for e in effects for plugin in _plugins(e, sample_rate)])
    out = np.ascontiguousarray(board(padded, sample_rate, reset=True).T, dtype=np.float32)  # (frames + tail, C)
    loud = np.flatnonzero(np.abs(out[frames:]).max(axis=1) > _SILENCE)
    end = frames + (int(loud[-1]) + 1 if len(loud) else 0)
    out = out[:end]
    ring = end - frames
    if ring and end == frames + tail:  # still audible where the bound cuts it: fade instead of clicking
        n = min(ring, max(1, int(TAIL_FADE_S * sample_rate)))
        out[end - n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)[:, None]
    return out


def _plugins(e: EffectSpec, sample_rate: int) -> list[Any]:
    import pedalboard as pb

    v = e.values()
    nyquist_safe = 0.45 * sample_rate  # filters above ~Nyquist are undefined; clamp for low project rates

    def hz(value: float) -> float:
        return min(value, nyquist_safe)

    if e.kind == "reverb":
        # JUCE doubles the dry level (and a wet level of 1 is about as loud as the input): halve dry so
        # wet 0 is the untouched sound and wet 1 only the reverb.
        return [pb.Reverb(room_size=v["room_size"], damping=v["damping"], wet_level=v["wet"],
                          dry_level=(1.0 - v["wet"]) / 2.0)]
    if e.kind == "delay":
        return [pb.Delay(delay_seconds=v["time_ms"] / 1000.0, feedback=v["feedback"], mix=v["mix"])]
    if e.kind == "eq":
        bands = [(pb.LowShelfFilter, v["low_hz"], v["low_db"], 0.7071),
                 (pb.PeakFilter, v["mid_hz"], v["mid_db"], _EQ_PEAK_Q),
                 (pb.HighShelfFilter, v["high_hz"], v["high_db"], 0.7071)]
        return [cls(cutoff_frequency_hz=hz(f), gain_db=g, q=q) for cls, f, g, q in bands if g != 0.0]
    if e.kind == "highpass":
        return [pb.HighpassFilter(cutoff_frequency_hz=hz(v["cutoff_hz"]))]
    if e.kind == "lowpass":
        return [pb.LowpassFilter(cutoff_frequency_hz=hz(v["cutoff_hz"]))]
    if e.kind == "compressor":
        return [pb.Compressor(threshold_db=v["threshold_db"], ratio=v["ratio"], attack_ms=v["attack_ms"],
                              release_ms=v["release_ms"])]
    if e.kind == "gain":
        return [pb.Gain(gain_db=v["gain_db"])]
    raise AssertionError(f"no renderer for effect kind {e.kind!r}")  # EFFECT_KINDS and this list must match
