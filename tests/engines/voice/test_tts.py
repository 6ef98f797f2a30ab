"""Text-to-speech on the real bundled Piper voice ("joe", en_US, 22.05 kHz)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from genai_studio.core.errors import BadInput, Cancelled, ModelError
from genai_studio.core.progress import CancelToken
from genai_studio.engines.voice.metrics import speech_median_f0, track_f0
from genai_studio.engines.voice.tts import VoiceFiles, load_voice, speak, voice_info

THREE_SENTENCES = "The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore. How are you today?"


@pytest.fixture(scope="module")
def joe() -> VoiceFiles:
    voice = VoiceFiles.bundled()
    load_voice(voice)  # load once (~2 s) for the whole module
    return voice


@pytest.fixture(scope="module")
def normal_speech(joe):
    """THREE_SENTENCES at default settings, shared by the comparisons below."""
    return speak(THREE_SENTENCES, joe, pause_s=0.2)[0]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def test_bundled_voice_info(joe):
    info = voice_info(joe)
    assert info["language"] == "en_US" and info["sample_rate"] == 22050
    assert info["quality"] == "medium" and info["num_speakers"] == 1 and info["speakers"] == []


def test_voice_cache_reuses_and_is_thread_safe(joe):
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_voice(joe))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and all(r is load_voice(joe) for r in results)


def test_speak_produces_plausible_speech(joe):
    text = "Hello there. This is a short test of the speech engine, with a few words."
    audio, notes = speak(text, joe)
    assert audio.sample_rate == 22050 and audio.channels == 1 and audio.samples.dtype == np.float32
    assert notes == []
    assert rms(audio.samples) > 0.03  # silence is < 0.001
    assert np.abs(audio.samples).max() <= 0.98
    words_per_s = len(text.split()) / audio.duration_s
    assert 1.5 < words_per_s < 5.0


def test_streaming_hands_over_each_sentence_before_returning(joe):
    chunks: list[np.ndarray] = []
    returned = threading.Event()

    def on_chunk(samples: np.ndarray, rate: int) -> None:
        assert rate == 22050 and samples.ndim == 1 and samples.dtype == np.float32
        assert not returned.is_set()
        chunks.append(samples)

    audio, _ = speak(THREE_SENTENCES, joe, pause_s=0.3, on_chunk=on_chunk)
    returned.set()
    assert len(chunks) == 3
    np.testing.assert_array_equal(np.concatenate(chunks), audio.samples[:, 0])
    # each sentence but the last ends with its pause (exact zeros)
    for chunk in chunks[:-1]:
        assert not np.any(chunk[-int(0.3 * 22050):])
    assert np.any(chunks[-1][-200:])


def test_paragraph_pause_is_longer_than_sentence_pause(joe):
    chunks: list[np.ndarray] = []
    speak("One sentence here. Another one.\n\nA new paragraph.", joe, pause_s=0.3,
          on_chunk=lambda c, r: chunks.append(c))

    def trailing_zeros(c: np.ndarray) -> int:
        return len(c) - 1 - int(np.flatnonzero(c)[-1])

    assert len(chunks) == 3
    assert trailing_zeros(chunks[1]) > 1.5 * trailing_zeros(chunks[0]) >= 1.5 * int(0.3 * 22050)


def test_cancel_stops_after_the_current_sentence(joe):
    token = CancelToken()
    chunks: list[np.ndarray] = []

    def on_chunk(samples: np.ndarray, rate: int) -> None:
        chunks.append(samples)
        token.cancel()

    with pytest.raises(Cancelled):
        speak(THREE_SENTENCES, joe, token=token, on_chunk=on_chunk)
    assert len(chunks) == 1


def test_faster_speech_is_shorter(joe, normal_speech):
    fast, _ = speak(THREE_SENTENCES, joe, pause_s=0.2, speed=1.5)
    assert fast.duration_s < 0.85 * normal_speech.duration_s


def test_pitch_up_four_semitones(joe, normal_speech):
    # Piper draws fresh noise on every call, so one pair of takes differs by up to ±1 semitone on its own
    # (8 pairs measured 3.5–4.8, one CI run 5.2): compare the median of three takes on each side
    def f0(audio) -> float:
        return speech_median_f0(audio.mono(), 22050)

    normal = [f0(normal_speech)] + [f0(speak(THREE_SENTENCES, joe, pause_s=0.2)[0]) for _ in range(2)]
    higher = [f0(speak(THREE_SENTENCES, joe, pause_s=0.2, pitch_semitones=4.0)[0]) for _ in range(3)]
    shift = 12 * np.log2(np.median(higher) / np.median(normal))
    assert shift == pytest.approx(4.0, abs=1.0)


def test_whisper_has_few_voiced_frames(joe, normal_speech):
    normal = normal_speech
    whisper, _ = speak(THREE_SENTENCES, joe, pause_s=0.2, style="whisper")

    def voiced_fraction(audio) -> float:
        f0, _ = track_f0(audio.mono(), audio.sample_rate)
        return float(np.mean(f0 > 0))

    assert voiced_fraction(normal) > 0.25
    assert voiced_fraction(whisper) < 0.4 * voiced_fraction(normal)
    assert rms(whisper.samples) > 0.01


def test_emoji_are_reported(joe):
    _, notes = speak("Nice work 👍 everyone.", joe)
    assert notes == ["removed 1 emoji"]


@pytest.mark.parametrize("text", ["", "   \n ", "😀🎉", "... !!! ---"])
def test_nothing_to_say_is_bad_input(joe, text):
    with pytest.raises(BadInput):
        speak(text, joe)


@pytest.mark.parametrize("kwargs, match", [
    ({"speed": 3.0}, "speed"), ({"speed": 0.4}, "speed"), ({"pitch_semitones": 13.0}, "pitch"),
    ({"style": "shouty"}, "style"), ({"volume_db": 40.0}, "volume"), ({"speaker_id": 2}, "Speaker"),
])
def test_bad_settings_are_bad_input(joe, kwargs, match):
    with pytest.raises(BadInput, match=match):
        speak("Hello.", joe, **kwargs)


# --- broken voices -------------------------------------------------------------------------------------


def test_garbage_model_file_is_a_model_error(joe, tmp_path):
    model = tmp_path / "broken.onnx"
    model.write_bytes(np.random.default_rng(0).bytes(64 * 1024))
    (tmp_path / "broken.onnx.json").write_text(joe.config_path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ModelError, match="broken.onnx"):
        load_voice(VoiceFiles.from_model(model))


def test_missing_config_is_a_model_error(tmp_path):
    model = tmp_path / "lonely.onnx"
    model.write_bytes(b"\0" * 4096)
    with pytest.raises(ModelError, match="lonely.onnx.json' is missing"):
        voice_info(VoiceFiles.from_model(model))


def test_invalid_config_json_is_a_model_error(joe, tmp_path):
    model = tmp_path / "v.onnx"
    model.symlink_to(joe.model_path)
    config = tmp_path / "v.onnx.json"
    config.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_voice(VoiceFiles(model, config))
    config.write_text(json.dumps({"audio": {}}), encoding="utf-8")
    with pytest.raises(ModelError, match="not a Piper voice config"):
        voice_info(VoiceFiles(model, config))


def test_config_that_does_not_fit_the_model_is_a_model_error(joe, tmp_path):
    model = tmp_path / "mismatch.onnx"
    model.symlink_to(joe.model_path)
    config = json.loads(joe.config_path.read_text(encoding="utf-8"))
    config["phoneme_id_map"] = {k: [v[0] + 5000] for k, v in config["phoneme_id_map"].items()}
    (tmp_path / "mismatch.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelError, match="does not match its config"):
        load_voice(VoiceFiles.from_model(model))
