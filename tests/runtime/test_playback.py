"""AudioPlayer: real output through ALSA routed to a file, and every way the sound system can be missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from genai_studio.runtime import playback
from genai_studio.runtime.playback import NO_DEVICE_MESSAGE, NO_PORTAUDIO_MESSAGE, AudioPlayer, audio_output_status

REPO = Path(__file__).resolve().parents[2]

_ASOUNDRC = """\
pcm.!default {{ type plug slave.pcm "cap" }}
pcm.cap {{ type file slave.pcm "nul" file "{out}" format "raw" }}
pcm.nul {{ type null }}
"""

_PLAYER_SCRIPT = textwrap.dedent("""\
    import json, sys
    import numpy as np
    from PySide6.QtCore import QCoreApplication, QTimer
    from genai_studio.runtime.playback import AudioPlayer, audio_output_status

    app = QCoreApplication([])
    player = AudioPlayer()
    log = {"status": audio_output_status(), "positions": [], "finished": False, "errors": []}
    player.position_changed.connect(log["positions"].append)
    player.finished.connect(lambda: (log.__setitem__("finished", True), app.quit()))
    player.error.connect(lambda m: (log["errors"].append(m), app.quit()))
    sr = 48000
    t = np.arange(sr // 2) / sr
    tone = (0.5 * np.cos(2 * np.pi * 440.0 * t)).astype(np.float32)  # cos: the first sample is not 0
    stereo = np.stack([tone, -tone], axis=1)  # (frames, 2); R inverted to check channel order
    if player.play(stereo, sr):
        QTimer.singleShot(10000, app.quit)
        app.exec()
    log["final_position"] = player.position_s
    print(json.dumps(log))
""")


def _portaudio_available() -> bool:
    try:
        import sounddevice  # noqa: F401
    except OSError:
        return False
    return True


def _decode_raw(raw: bytes) -> np.ndarray:
    """The plug converts to what the file/null slave accepts: PortAudio asks for float32, so that is what lands
    in the file; fall back to signed 16-bit if the data does not look like float samples."""
    as_float = np.frombuffer(raw[: len(raw) // 8 * 8], dtype="<f4").reshape(-1, 2)
    if np.isfinite(as_float).all() and np.abs(as_float).max() <= 1.0 and np.abs(as_float).max() > 0.1:
        return as_float
    return np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<i2").reshape(-1, 2).astype(np.float32) / 32768.0


@pytest.mark.skipif(not _portaudio_available(), reason="PortAudio (Debian libportaudio2) is not installed")
def test_playback_really_outputs_the_samples(tmp_path):
    out = tmp_path / "OUT.raw"
    (tmp_path / ".asoundrc").write_text(_ASOUNDRC.format(out=out))
    (tmp_path / "play.py").write_text(_PLAYER_SCRIPT)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env.pop("ALSA_CONFIG_PATH", None)
    proc = subprocess.run([sys.executable, str(tmp_path / "play.py")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout.strip().splitlines()[-1])
    assert log["status"][0] is True, log
    assert log["errors"] == []
    assert log["finished"] is True
    assert log["positions"] and log["positions"][-1] == pytest.approx(0.5)
    assert log["final_position"] == pytest.approx(0.5)

    frames = _decode_raw(out.read_bytes())  # (frames, 2)
    nonzero = np.flatnonzero(np.abs(frames).max(axis=1) > 1e-6)
    played = frames[nonzero[0]: nonzero[-1] + 1]
    assert len(played) == pytest.approx(24000, abs=2)  # all of the 0.5 s at 48 kHz, nothing more
    spec = np.abs(np.fft.rfft(played[:, 0] * np.hanning(len(played))))
    assert np.argmax(spec) * 48000 / len(played) == pytest.approx(440.0, abs=2.0)
    t = np.arange(len(played)) / 48000
    expected = 0.5 * np.cos(2 * np.pi * 440.0 * t)
    assert np.abs(played[:, 0] - expected).max() < 1e-3  # the very samples, in order
    assert np.abs(played[:, 1] + expected).max() < 1e-3  # right channel is the right channel


def _fail_import():
    raise OSError("PortAudio library not found")


def test_missing_portaudio_emits_error_and_does_not_raise(qtbot, monkeypatch):
    monkeypatch.setattr(playback, "_import_sounddevice", _fail_import)
    player = AudioPlayer()
    with qtbot.waitSignal(player.error, timeout=1000) as blocker:
        ok = player.play(np.zeros((480, 2), dtype=np.float32), 48000)
    assert ok is False
    assert blocker.args == [NO_PORTAUDIO_MESSAGE]
    assert "Audio files can still be imported, edited and exported." in NO_PORTAUDIO_MESSAGE
    assert not player.is_playing
    assert audio_output_status() == (False, NO_PORTAUDIO_MESSAGE)


class _FakePortAudioError(Exception):
    pass


def _fake_sd(devices_ok: bool = True, stream_fails: bool = False) -> SimpleNamespace:
    """Just enough of the sounddevice API for AudioPlayer, with a stream the test drives by hand."""

    class CallbackStop(Exception):
        pass

    class Stream:
        instances: list["Stream"] = []

        def __init__(self, samplerate, channels, dtype, callback, finished_callback):
            if stream_fails:
                raise _FakePortAudioError("Error opening OutputStream: Device unavailable [PaErrorCode -9985]")
            self.samplerate, self.channels = samplerate, channels
            self.callback, self.finished_callback = callback, finished_callback
            self.active, self.latency, self.aborted = False, 0.0, False
            Stream.instances.append(self)

        def start(self):
            self.active = True

        def pull(self, frames: int) -> np.ndarray:
            """Simulate the device asking for ``frames`` frames."""
            buf = np.full((frames, self.channels), 9.0, dtype=np.float32)
            try:
                self.callback(buf, frames, None, None)
            except CallbackStop:
                self.active = False
                self.finished_callback()
            return buf

        def abort(self, ignore_errors=True):
            self.active, self.aborted = False, True

        def close(self, ignore_errors=True):
            pass

    def query_devices(kind=None):
        if not devices_ok:
            raise _FakePortAudioError("Error querying device -1")
        return {"name": "Fake Out", "max_output_channels": 2, "default_samplerate": 48000.0}

    return SimpleNamespace(CallbackStop=CallbackStop, OutputStream=Stream, query_devices=query_devices,
                           check_output_settings=lambda **kw: None)


def test_no_output_device_emits_the_clear_sentence(qtbot, monkeypatch):
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _fake_sd(devices_ok=False))
    player = AudioPlayer()
    with qtbot.waitSignal(player.error, timeout=1000) as blocker:
        assert player.play(np.zeros((480, 1), dtype=np.float32), 48000) is False
    assert blocker.args == [NO_DEVICE_MESSAGE]
    assert NO_DEVICE_MESSAGE.startswith("No audio output device is available, so playback is off.")
    assert audio_output_status() == (False, NO_DEVICE_MESSAGE)


def test_device_failure_on_open_emits_error(qtbot, monkeypatch):
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _fake_sd(stream_fails=True))
    player = AudioPlayer()
    with qtbot.waitSignal(player.error, timeout=1000) as blocker:
        assert player.play(np.zeros((480, 2), dtype=np.float32), 48000) is False
    assert blocker.args[0].startswith("The audio output device failed (Error opening OutputStream")
    assert not player.is_playing


def test_callback_feeds_exact_frames_reports_position_and_finishes(qtbot, monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    assert audio_output_status() == (True, "Audio output: Fake Out.")
    player = AudioPlayer()
    data = np.arange(1000, dtype=np.float32).reshape(500, 2) / 1000.0  # (500, 2) distinct values
    assert player.play(data, 1000, start_s=0.1)  # 1 kHz: frame n is at n ms
    stream = sd.OutputStream.instances[-1]
    assert player.is_playing and player.position_s == pytest.approx(0.1)
    first = stream.pull(150)
    np.testing.assert_array_equal(first, data[100:250])
    assert player.position_s == pytest.approx(0.25)
    with qtbot.waitSignal(player.position_changed, timeout=1000) as pos:
        pass
    assert pos.args[0] == pytest.approx(0.25)
    last = stream.pull(300)  # only 250 left: the rest must be silence, then the stream stops
    np.testing.assert_array_equal(last[:250], data[250:])
    assert np.all(last[250:] == 0.0)
    with qtbot.waitSignal(player.finished, timeout=1000):
        pass
    assert not player.is_playing and player.position_s == pytest.approx(0.5)


def test_stop_is_immediate_and_keeps_the_position(qtbot, monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    assert player.play(np.zeros((48000, 2), dtype=np.float32), 48000)
    stream = sd.OutputStream.instances[-1]
    stream.pull(4800)
    player.stop()
    assert stream.aborted and not player.is_playing
    assert player.position_s == pytest.approx(0.1)
    with qtbot.assertNotEmitted(player.finished, wait=100):
        pass


def test_sounddevice_is_imported_lazily():
    code = "import sys, genai_studio.runtime.playback; print('sounddevice' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(REPO)),
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# ----- output device choice -------------------------------------------------------------------------------
def _multi_device_sd() -> SimpleNamespace:
    """A fake sounddevice with an input-only mic, two outputs (one listed under two host APIs), recording
    which device each stream was opened on."""
    devices = [
        {"index": 0, "name": "Mic", "max_input_channels": 2, "max_output_channels": 0, "default_samplerate": 48000.0},
        {"index": 1, "name": "Speakers", "max_output_channels": 2, "default_samplerate": 48000.0},
        {"index": 2, "name": "USB DAC", "max_output_channels": 1, "default_samplerate": 44100.0},
        {"index": 3, "name": "Speakers", "max_output_channels": 8, "default_samplerate": 48000.0},
    ]
    opened: list = []
    checked: list = []

    class Stream:
        def __init__(self, samplerate, channels, dtype, callback, finished_callback, device=None):
            opened.append({"device": device, "channels": channels, "samplerate": samplerate})
            self.active, self.latency = False, 0.0

        def start(self):
            self.active = True

        def abort(self, ignore_errors=True):
            self.active = False

        def close(self, ignore_errors=True):
            pass

    def query_devices(device=None, kind=None):
        if kind == "output":
            return devices[1]
        return list(devices) if device is None else devices[device]

    return SimpleNamespace(CallbackStop=Exception, OutputStream=Stream, query_devices=query_devices,
                           check_output_settings=lambda **kw: checked.append(kw), opened=opened, checked=checked)


def test_list_output_devices_names_only_outputs_once_each(monkeypatch):
    monkeypatch.setattr(playback, "_import_sounddevice", _multi_device_sd)
    assert playback.list_output_devices() == (["Speakers", "USB DAC"], "")


def test_list_output_devices_without_portaudio_or_devices(monkeypatch):
    monkeypatch.setattr(playback, "_import_sounddevice", _fail_import)
    assert playback.list_output_devices() == ([], NO_PORTAUDIO_MESSAGE)
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _fake_sd(devices_ok=False))
    assert playback.list_output_devices() == ([], NO_DEVICE_MESSAGE)


def test_a_chosen_device_is_opened_by_its_index(qtbot, monkeypatch):
    sd = _multi_device_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    player.set_output_device("USB DAC")
    assert player.output_device == "USB DAC"
    with qtbot.assertNotEmitted(player.error):
        assert player.play(np.zeros((480, 2), dtype=np.float32), 44100)
    assert sd.opened[-1] == {"device": 2, "channels": 1, "samplerate": 44100}  # mono device: downmixed
    assert sd.checked[-1]["device"] == 2
    player.stop()
    player.set_output_device("")  # back to the default: no device named, exactly as before
    assert player.play(np.zeros((480, 2), dtype=np.float32), 48000)
    assert sd.opened[-1]["device"] is None and "device" not in sd.checked[-1]
    player.stop()


def test_unknown_device_reports_once_and_falls_back_to_the_default(qtbot, monkeypatch):
    sd = _multi_device_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    player.set_output_device("Headphones (Bluetooth)")
    with qtbot.waitSignal(player.error, timeout=1000) as blocker:
        assert player.play(np.zeros((480, 2), dtype=np.float32), 48000) is True
    assert blocker.args == ["The audio output device “Headphones (Bluetooth)” is not connected, so the system "
                            "default output is used instead (choose another in Preferences)."]
    assert player.is_playing and sd.opened[-1]["device"] is None  # the default device
    player.stop()
    with qtbot.assertNotEmitted(player.error, wait=50):  # said once, not on every play
        assert player.play(np.zeros((480, 2), dtype=np.float32), 48000)
    player.stop()
    player.set_output_device("Gone Again")  # a new choice is reported again
    with qtbot.waitSignal(player.error, timeout=1000):
        assert player.play(np.zeros((480, 2), dtype=np.float32), 48000)
    player.stop()


def test_unknown_device_with_no_default_says_only_no_device(qtbot, monkeypatch):
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _fake_sd(devices_ok=False))
    player = AudioPlayer()
    player.set_output_device("Speakers")
    messages: list[str] = []
    player.error.connect(messages.append)
    assert player.play(np.zeros((480, 2), dtype=np.float32), 48000) is False
    assert messages == [NO_DEVICE_MESSAGE]  # one box, not "not connected" and then "no device"
    assert not player.is_playing


_TWO_DEVICES_ASOUNDRC = """\
pcm.!default {{ type plug slave.pcm "nul" }}
pcm.capture_out {{ type plug slave.pcm "cap" }}
pcm.cap {{ type file slave.pcm "nul" file "{out}" format "raw" }}
pcm.nul {{ type null }}
"""

_CHOSEN_DEVICE_SCRIPT = textwrap.dedent("""\
    import json, sys
    import numpy as np
    from PySide6.QtCore import QCoreApplication, QTimer
    from genai_studio.runtime.playback import AudioPlayer, list_output_devices

    app = QCoreApplication([])
    player = AudioPlayer()
    player.set_output_device(sys.argv[1])
    log = {"devices": list_output_devices(), "finished": False, "errors": []}
    player.finished.connect(lambda: (log.__setitem__("finished", True), app.quit()))
    player.error.connect(log["errors"].append)
    sr = 48000
    tone = (0.5 * np.cos(2 * np.pi * 440.0 * np.arange(sr // 4) / sr)).astype(np.float32)
    if player.play(np.stack([tone, tone], axis=1), sr):
        QTimer.singleShot(10000, app.quit)
        app.exec()
    print(json.dumps(log))
""")


@pytest.mark.skipif(not _portaudio_available(), reason="PortAudio (Debian libportaudio2) is not installed")
@pytest.mark.parametrize("choice", ["capture_out", "Not Plugged In"])
def test_real_output_goes_to_the_chosen_device_or_the_default(tmp_path, choice):
    out = tmp_path / "OUT.raw"  # only the "capture_out" device writes here; the default discards
    (tmp_path / ".asoundrc").write_text(_TWO_DEVICES_ASOUNDRC.format(out=out))
    (tmp_path / "play.py").write_text(_CHOSEN_DEVICE_SCRIPT)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env.pop("ALSA_CONFIG_PATH", None)
    proc = subprocess.run([sys.executable, str(tmp_path / "play.py"), choice], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "capture_out" in log["devices"][0] and log["devices"][1] == ""
    assert log["finished"] is True
    written = out.read_bytes() if out.exists() else b""
    if choice == "capture_out":
        assert log["errors"] == []
        assert np.abs(_decode_raw(written)).max() > 0.4  # the tone reached the chosen device
    else:
        assert len(log["errors"]) == 1 and "“Not Plugged In” is not connected" in log["errors"][0]
        assert not written.strip(b"\x00")  # played on the default (null) device instead


_STREAM_SCRIPT = textwrap.dedent("""\
    import json
    import numpy as np
    from PySide6.QtCore import QCoreApplication, QTimer
    from genai_studio.runtime.playback import AudioPlayer

    app = QCoreApplication([])
    player = AudioPlayer()
    log = {"finished": False, "errors": []}
    player.finished.connect(lambda: (log.__setitem__("finished", True), app.quit()))
    player.error.connect(lambda m: (log["errors"].append(m), app.quit()))
    sr = 48000
    t = np.arange(sr) / sr
    tone = np.repeat((0.5 * np.cos(2 * np.pi * 440.0 * t)).astype(np.float32)[:, None], 2, axis=1)  # 1 s
    parts = np.array_split(tone, 4)  # arrives like sentences: the first plays while the rest is made
    def more():
        if parts:
            player.extend(parts.pop(0))
            QTimer.singleShot(60, more)
        else:
            player.finish_stream()
    if player.play_stream(parts.pop(0), sr):
        QTimer.singleShot(60, more)
        QTimer.singleShot(10000, app.quit)
        app.exec()
    print(json.dumps(log))
""")


@pytest.mark.skipif(not _portaudio_available(), reason="PortAudio (Debian libportaudio2) is not installed")
def test_a_stream_plays_every_extension_once_in_order_then_finishes(tmp_path):
    out = tmp_path / "OUT.raw"
    (tmp_path / ".asoundrc").write_text(_ASOUNDRC.format(out=out))
    (tmp_path / "stream.py").write_text(_STREAM_SCRIPT)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env.pop("ALSA_CONFIG_PATH", None)
    proc = subprocess.run([sys.executable, str(tmp_path / "stream.py")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout.strip().splitlines()[-1])
    assert log == {"finished": True, "errors": []}
    played = _decode_raw(out.read_bytes())[:, 0]
    # ALSA's null sink consumes faster than real time, so while the stream waits for its next part it writes
    # silence; what matters is that every sample of every part came out once, in order.
    heard = played[np.abs(played) > 1e-7]
    expected = 0.5 * np.cos(2 * np.pi * 440.0 * np.arange(48000) / 48000)
    expected = expected[np.abs(expected) > 1e-7]
    assert len(heard) == len(expected)
    assert np.abs(heard - expected).max() < 1e-3


# ----- loop playback ----------------------------------------------------------------------------------------
def _looped_indices(start: int, first: int, end: int, count: int) -> np.ndarray:
    """Reference frame order of a loop: start..end-1 once, then first..end-1 over and over."""
    k = np.arange(count) + start
    return np.where(k < end, k, first + (k - end) % (end - first))


def _laggy(sd: SimpleNamespace, latency_s: float) -> SimpleNamespace:
    """The fake sounddevice, with streams that report ``latency_s`` of output latency."""

    class Laggy(sd.OutputStream):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.latency = latency_s

    sd.OutputStream = Laggy
    return sd


def test_loop_wraps_sample_exact_inside_the_region_and_reports_the_wrapped_position(qtbot, monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    data = np.arange(1000, dtype=np.float32).reshape(500, 2) / 1000.0  # every frame distinct
    assert player.play(data, 1000, start_s=0.05, loop=(0.1, 0.2))  # 1 kHz: frame n is at n ms
    assert player.loop_s == (0.1, 0.2)
    stream = sd.OutputStream.instances[-1]
    pulled = [stream.pull(n) for n in (120, 30, 250, 7)]  # 250 > the loop: wraps twice in one callback
    expected = data[_looped_indices(50, 100, 200, sum(len(p) for p in pulled))]
    np.testing.assert_array_equal(np.concatenate(pulled), expected)
    next_frame = int(_looped_indices(50, 100, 200, 408)[-1])  # the 408th frame is the next one to be read
    assert player.position_s == pytest.approx(next_frame / 1000)
    assert 0.1 <= player.position_s < 0.2 and player.is_playing
    with qtbot.assertNotEmitted(player.finished, wait=60):  # never runs dry while looping
        pass
    player.stop()
    assert player.position_s == pytest.approx(next_frame / 1000)  # stop keeps the wrapped position


def test_position_behind_a_jump_back_is_on_the_loops_end(monkeypatch):
    sd = _laggy(_fake_sd(), 0.02)  # 20 ms = 20 frames at 1 kHz still queued in the device
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    player.play(np.zeros((500, 2), np.float32), 1000, loop=(0.1, 0.2))
    stream = sd.OutputStream.instances[-1]
    stream.pull(150)
    assert player.position_s == pytest.approx(0.13)  # before any wrap: frame minus latency
    stream.pull(60)  # handed over up to frame 210 → wrapped to 110, but the device still plays frame 190
    assert player.position_s == pytest.approx(0.19)
    stream.pull(20)  # 130 handed over: frame 110 is heard now
    assert player.position_s == pytest.approx(0.11)
    player.stop()


def test_set_loop_while_playing_starts_moves_and_clears_the_loop(qtbot, monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    data = np.arange(1000, dtype=np.float32).reshape(500, 2) / 1000.0
    player.play(data, 1000)
    stream = sd.OutputStream.instances[-1]
    stream.pull(50)
    player.set_loop(0.1, 0.15)  # ahead of the play position: plays up to 150 ms, then back to 100 ms
    np.testing.assert_array_equal(stream.pull(120), data[_looped_indices(50, 100, 150, 120)])
    player.set_loop(0.3, 0.9)  # clipped to the buffer (500 ms)
    assert player.loop_s == (0.3, 0.9)
    np.testing.assert_array_equal(stream.pull(400), data[_looped_indices(120, 300, 500, 400)])
    player.set_loop(None)  # cleared: plays on to the end and finishes
    remaining = 500 - int(_looped_indices(120, 300, 500, 401)[-1])  # from the next frame to the buffer's end
    last = stream.pull(remaining + 10)
    np.testing.assert_array_equal(last[:remaining], data[500 - remaining:])
    assert np.all(last[remaining:] == 0.0)
    with qtbot.waitSignal(player.finished, timeout=1000):
        pass
    assert player.loop_s is None


def test_a_loop_belongs_to_one_playback_and_a_loop_behind_the_start_does_not_wrap(qtbot, monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    data = np.arange(1000, dtype=np.float32).reshape(500, 2) / 1000.0
    player.play(data, 1000, loop=(0.1, 0.2))
    player.play(data, 1000, start_s=0.4)  # a new play without a loop: none
    assert player.loop_s is None
    player.set_loop(0.1, 0.2)  # behind the play position: runs on to the end
    np.testing.assert_array_equal(sd.OutputStream.instances[-1].pull(110)[:100], data[400:])
    with qtbot.waitSignal(player.finished, timeout=1000):
        pass
    assert player.play(data, 1000, loop=(0.3, 0.3)) and player.loop_s is None  # empty: no loop
    player.stop()


def test_preview_flag_follows_the_latest_play(monkeypatch):
    sd = _fake_sd()
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: sd)
    player = AudioPlayer()
    player.play(np.zeros((100, 2), np.float32), 1000, preview=True)
    assert player.is_preview and player.is_playing
    player.play(np.zeros((100, 2), np.float32), 1000)
    assert not player.is_preview
    player.stop()


_LOOP_SCRIPT = textwrap.dedent("""\
    import json
    import numpy as np
    from PySide6.QtCore import QCoreApplication, QTimer
    from genai_studio.runtime.playback import AudioPlayer

    app = QCoreApplication([])
    player = AudioPlayer()
    log = {"positions": [], "errors": [], "finished": False, "wraps": 0}
    def on_position(p):
        if log["positions"] and p < log["positions"][-1]:
            log["wraps"] += 1
            if log["wraps"] >= 2:  # seen to jump back twice: enough, stop (the file grows fast)
                player.stop()
                app.quit()
        log["positions"].append(p)
    player.position_changed.connect(on_position)
    player.error.connect(lambda m: (log["errors"].append(m), app.quit()))
    player.finished.connect(lambda: (log.__setitem__("finished", True), app.quit()))
    sr = 48000
    ramp = (0.05 + 0.9 * np.arange(sr // 2) / (sr // 2)).astype(np.float32)  # every frame distinct, none 0
    if player.play(np.stack([ramp, -ramp], axis=1), sr, loop=(0.1, 0.2)):
        QTimer.singleShot(10000, app.quit)
        app.exec()
    print(json.dumps(log))
""")


@pytest.mark.skipif(not _portaudio_available(), reason="PortAudio (Debian libportaudio2) is not installed")
def test_a_loop_really_repeats_seamlessly_on_the_device(tmp_path):
    out = tmp_path / "OUT.raw"
    (tmp_path / ".asoundrc").write_text(_ASOUNDRC.format(out=out))
    (tmp_path / "loop.py").write_text(_LOOP_SCRIPT)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env.pop("ALSA_CONFIG_PATH", None)
    proc = subprocess.run([sys.executable, str(tmp_path / "loop.py")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout.strip().splitlines()[-1])
    assert log["errors"] == [] and log["finished"] is False and log["wraps"] >= 2
    assert all(0.0 <= p <= 0.2 + 1e-9 for p in log["positions"])  # the playhead never leaves [0, loop end]
    assert all(p >= 0.1 - 1e-9 for p in log["positions"][-2:])  # after jumping back: inside the loop
    frames = _decode_raw(out.read_bytes())  # (frames, 2)
    nonzero = np.flatnonzero(np.abs(frames).max(axis=1) > 1e-7)
    played = frames[nonzero[0]: nonzero[-1] + 1]  # the device is primed with silence before the first frame
    # ALSA's null sink consumes faster than real time, so many passes are written; each must be exact.
    assert len(played) > 9600 + 2 * 4800
    ramp = (0.05 + 0.9 * np.arange(24000) / 24000).astype(np.float32)
    expected = ramp[_looped_indices(0, 4800, 9600, len(played))]
    assert np.abs(played[:, 0] - expected).max() < 1e-6  # no gap, no click, no lost or repeated frame
    assert np.abs(played[:, 1] + expected).max() < 1e-6
