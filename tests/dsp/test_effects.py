"""Track effects (dsp/effects.py): each effect changes a real signal the way it should, tails are bounded,
and specs validate, compare and serialize."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.dsp.effects import (
    EFFECT_KINDS, MAX_TAIL_S, EffectSpec, apply_chain, chain_tail_s,
)

SR = 44100


def noise(seconds: float, level: float = 0.1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((int(seconds * SR), 2)) * level).astype(np.float32)


def band_energy(x: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(x[:, 0])) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum())


def test_reverb_rings_past_the_end_within_its_bound():
    burst = noise(0.2, 0.3)
    wet = apply_chain(burst, SR, [EffectSpec("reverb", {"room_size": 0.8, "wet": 0.4})])
    assert wet.shape[1] == 2 and wet.dtype == np.float32
    tail = wet[len(burst):]
    assert len(tail) > 0.5 * SR  # a big room rings for well over half a second
    assert np.sqrt(np.mean(tail[: SR // 10] ** 2)) > 0.01  # and audibly so right after the burst
    assert len(tail) <= chain_tail_s([EffectSpec("reverb", {"room_size": 0.8})]) * SR
    dry = apply_chain(burst, SR, [EffectSpec("reverb", {"wet": 0.0})])
    np.testing.assert_allclose(dry[: len(burst)], burst, atol=1e-4)  # wet 0 leaves the dry sound as it was


def test_echo_repeats_the_sound_after_its_time():
    click = np.zeros((SR // 2, 2), np.float32)
    click[0] = 1.0
    out = apply_chain(click, SR, [EffectSpec("delay", {"time_ms": 250, "feedback": 0.5, "mix": 0.5})])
    at = int(0.25 * SR)
    first_echo = np.abs(out[at - 50: at + 50, 0]).max()
    second_echo = np.abs(out[2 * at - 50: 2 * at + 50, 0]).max()
    assert first_echo > 0.2 and 0.3 < second_echo / first_echo < 0.7  # feedback 0.5 halves each repeat
    assert np.abs(out[at // 2 - 500: at // 2 + 500]).max() < 1e-3  # silence between the click and its echo
    assert len(out) > 3 * at  # the repeats ring out past the input's end


def test_eq_low_shelf_boosts_energy_below_200_hz_only():
    x = noise(1.0)
    boosted = apply_chain(x, SR, [EffectSpec("eq", {"low_db": 12.0})])
    assert boosted.shape == x.shape  # filters add no tail
    gain_low = band_energy(boosted, 20, 100) / band_energy(x, 20, 100)
    gain_high = band_energy(boosted, 2000, 10000) / band_energy(x, 2000, 10000)
    assert 10 * np.log10(gain_low) > 9.0  # close to the +12 dB shelf
    assert abs(10 * np.log10(gain_high)) < 0.5
    cut = apply_chain(x, SR, [EffectSpec("eq", {"high_db": -12.0})])
    assert 10 * np.log10(band_energy(cut, 10000, 20000) / band_energy(x, 10000, 20000)) < -9.0


def test_high_and_low_pass_remove_the_other_end():
    x = noise(1.0)
    hp = apply_chain(x, SR, [EffectSpec("highpass", {"cutoff_hz": 1000})])
    lp = apply_chain(x, SR, [EffectSpec("lowpass", {"cutoff_hz": 1000})])
    assert band_energy(hp, 20, 200) < 0.05 * band_energy(x, 20, 200)
    assert band_energy(lp, 8000, 20000) < 0.05 * band_energy(x, 8000, 20000)


def test_compressor_reduces_the_peak_to_rms_ratio():
    t = np.arange(2 * SR) / SR
    swell = 0.03 + 0.87 * (0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * t)) ** 3  # a phrase swelling from -30 to -1 dBFS
    x = np.repeat((swell * np.sin(2 * np.pi * 220 * t))[:, None], 2, axis=1).astype(np.float32)
    y = apply_chain(x, SR, [EffectSpec("compressor", {"threshold_db": -30, "ratio": 8, "attack_ms": 5,
                                                      "release_ms": 50})])

    def crest(a: np.ndarray) -> float:
        return float(np.abs(a).max() / np.sqrt(np.mean(a ** 2)))

    assert y.shape == x.shape
    assert crest(y[SR // 10:]) < 0.7 * crest(x[SR // 10:])  # measured: 2.93 → 1.78
    gentle = apply_chain(x, SR, [EffectSpec("compressor", {"threshold_db": 0.0, "ratio": 8})])
    np.testing.assert_allclose(gentle, x, atol=1e-4)  # nothing above a 0 dBFS threshold: untouched


def test_gain_and_bypass():
    x = noise(0.1)
    np.testing.assert_allclose(apply_chain(x, SR, [EffectSpec("gain", {"gain_db": 6.0})]), x * 10 ** (6 / 20),
                               rtol=1e-4, atol=1e-6)
    bypassed = [EffectSpec("reverb", enabled=False), EffectSpec("gain", {"gain_db": -20}, enabled=False)]
    out = apply_chain(x, SR, bypassed)
    assert np.array_equal(out, x) and out is not x and chain_tail_s(bypassed) == 0.0


def test_tails_are_bounded_and_end_without_a_click():
    x = noise(0.3, 0.5)
    chain = [EffectSpec("delay", {"time_ms": 2000, "feedback": 0.95, "mix": 0.5}),
             EffectSpec("reverb", {"room_size": 1.0, "wet": 0.5})]
    assert chain_tail_s(chain) == MAX_TAIL_S
    out = apply_chain(x, SR, chain)
    assert len(x) < len(out) <= len(x) + MAX_TAIL_S * SR
    before_fade = np.abs(out[-int(0.2 * SR):-int(0.1 * SR)]).max()
    assert before_fade > 1e-3 and np.abs(out[-10:]).max() < 0.01 * before_fade  # faded out, not cut


def test_spec_validation_names_the_effect_and_parameter():
    with pytest.raises(BadInput, match="Unknown effect 'fuzz'"):
        EffectSpec("fuzz")
    with pytest.raises(BadInput, match=r"Reverb effect: room size \(room_size\) must be between 0 and 1, got 3"):
        EffectSpec("reverb", {"room_size": 3})
    with pytest.raises(BadInput, match="Echo effect has no parameter 'speed'"):
        EffectSpec("delay", {"speed": 2})
    with pytest.raises(BadInput, match=r"Compressor effect: ratio must be a number"):
        EffectSpec("compressor", {"ratio": float("nan")})
    with pytest.raises(BadInput, match="enabled"):
        EffectSpec.from_json({"kind": "gain", "enabled": "yes"})


def test_spec_is_canonical_hashable_and_json_round_trips():
    a = EffectSpec("reverb", {"wet": 0.5})
    b = EffectSpec("reverb", (("wet", 0.5), ("room_size", 0.5)))
    assert a == b and hash(a) == hash(b) and a.value("damping") == EFFECT_KINDS["reverb"].param("damping").default
    data = json.loads(json.dumps([e.to_json() for e in (a, EffectSpec("eq", enabled=False))]))
    assert [EffectSpec.from_json(d) for d in data] == [a, EffectSpec("eq", enabled=False)]
    assert a.with_values(wet=0.1).value("wet") == 0.1 and a.with_enabled(False).enabled is False
    for kind in EFFECT_KINDS:  # every kind renders with its defaults
        assert len(apply_chain(noise(0.05), SR, [EffectSpec(kind)])) >= int(0.05 * SR)
