"""Singing with the real bundled Piper voice, and the "sung f0 vs notes" metrics the benchmark reuses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genai_studio.core.errors import BadInput, Cancelled
from genai_studio.core.music import Melody, Note
from genai_studio.core.progress import CancelToken
from genai_studio.engines.voice.metrics import midi_to_hz, score_singing, summarize, track_f0
from genai_studio.engines.voice.sing import sing
from genai_studio.engines.voice.tts import VoiceFiles, load_voice

RATE = 22050
SCALE = (48, 50, 52, 53, 55, 57, 59, 60)  # C3..C4: inside a low male voice's range


@pytest.fixture(scope="module")
def joe() -> VoiceFiles:
    voice = VoiceFiles.bundled()
    load_voice(voice)
    return voice


def melody(pitches, start: float = 0.0, beats: float = 1.0, tempo: float = 100.0) -> Melody:
    return Melody(tuple(Note(p, start + i * beats, beats) for i, p in enumerate(pitches)), tempo_bpm=tempo)


def tone(notes, tempo: float, detune_cents: float = 0.0, gap_s: float = 0.03) -> np.ndarray:
    """A harmonic tone per note (reference for the metrics), silent for ``gap_s`` at each note's end."""
    spb = 60.0 / tempo
    end = max(n.end for n in notes) * spb
    out = np.zeros(int((end + 0.2) * RATE))
    for n in notes:
        a, b = int(n.start * spb * RATE), int((n.end * spb - gap_s) * RATE)
        t = np.arange(b - a) / RATE
        f = midi_to_hz(n.pitch) * 2 ** (detune_cents / 1200)
        out[a:b] = sum(np.sin(2 * np.pi * k * f * t) / k for k in range(1, 6)) * 0.2
    return out.astype(np.float32)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


# --- metrics --------------------------------------------------------------------------------------------


def test_track_f0_reads_a_tone():
    f0, _ = track_f0(tone([Note(57, 0, 4)], 120.0), RATE)
    assert abs(1200 * np.log2(np.median(f0[f0 > 0]) / 220.0)) < 5


@pytest.mark.parametrize("detune", [0.0, 20.0])
def test_score_singing_on_reference_tones(detune):
    m = melody([48, 52, 55, 55, 60], tempo=120.0)
    scores = score_singing(tone(m.notes, 120.0, detune), RATE, m.notes, 120.0)
    assert len(scores) == 5
    for s in scores:
        assert s.cents_error == pytest.approx(detune, abs=5.0)
        assert abs(s.onset_error_s) <= 0.015  # including the repeated G (energy-dip rule)
    summary = summarize(scores)
    assert summary["voiced_notes"] == 5 and summary["median_abs_cents"] == pytest.approx(detune, abs=5.0)


def test_score_singing_marks_silent_notes():
    m = melody([48, 52], tempo=120.0)
    scores = score_singing(tone(m.notes[:1], 120.0), RATE, m.notes, 120.0)
    assert not math.isnan(scores[0].cents_error) and math.isnan(scores[1].cents_error)
    assert summarize(scores)["voiced_notes"] == 1


# --- singing -------------------------------------------------------------------------------------------


def test_sings_a_scale_in_tune_and_on_time(joe):
    m = melody(SCALE, start=1.0)
    audio, notes = sing(m, "do re mi fa sol la ti do", joe)
    assert notes == []
    assert audio.sample_rate == RATE and audio.channels == 1 and audio.samples.dtype == np.float32
    spb = m.seconds_per_beat
    assert m.duration_beats * spb <= audio.duration_s < m.duration_beats * spb + 0.6
    x = audio.mono()
    # beat 0 is silent; the first syllable's consonant may start a little before its note
    assert rms(x[: int((spb - 0.25) * RATE)]) < 1e-3 * np.abs(x).max()
    scores = score_singing(x, RATE, m.notes, m.tempo_bpm)
    for s in scores:
        assert abs(s.cents_error) < 30, s
        assert abs(s.onset_error_s) < 0.05, s
    assert summarize(scores)["median_abs_cents"] < 10


def test_fewer_syllables_hold_the_last_one(joe):
    m = melody([50, 53, 57, 55])
    audio, notes = sing(m, "la", joe)
    assert len(notes) == 1 and "held" in notes[0]
    scores = score_singing(audio.mono(), RATE, m.notes, m.tempo_bpm)
    assert all(abs(s.cents_error) < 30 for s in scores), scores


def test_more_syllables_than_notes_are_dropped_with_a_note(joe):
    m = melody([50, 52, 53])
    audio, notes = sing(m, "one two three four five", joe)
    assert len(notes) == 1 and notes[0].endswith("four five")
    assert audio.duration_s < m.duration_beats * m.seconds_per_beat + 0.6


def test_rests_are_silent_and_melisma_marks_hold(joe):
    notes = (Note(50, 0, 1), Note(52, 1, 1), Note(53, 4, 1), Note(55, 5, 1))  # two beats of rest
    m = Melody(notes, tempo_bpm=100.0)
    audio, messages = sing(m, "ah _ oh _", joe)
    assert messages == []
    x = audio.mono()
    spb = m.seconds_per_beat
    rest = x[int(2.3 * spb * RATE): int(3.6 * spb * RATE)]
    assert rms(rest) < 1e-3 * np.abs(x).max()
    scores = score_singing(x, RATE, m.notes, m.tempo_bpm)
    assert all(abs(s.cents_error) < 30 for s in scores), scores


def test_legato_joins_notes_and_staccato_detaches_them(joe):
    m = melody([50, 52, 53, 55])
    spb = m.seconds_per_beat

    def note_tails(legato: float) -> float:
        x = sing(m, "la la la la", joe, legato=legato)[0].mono()
        # before the next syllable's consonant, which starts up to ~100 ms ahead of its note
        tails = [x[int((i + 0.7) * spb * RATE): int((i + 0.82) * spb * RATE)] for i in range(3)]
        return max(rms(t) for t in tails) / np.abs(x).max()

    assert note_tails(0.0) < 1e-2  # sung for 65 % of each note, then silent
    assert note_tails(1.0) > 0.05


def test_singing_is_deterministic(joe):
    m = melody([55, 57, 55])
    first, _ = sing(m, "la la la", joe, vibrato_cents=0.0)
    second, _ = sing(m, "la la la", joe, vibrato_cents=0.0)
    np.testing.assert_array_equal(first.samples, second.samples)


def test_chords_sing_the_top_note(joe):
    m = Melody((Note(48, 0, 1), Note(55, 0, 1), Note(52, 1, 1)), tempo_bpm=100.0)
    audio, notes = sing(m, "la la", joe)
    assert any("chord" in n for n in notes)
    scores = score_singing(audio.mono(), RATE, (Note(55, 0, 1), Note(52, 1, 1)), 100.0)
    assert all(abs(s.cents_error) < 30 for s in scores), scores


def test_cancel(joe):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        sing(melody(SCALE), "la", joe, token=token)


@pytest.mark.parametrize("lyrics, kwargs, match", [
    ("", {}, "lyrics"), ("_ _", {}, "lyrics"), ("la", {"legato": 1.5}, "legato"),
    ("la", {"vibrato_cents": -1.0}, "vibrato"), ("la", {"breathiness": 2.0}, "breathiness"),
])
def test_bad_input(joe, lyrics, kwargs, match):
    with pytest.raises(BadInput, match=match):
        sing(melody(SCALE[:2]), lyrics, joe, **kwargs)


def test_empty_melody_is_bad_input(joe):
    with pytest.raises(BadInput, match="no notes"):
        sing(Melody(()), "la", joe)


def test_words_an_english_voice_cannot_read_are_named(joe):
    from genai_studio.engines.voice.lyrics import foreign_words_note, parse_lyrics
    from genai_studio.engines.voice.tts import voice_info

    language = voice_info(joe)["language"]
    assert foreign_words_note(parse_lyrics("twin-kle lit-tle star, ca-fé"), language) == []  # accents are Latin
    assert foreign_words_note(parse_lyrics("При-вет"), "ru") == []  # a Russian voice reads it
    note = foreign_words_note(parse_lyrics("При-вет мир la la"), language)
    assert note == ["this voice sings English; 'Привет', 'мир' are not in its alphabet and will not be sung as "
                    "written"]
