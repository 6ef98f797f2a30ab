"""Recording: a fake PortAudio input stream feeds blocks; levels and the take come back; no device is explained."""

from __future__ import annotations

import numpy as np

from genai_studio.runtime import recorder as rec


class _FakeStream:
    def __init__(self, callback, **kwargs):
        self.callback, self.kwargs = callback, kwargs
        self.running = False

    def start(self):
        self.running = True

    def stop(self):
        self.running = False

    def close(self):
        pass


class _FakeSd:
    def __init__(self):
        self.streams = []

    def InputStream(self, **kwargs):  # noqa: N802 - mirrors sounddevice
        stream = _FakeStream(**kwargs)
        self.streams.append(stream)
        return stream


def test_recording_collects_blocks_and_reports_levels(qtbot, monkeypatch):
    sd = _FakeSd()
    monkeypatch.setattr(rec, "_import_sounddevice", lambda: sd)
    r = rec.AudioRecorder(sample_rate=8000)
    levels = []
    r.level_changed.connect(levels.append)
    assert r.start()
    stream = sd.streams[0]
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(800) / 8000)).astype(np.float32)[:, None]
    for i in range(0, 800, 100):
        stream.callback(tone[i:i + 100], 100, None, None)
    qtbot.waitUntil(lambda: bool(levels) and max(levels) > 0.4, timeout=2000)
    audio = r.stop()
    assert audio.sample_rate == 8000 and audio.frames == 800
    assert np.allclose(audio.samples, tone)
    assert not r.is_recording and not stream.running


def test_no_input_device_is_a_clear_message(qtbot, monkeypatch):
    class NoInput:
        def InputStream(self, **kwargs):  # noqa: N802
            raise ValueError("No input device matching")

    monkeypatch.setattr(rec, "_import_sounddevice", lambda: NoInput())
    r = rec.AudioRecorder()
    errors = []
    r.error.connect(errors.append)
    assert not r.start()
    assert errors == [rec.NO_INPUT_MESSAGE]


def test_missing_portaudio_is_a_clear_message(qtbot, monkeypatch):
    def missing():
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(rec, "_import_sounddevice", missing)
    r = rec.AudioRecorder()
    errors = []
    r.error.connect(errors.append)
    assert not r.start()
    assert "PortAudio" in errors[0]
