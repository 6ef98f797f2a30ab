"""Voice job specs: the ranges the panel and the CLI share, and their titles."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note
from genai_studio.core.voice_jobs import (
    MAX_SPEAK_CHARS, SingSpec, SpeakSpec, VoiceDenoiseSpec, VoiceTransformSpec,
)

AUDIO = AudioBuffer(np.zeros((100, 1), dtype=np.float32), 16000, "take")
MELODY = Melody((Note(60, 0, 1), Note(62, 1, 1)), name="tune")


def test_speak_spec_accepts_defaults_and_titles_with_the_first_words():
    spec = SpeakSpec(text="one two three four five six seven eight")
    assert spec.title == "Speak · one two three four five six…"
    assert spec.to_json()["text"].startswith("one two")


@pytest.mark.parametrize("changes, words", [
    ({"text": "   \n"}, "text to speak"),
    ({"text": "x" * (MAX_SPEAK_CHARS + 1)}, "limit is 100,000"),
    ({"speed": 3.0}, "speed"),
    ({"pitch_semitones": -13}, "pitch"),
    ({"style": "angry"}, "style"),
    ({"pause_s": -1}, "pause"),
])
def test_speak_spec_refuses_out_of_range_values_naming_them(changes, words):
    args = {"text": "hello"} | changes
    with pytest.raises(ValueError, match=words):
        SpeakSpec(**args)


def test_transform_spec_ranges_and_title():
    spec = VoiceTransformSpec(audio=AUDIO, pitch_semitones=3, tempo_ratio=0.5, effect="robot")
    assert spec.title == "Transform take (+3 st, tempo ×0.5, robot)"
    assert spec.to_json()["audio"] == {"audio": "take", "seconds": 0.006, "sample_rate": 16000}
    for bad in ({"formant_ratio": 0.3}, {"tempo_ratio": 5}, {"pitch_semitones": 25}, {"effect": "echo"}):
        with pytest.raises(ValueError):
            VoiceTransformSpec(audio=AUDIO, **bad)
    with pytest.raises(ValueError, match="select an audio clip"):
        VoiceTransformSpec()


def test_denoise_and_sing_specs_check_their_inputs():
    with pytest.raises(ValueError, match="strength"):
        VoiceDenoiseSpec(audio=AUDIO, strength=1.5)
    with pytest.raises(ValueError, match="method"):
        VoiceDenoiseSpec(audio=AUDIO, method="magic")
    with pytest.raises(ValueError, match="MIDI clip with notes"):
        SingSpec(melody=Melody(), lyrics="la")
    with pytest.raises(ValueError, match="lyrics"):
        SingSpec(melody=MELODY, lyrics="  ")
    assert SingSpec(melody=MELODY, lyrics="la la").title == "Sing tune"
