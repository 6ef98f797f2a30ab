"""Hum-to-MIDI on a real neural voice: the bundled Piper voice sings a tune, the transcription gets it back."""

from __future__ import annotations

from genai_studio.bench.hum_data import note_f1, reference_melodies
from genai_studio.engines.music.hum import hum_to_melody
from genai_studio.engines.voice.sing import sing
from genai_studio.engines.voice.tts import VoiceFiles


def test_a_sung_tune_is_transcribed_note_for_note():
    melody = next(m for m in reference_melodies() if m.name == "ode")  # repeated notes and a dotted rhythm
    audio, _notes = sing(melody, " ".join(["la"] * len(melody.notes)), VoiceFiles.bundled())
    assert note_f1(melody, hum_to_melody(audio, tempo_bpm=melody.tempo_bpm)) >= 0.9
