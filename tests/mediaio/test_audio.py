"""Reading, writing and resampling real audio files, and every bad-input message."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
import soundfile as sf

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.mediaio import audio as audio_io
from genai_studio.mediaio.audio import (
    AUDIO_FILE_FILTER, SUPPORTED_AUDIO_EXTENSIONS, load_audio, resample, save_audio,
)


def sine(freq: float, sr: int, seconds: float, channels: int = 1, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    tone = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(tone[:, None], channels, axis=1)  # (frames, channels)


def dominant_hz(x: np.ndarray, sr: int) -> float:
    """Peak of the windowed spectrum, refined by parabolic interpolation (sub-bin accuracy)."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    spec = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1:k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(mono)


@pytest.mark.parametrize(
    ("ext", "subtype", "sr", "channels", "freq"),
    [
        ("wav", "PCM_16", 44100, 1, 440.0),
        ("wav", "PCM_24", 48000, 2, 1000.0),
        ("wav", "FLOAT", 22050, 2, 330.0),
        ("flac", "PCM_16", 44100, 2, 523.25),
        ("flac", "PCM_24", 96000, 1, 2000.0),
        ("ogg", "VORBIS", 44100, 2, 440.0),
    ],
)
def test_load_real_files(tmp_path, ext, subtype, sr, channels, freq):
    path = tmp_path / f"tone.{ext}"
    sf.write(path, sine(freq, sr, 1.0, channels), sr, subtype=subtype)
    audio = load_audio(path)
    assert isinstance(audio, AudioBuffer)
    assert audio.sample_rate == sr
    assert audio.channels == channels
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 2
    assert abs(audio.duration_s - 1.0) < 0.01
    assert abs(dominant_hz(audio.samples, sr) - freq) < 1.0
    assert 0.4 < np.abs(audio.samples).max() < 0.6
    assert audio.name == "tone"


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg"])
def test_save_round_trip_is_atomic(tmp_path, ext):
    src = AudioBuffer(sine(660.0, 48000, 0.5, 2), 48000, name="x")
    out = save_audio(src, tmp_path / f"out.{ext}")
    assert out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out.{ext}"]  # no temp file left behind
    back = load_audio(out)
    assert back.sample_rate == 48000 and back.channels == 2
    assert abs(dominant_hz(back.samples, 48000) - 660.0) < 1.0
    if ext != "ogg":  # lossless: 24-bit quantisation only
        assert np.abs(back.samples - src.samples).max() < 1e-5


def test_save_clips_overs_and_refuses_unknown_extension(tmp_path):
    loud = AudioBuffer(np.full((100, 1), 1.7, dtype=np.float32), 8000)
    back = load_audio(save_audio(loud, tmp_path / "loud.wav"))
    assert np.all(back.samples > 0.99)  # clipped, not wrapped to negative
    with pytest.raises(BadInput, match=r"\.wav, \.flac or \.ogg"):
        save_audio(loud, tmp_path / "x.mp3")


def test_filter_and_extensions():
    assert {".wav", ".flac", ".ogg"} <= set(SUPPORTED_AUDIO_EXTENSIONS)
    for ext in ("*.wav", "*.flac", "*.ogg"):
        assert ext in AUDIO_FILE_FILTER


def test_missing_file(tmp_path):
    with pytest.raises(BadInput, match=r"'nope\.wav' does not exist"):
        load_audio(tmp_path / "nope.wav")


def test_directory(tmp_path):
    folder = tmp_path / "sounds.wav"
    folder.mkdir()
    with pytest.raises(BadInput, match="is a folder, not an audio file"):
        load_audio(folder)


def test_empty_file(tmp_path):
    (tmp_path / "empty.flac").write_bytes(b"")
    with pytest.raises(BadInput, match=r"'empty\.flac' is empty \(0 bytes\)"):
        load_audio(tmp_path / "empty.flac")


def test_unsupported_format_names_the_supported_ones(tmp_path):
    (tmp_path / "song.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + os.urandom(200))
    expected = r"'song\.mp3' cannot be imported: \.mp3 files are not supported.*WAV, FLAC and OGG Vorbis"
    with pytest.raises(BadInput, match=expected):
        load_audio(tmp_path / "song.mp3")


def test_random_bytes_are_corrupt(tmp_path):
    (tmp_path / "noise.wav").write_bytes(os.urandom(4096))
    with pytest.raises(BadInput, match=r"'noise\.wav' cannot be read as audio: the file is corrupt"):
        load_audio(tmp_path / "noise.wav")


@pytest.mark.parametrize("ext,subtype", [("wav", "PCM_16"), ("flac", "PCM_16"), ("ogg", "VORBIS")])
def test_truncated_files(tmp_path, ext, subtype):
    full = tmp_path / f"full.{ext}"
    sf.write(full, sine(440.0, 44100, 2.0), 44100, subtype=subtype)
    data = full.read_bytes()
    cut = tmp_path / f"cut.{ext}"
    cut.write_bytes(data[: len(data) * 6 // 10])
    with pytest.raises(BadInput, match=r"'cut\.\w+' (is truncated|contains no decodable audio|cannot be read)"):
        load_audio(cut)


def test_truncated_wav_says_how_much_is_missing(tmp_path):
    full = tmp_path / "long.wav"
    sf.write(full, sine(440.0, 8000, 10.0), 8000, subtype="PCM_16")
    data = full.read_bytes()
    (tmp_path / "half.wav").write_bytes(data[: 44 + (len(data) - 44) // 2])
    with pytest.raises(BadInput, match=r"promises 10\.0 s of audio but the file holds only 5\.0 s"):
        load_audio(tmp_path / "half.wav")


def test_absurdly_long_audio_is_refused_with_its_duration(tmp_path):
    # A valid WAV header that declares 3 h of 8 kHz mono: the refusal comes before decoding anything.
    frames = 3 * 3600 * 8000
    data_size = frames * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    header += b"data" + struct.pack("<I", data_size)
    path = tmp_path / "long.wav"
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(len(header) + data_size)  # sparse file: no disk used
    with pytest.raises(BadInput, match=r"'long\.wav' is 3 h 00 min long; the timeline accepts audio up to 2 h"):
        load_audio(path)


def test_nan_samples_are_neutralised(tmp_path):
    x = sine(440.0, 8000, 0.1)
    x[10] = np.nan
    sf.write(tmp_path / "nan.wav", x, 8000, subtype="FLOAT")
    assert np.isfinite(load_audio(tmp_path / "nan.wav").samples).all()


@pytest.mark.parametrize("src,dst", [(44100, 48000), (48000, 22050), (8000, 48000), (44100, 44101)])
def test_resample_keeps_pitch_level_and_length(src, dst):
    x = sine(1000.0, src, 0.5, channels=2)
    y = resample(x, src, dst)
    assert y.shape == (round(len(x) * dst / src), 2) and y.dtype == np.float32
    mid = y[len(y) // 4: 3 * len(y) // 4]
    ref = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(len(y)) / dst)[len(y) // 4: 3 * len(y) // 4]
    assert np.abs(mid[:, 0] - ref).max() < 1e-3


def test_resample_removes_content_above_the_new_nyquist():
    x = sine(20000.0, 48000, 0.5)  # above 11.025 kHz: must vanish, not alias down
    y = resample(x, 48000, 22050)
    assert np.sqrt(np.mean(y[500:-500] ** 2)) < 1e-3


def test_resample_general_path_matches_polyphase(monkeypatch):
    x = np.random.default_rng(0).standard_normal((4000, 1)).astype(np.float32) * 0.1
    fast = resample(x, 44100, 48000)
    monkeypatch.setattr(audio_io, "_MAX_PHASES", 0)
    slow = resample(x, 44100, 48000)
    assert np.abs(fast - slow).max() < 1e-5


def test_resample_to_zero_frames_is_empty_not_an_error():
    out = resample(np.ones((1, 2), dtype=np.float32), 96000, 44100)
    assert out.shape == (0, 2) and out.dtype == np.float32


def test_ogg_above_192_khz_is_refused_before_libvorbis_can_crash(tmp_path):
    """libvorbis takes the whole process down (SIGSEGV) on 250 kHz and up; DXD recordings are 352.8/384 kHz."""
    audio = AudioBuffer(np.zeros((384_000, 1), np.float32), 384_000)
    with pytest.raises(BadInput, match=r"at most 192 kHz.*384 kHz.*\.wav or \.flac"):
        save_audio(audio, tmp_path / "dxd.ogg")
    assert list(tmp_path.iterdir()) == []  # no temp file left either
    save_audio(audio, tmp_path / "dxd.flac")  # FLAC takes it
