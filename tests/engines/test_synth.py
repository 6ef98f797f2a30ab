"""Melody rendering: the numpy synth's pitch, envelopes and levels; FluidSynth with a real SoundFont; metronome."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.core.music import Melody, Meter, Note
from genai_studio.dsp import synth
from genai_studio.dsp.synth import (VOICES, metronome, render_builtin, render_melody, render_soundfont,
                                    soundfont_status, voice_for_program)

SR = 48000
TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
PROGRAMS = {"keys": 0, "organ": 19, "lead": 73}


def peak_hz(x: np.ndarray, sample_rate: int) -> float:
    """Strongest frequency of ``x`` (Hann window, 8x zero padding, parabolic interpolation)."""
    n = len(x)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(n), 8 * n))
    i = int(np.argmax(spectrum[1:-1])) + 1
    a, b, c = np.log(spectrum[i - 1:i + 2] + 1e-12)
    return (i + 0.5 * (a - c) / (a - 2 * b + c)) * sample_rate / (8 * n)


def test_programs_map_to_voices():
    assert [voice_for_program(p) for p in (0, 5, 12, 19, 25, 33, 40, 56, 73, 81)] == \
        ["keys", "keys", "keys", "organ", "keys", "keys", "lead", "lead", "lead", "lead"]


@pytest.mark.parametrize("voice", sorted(PROGRAMS))
def test_a4_sounds_at_440_hz(voice):
    audio = render_builtin(Melody((Note(69, 0, 2.0, 100),), tempo_bpm=60), SR, PROGRAMS[voice])
    assert audio.sample_rate == SR and audio.channels == 2 and audio.samples.dtype == np.float32
    x = audio.samples[int(0.2 * SR):int(0.2 * SR) + 32768, 0]  # (frames,) inside the held note
    assert peak_hz(x, SR) == pytest.approx(440.0, abs=1.0)


@pytest.mark.parametrize("voice", sorted(PROGRAMS))
def test_notes_start_and_stop_without_clicks_and_rests_are_silent(voice):
    # notes of odd lengths (so they stop at every phase), a rest, and a repeated pitch joined legato
    notes = [Note(64, 0.5, 0.9, 110), Note(67, 1.4, 0.37, 90), Note(60, 1.77, 0.73, 120),
             Note(71, 4.0, 1.11, 110), Note(71, 5.11, 1.0, 110), Note(74, 6.11, 0.55, 70)]
    melody = Melody(tuple(notes), tempo_bpm=120)
    x = render_builtin(melody, SR, PROGRAMS[voice]).samples[:, 0]
    # A click is a corner in the waveform: the second difference spikes far above the smooth tone's own.
    bend = np.abs(np.diff(x, 2))
    spb, ms = melody.seconds_per_beat, SR // 1000
    steady = max(bend[round(n.start * spb * SR) + 60 * ms:round(n.end * spb * SR) - 5 * ms].max() for n in notes)
    release = int(VOICES[voice].release * SR)
    for n in notes:
        on, off = round(n.start * spb * SR), round(n.end * spb * SR)
        assert bend[on - ms:on + ms].max() <= steady, f"click at the start of {n}"
        assert bend[off + release - ms:off + release + ms].max() <= steady, f"click at the end of {n}"
    # before the first note and in the rest (after the release) the output is exactly silent
    rest_from = round(2.5 * spb * SR) + release + 1
    assert not x[:round(0.5 * spb * SR)].any() and not x[rest_from:round(4.0 * spb * SR)].any()
    assert abs(x[-1]) < 1e-4


def test_level_is_sane_and_follows_velocity():
    def rms(velocity: int) -> float:
        x = render_builtin(Melody((Note(67, 0, 2, velocity),), tempo_bpm=120), SR, 73).samples[:, 0]
        return float(np.sqrt(np.mean(x ** 2)))

    loud, soft = rms(120), rms(40)
    assert 0.03 < loud < 0.4
    assert 4 < loud / soft < 12  # a velocity range of 3x is about 15-20 dB


def test_the_whole_keyboard_renders_band_limited_and_unclipped():
    melody = Melody(tuple(Note(p, (p - 21) * 0.25, 0.5, 127) for p in range(21, 109)), tempo_bpm=240)
    for sample_rate in (8000, 48000):
        x = render_builtin(melody, sample_rate, 0).samples[:, 0]
        assert np.isfinite(x).all() and 0.05 < np.abs(x).max() <= 0.98
    # C8 at 8 kHz: 4186 Hz is above Nyquist; the note must be (near) silent instead of aliasing down
    x = render_builtin(Melody((Note(108, 0, 1, 127),), tempo_bpm=60), 8000, 0).samples[:, 0]
    assert np.abs(x).max() < 1e-3


def test_bad_parameters():
    melody = Melody((Note(60, 0, 1),))
    with pytest.raises(BadInput, match="0..127"):
        render_builtin(melody, SR, 128)
    with pytest.raises(BadInput, match="no notes"):
        render_builtin(Melody(()), SR)
    with pytest.raises(BadInput, match="sample rate"):
        render_builtin(melody, 100)
    with pytest.raises(BadInput, match="does not exist"):
        render_melody(melody, SR, soundfont="/nowhere/none.sf2")
    # FluidSynth would ignore a rate above 96 kHz and play 13 semitones sharp in a file labelled 192 kHz;
    # refused before it is even loaded
    with pytest.raises(BadInput, match="at most 96000 Hz, not 192000"):
        render_soundfont(melody, "/any/font.sf2", 192000)


def test_without_fluidsynth_render_melody_uses_the_builtin_synth(monkeypatch):
    monkeypatch.setattr(synth, "_import_fluidsynth", lambda: None)
    melody = Melody((Note(60, 0, 1), Note(64, 1, 1)))
    ok, why = soundfont_status()
    assert not ok and "FluidSynth is not installed" in why
    assert np.array_equal(render_melody(melody, SR).samples, render_builtin(melody, SR).samples)


def test_without_a_soundfont_status_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(synth, "find_soundfont", lambda: None)
    monkeypatch.setattr(synth, "_import_fluidsynth", lambda: object())
    ok, why = soundfont_status()
    assert not ok and "No SoundFont found" in why and synth.SOUNDFONT_ENV in why


needs_fluidsynth = pytest.mark.skipif(synth._import_fluidsynth() is None or not TIMGM.is_file(),
                                      reason="needs libfluidsynth + pyfluidsynth and the timgm6mb-soundfont package")


@needs_fluidsynth
@pytest.mark.parametrize("program", [0, 73])
def test_fluidsynth_renders_the_right_fundamental(program):
    melody = Melody((Note(69, 0, 2, 100), Note(76, 3, 1, 100)), tempo_bpm=120)
    audio = render_soundfont(melody, TIMGM, SR, program)
    x = audio.samples.mean(axis=1)
    assert audio.channels == 2 and 2.0 < audio.duration_s < 2.0 + synth.FLUID_TAIL_S + 0.1
    assert 0.05 < np.abs(x).max() <= 0.98
    assert peak_hz(x[int(0.1 * SR):int(0.1 * SR) + 32768], SR) == pytest.approx(440.0, abs=2.0)
    assert peak_hz(x[int(1.55 * SR):int(1.55 * SR) + 16384], SR) == pytest.approx(659.26, abs=3.0)


@needs_fluidsynth
def test_soundfont_is_found_and_used(monkeypatch):
    monkeypatch.setenv(synth.SOUNDFONT_ENV, str(TIMGM))
    assert synth.find_soundfont() == TIMGM
    ok, what = soundfont_status()
    assert ok and "TimGM6mb.sf2" in what
    melody = Melody((Note(69, 0, 1),))
    assert np.array_equal(render_melody(melody, SR).samples, render_soundfont(melody, TIMGM, SR).samples)


@needs_fluidsynth
def test_a_file_that_is_not_a_soundfont(tmp_path):
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"RIFF....sfbk not really")
    with pytest.raises(BadInput, match="cannot be loaded as a SoundFont"):
        render_melody(Melody((Note(60, 0, 1),)), SR, soundfont=fake)


def test_metronome_clicks_on_beats_with_accented_downbeats():
    x = metronome(8, 120, "4/4", SR)
    assert x.shape == (4 * SR,) and x.dtype == np.float32
    onsets = [round(b * 0.5 * SR) for b in range(8)]
    peaks = [float(np.abs(x[o:o + SR // 50]).max()) for o in onsets]
    assert peaks[0] > 1.3 * peaks[1] and peaks[4] == pytest.approx(peaks[0]) and peaks[1] == pytest.approx(peaks[2])
    assert not x[onsets[0] + SR // 20:onsets[1]].any()  # silent between clicks
    assert peak_hz(x[:SR // 40], SR) == pytest.approx(1760, abs=20) and \
        peak_hz(x[onsets[1]:onsets[1] + SR // 40], SR) == pytest.approx(1320, abs=20)


def test_metronome_in_compound_meter_clicks_dotted_quarters():
    x = metronome(6, 90, Meter(6, 8), SR)  # two bars of 6/8
    sounding = np.nonzero(np.abs(x) > 1e-4)[0]
    starts = sounding[np.insert(np.diff(sounding) > SR // 100, 0, True)]  # first sample of each click
    spb = 60 / 90
    assert len(starts) == 4
    assert starts == pytest.approx([round(k * 1.5 * spb * SR) for k in range(4)], abs=3)
    with pytest.raises(BadInput):
        metronome(4, 0, "4/4", SR)
