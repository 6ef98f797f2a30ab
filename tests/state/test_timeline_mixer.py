"""The timeline mixer in TimelineState: pan law, solo/mute, clip fades, track effects and their render cache,
solo renders of one track, new tracks at a position, and undo/redo of every mixer edit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note
from genai_studio.dsp.effects import EffectSpec
from genai_studio.state import timeline_mix
from genai_studio.state.timeline_clips import db_to_gain, gain_to_db, pan_gains
from genai_studio.state.timeline_mix import peak_safe
from genai_studio.state.timeline_state import TimelineState

SR = 8000


def dc(value: float, seconds: float = 1.0, sr: int = SR, name: str = "dc") -> AudioBuffer:
    return AudioBuffer(np.full((int(round(seconds * sr)), 1), value, np.float32), sr, name=name)


def tone(hz: float = 440.0, seconds: float = 0.5, sr: int = SR, level: float = 0.5) -> AudioBuffer:
    t = np.arange(int(seconds * sr)) / sr
    return AudioBuffer((level * np.sin(2 * np.pi * hz * t)).astype(np.float32)[:, None], sr, name="tone")


# ----- pan, solo, mute -------------------------------------------------------------------------------------------
def test_constant_power_pan_law():
    st = TimelineState(sample_rate=SR)
    track = st.track_of_clip(st.add_audio_clip(dc(1.0))).id
    st.set_track_pan(track, -1.0)
    left = st.mix(clamp=False)
    # hard left: the right side is silent, the left +3 dB (the power of both centred sides)
    assert np.allclose(left[:, 0], math.sqrt(2)) and np.all(left[:, 1] == 0.0)
    st.set_track_pan(track, 1.0)
    assert np.all(st.mix(clamp=False)[:, 0] == 0.0) and np.allclose(st.mix(clamp=False)[:, 1], math.sqrt(2))
    st.set_track_pan(track, 0.0)
    centre = st.mix()[100]
    assert centre[0] == pytest.approx(1.0) and centre[1] == pytest.approx(1.0)  # centre is unity: old projects
    for pan in (-0.7, -0.2, 0.35, 0.9):  # constant power everywhere, and the louder side is the panned one
        left_gain, right_gain = pan_gains(pan)
        assert left_gain ** 2 + right_gain ** 2 == pytest.approx(2.0)
        assert (left_gain > right_gain) == (pan < 0)
    with pytest.raises(BadInput, match="pan must be between -1"):
        st.set_track_pan(track, 1.5)


def test_solo_plays_only_soloed_tracks_and_mute_still_wins():
    st = TimelineState(sample_rate=SR)
    a, b, c = (st.track_of_clip(st.add_audio_clip(dc(v, name=n))).id for v, n in ((0.1, "a"), (0.2, "b"), (0.4, "c")))
    centre = pan_gains(0.0)[0]

    def level() -> float:
        return float(st.mix()[10, 0] / centre)

    assert level() == pytest.approx(0.7)
    st.set_track_solo(b, True)
    assert level() == pytest.approx(0.2)
    st.set_track_solo(c, True)
    assert level() == pytest.approx(0.6)
    st.set_track_muted(c, True)  # soloed and muted: silent
    assert level() == pytest.approx(0.2)
    st.set_track_solo(b, False)  # only a muted track is soloed: nothing plays
    assert level() == pytest.approx(0.0)
    st.set_track_solo(c, False)
    st.set_track_muted(a, True)
    assert level() == pytest.approx(0.2)


def test_gain_db_conversions():
    assert db_to_gain(0.0) == 1.0 and db_to_gain(-60.0) == 0.0
    assert db_to_gain(-6.0) == pytest.approx(0.501, abs=1e-3) and gain_to_db(db_to_gain(4.5)) == pytest.approx(4.5)
    assert gain_to_db(0.0) == -60.0


# ----- fades -----------------------------------------------------------------------------------------------------
def test_fade_shapes_linear_and_equal_power():
    st = TimelineState(sample_rate=SR)
    clip = st.add_audio_clip(dc(1.0, 2.0))
    # centred: each channel is the clip itself (the pan law keeps unity at the centre)
    st.set_clip_fades(clip, 0.5, 1.0, "linear")
    left = st.mix()[:, 0]
    assert left[0] == 0.0 and left[int(0.25 * SR)] == pytest.approx(0.5, abs=1e-3)
    assert np.all(np.diff(left[: int(0.5 * SR)]) > 0) and np.all(left[int(0.5 * SR): SR] == 1.0)
    assert left[int(1.5 * SR)] == pytest.approx(0.5, abs=1e-3) and left[-1] == pytest.approx(0.0, abs=1e-6)
    st.set_clip_fades(clip, 0.5, 1.0, "equal_power")
    left = st.mix()[:, 0]
    assert left[int(0.25 * SR)] == pytest.approx(math.sqrt(0.5), abs=1e-3)  # -3 dB halfway
    assert left[int(1.5 * SR)] == pytest.approx(math.sqrt(0.5), abs=1e-3)
    # the envelope applies to any slice the same way (playback mixes from the playhead)
    np.testing.assert_allclose(st.mix(start_s=0.2, end_s=1.7)[:, 0], left[int(0.2 * SR): int(1.7 * SR)], atol=1e-6)


def test_fades_are_clamped_to_the_clip_and_checked():
    st = TimelineState(sample_rate=SR)
    clip = st.add_audio_clip(dc(1.0, 1.0))
    st.set_clip_fades(clip, 0.7, 0.6)
    assert (st.clip(clip).fade_in_s, st.clip(clip).fade_out_s) == pytest.approx((0.7, 0.3))
    st.set_clip_fades(clip, 5.0, 5.0)
    assert (st.clip(clip).fade_in_s, st.clip(clip).fade_out_s) == (1.0, 0.0)
    with pytest.raises(BadInput, match="fade-out must be a length"):
        st.set_clip_fades(clip, 0.1, -1.0)
    with pytest.raises(BadInput, match="fade curve must be one of equal_power, linear"):
        st.set_clip_fades(clip, 0.1, 0.1, "exponential")


def test_midi_clip_fades_and_fade_out_ends_the_release_tail():
    st = TimelineState(sample_rate=16000)
    clip = st.add_midi_clip(Melody((Note(69, 0.0, 2.0, 100),)))  # one second at 120 BPM
    plain = st.mix(end_s=2.0)
    assert np.abs(plain[int(1.05 * 16000):]).max() > 1e-3  # the note's release rings past the clip end
    st.set_clip_fades(clip, 0.25, 0.5, "linear")
    faded = st.mix(end_s=2.0)
    assert np.abs(faded[:40]).max() < 1e-3 < np.abs(faded[int(0.3 * 16000): int(0.4 * 16000)]).max()
    assert np.abs(faded[16000:]).max() == 0.0  # nothing after the clip's end
    mid_out = np.abs(faded[int(0.74 * 16000): int(0.76 * 16000)]).max()
    assert mid_out == pytest.approx(0.5 * np.abs(plain[int(0.74 * 16000): int(0.76 * 16000)]).max(), rel=0.1)


# ----- effects ---------------------------------------------------------------------------------------------------
def test_track_effects_change_the_mix_and_ring_past_the_last_clip():
    st = TimelineState(sample_rate=SR)
    clip = st.add_audio_clip(tone(seconds=0.5))
    track = st.track_of_clip(clip).id
    dry = st.mix()
    assert len(dry) == SR // 2 and st.mix_end_s == pytest.approx(0.5)
    st.set_track_effects(track, [EffectSpec("reverb", {"room_size": 0.7, "wet": 0.5})])
    wet = st.mix()
    assert st.duration_s == pytest.approx(0.5) and st.mix_end_s > 1.0  # the tail extends the mix
    assert len(wet) == math.ceil(st.mix_end_s * SR) and np.abs(wet[SR:]).max() > 1e-3
    st.set_track_effects(track, [EffectSpec("reverb", {"room_size": 0.7, "wet": 0.5}, enabled=False)])
    np.testing.assert_array_equal(st.mix(), dry)  # bypassed: exactly the dry mix
    with pytest.raises(TypeError):
        st.set_track_effects(track, [{"kind": "reverb"}])


def test_processed_tracks_are_cached_and_mixer_changes_do_not_rerender(monkeypatch):
    calls = []
    real = timeline_mix.apply_chain
    monkeypatch.setattr(timeline_mix, "apply_chain", lambda *a: calls.append(1) or real(*a))
    st = TimelineState(sample_rate=SR)
    clip = st.add_audio_clip(tone(seconds=1.0))
    track = st.track_of_clip(clip).id
    st.add_audio_clip(tone(330, seconds=1.0))  # a second track without effects never goes through a chain
    st.set_track_effects(track, [EffectSpec("delay", {"time_ms": 100, "feedback": 0.3})])
    first = st.mix()
    assert len(calls) == 1
    st.mix(start_s=0.5)  # playback from the playhead reads a slice of the same render
    st.set_track_gain(track, 0.5)
    st.set_track_pan(track, 0.3)
    st.set_track_solo(track, True)
    st.set_track_muted(track, False)
    st.rename_clip(clip, "renamed")
    st.mix()
    assert len(calls) == 1
    st.set_track_effects(track, [EffectSpec("delay", {"time_ms": 200, "feedback": 0.3})])
    st.mix()
    assert len(calls) == 2
    for _ in range(5):  # back to the first chain: the spare render comes back without work
        st.undo_stack.undo()
    assert st.track(track).gain == 1.0
    np.testing.assert_array_equal(st.mix(), first)
    assert len(calls) == 2
    st.set_clip_fades(clip, 0.1, 0.1)  # the dry input changed: render again
    st.mix()
    assert len(calls) == 3


def test_render_track_is_a_solo_render_with_effects_from_time_zero():
    st = TimelineState(sample_rate=SR)
    clip = st.add_audio_clip(dc(0.5, 1.0), start_s=0.5)
    track = st.track_of_clip(clip).id
    st.add_audio_clip(dc(0.25, 3.0))  # another, longer track is not in the stem
    st.set_track_muted(track, True)  # the user asked for this track: its mute switch does not matter
    st.set_track_pan(track, -1.0)
    st.set_track_gain(track, 0.5)
    stem = st.render_track(track)
    assert stem.sample_rate == SR and stem.channels == 2 and stem.frames == int(1.5 * SR)
    hard_left = 0.5 * 0.5 * math.sqrt(2)  # level × gain × the +3 dB of a hard-panned side
    assert np.all(stem.samples[: SR // 2] == 0.0) and np.allclose(stem.samples[SR // 2:, 0], hard_left)
    assert np.all(stem.samples[:, 1] == 0.0) and stem.name == st.track(track).name
    st.set_track_effects(track, [EffectSpec("reverb", {"room_size": 0.6})])
    assert st.render_track(track).frames > int(1.6 * SR)  # the reverb tail is part of the stem


def test_peak_safe_lowers_only_what_would_clip():
    quiet = np.full((10, 2), 0.5, np.float32)
    same, change = peak_safe(quiet)
    assert same is quiet and change == 0.0
    loud = np.array([[2.0, -1.0], [0.5, 0.0]], np.float32)
    safe, change = peak_safe(loud)
    assert np.abs(safe).max() == pytest.approx(10 ** (-0.3 / 20)) and change == pytest.approx(-6.32, abs=0.01)
    np.testing.assert_allclose(safe / safe[0, 0], loud / 2.0)  # the balance is kept


# ----- tracks at a position, undo of every mixer edit --------------------------------------------------------------
def test_add_track_after_another_and_clip_on_a_named_track():
    st = TimelineState(sample_rate=SR)
    melody = st.add_track("Melody")
    st.add_track("Drums")
    voice = st.add_track("Voice", after_track_id=melody)
    assert [t.name for t in st.tracks] == ["Melody", "Voice", "Drums"] and st.tracks[1].id == voice
    depth = st.undo_stack.count()
    clip = st.add_audio_clip(tone(), track_name="Harmony", after_track_id=voice, name="take 2")
    assert st.undo_stack.count() == depth + 1  # the new track and its clip are one step
    assert [t.name for t in st.tracks] == ["Melody", "Voice", "Harmony", "Drums"]
    assert st.track_of_clip(clip).name == "Harmony" and st.clip(clip).name == "take 2"
    with pytest.raises(KeyError):
        st.add_track("x", after_track_id="track-none")


def test_every_mixer_edit_undoes_and_redoes():
    st = TimelineState(sample_rate=SR)
    clip = st.add_audio_clip(tone())
    track = st.track_of_clip(clip).id
    chain = (EffectSpec("eq", {"low_db": 3.0}), EffectSpec("compressor"))
    edits = [
        (lambda: st.set_track_pan(track, -0.25), lambda: st.track(track).pan, 0.0, -0.25),
        (lambda: st.set_track_solo(track, True), lambda: st.track(track).solo, False, True),
        (lambda: st.set_track_effects(track, chain), lambda: st.track(track).effects, (), chain),
        (lambda: st.set_clip_fades(clip, 0.1, 0.2, "linear"),
         lambda: (st.clip(clip).fade_in_s, st.clip(clip).fade_out_s, st.clip(clip).fade_curve),
         (0.0, 0.0, "equal_power"), (0.1, 0.2, "linear")),
        (lambda: st.rename_track(track, "Lead"), lambda: st.track(track).name, "tone", "Lead"),
        (lambda: st.set_track_gain(track, 0.5), lambda: st.track(track).gain, 1.0, 0.5),
    ]
    for edit, read, before, after in edits:
        depth = st.undo_stack.count()
        edit()
        assert read() == after and st.undo_stack.count() == depth + 1
        edit()  # the same value again records nothing
        assert st.undo_stack.count() == depth + 1
        st.undo_stack.undo()
        assert read() == before
        st.undo_stack.redo()
        assert read() == after
