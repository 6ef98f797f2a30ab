"""Audio output through PortAudio (sounddevice), observable from Qt.

sounddevice is imported inside functions: it raises OSError at import time when the PortAudio library is
missing, and a machine without sound must still run the app. Every failure becomes the ``error`` signal with
one sentence; nothing here raises into Qt.
"""

from __future__ import annotations

import logging
import threading
from types import ModuleType

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from genai_studio.mediaio.audio import resample

log = logging.getLogger(__name__)

_STILL_WORKS = "Audio files can still be imported, edited and exported."
NO_PORTAUDIO_MESSAGE = (
    "Audio playback needs the PortAudio library (on Debian/Ubuntu: libportaudio2), which is not installed, "
    f"so playback is off. {_STILL_WORKS}")
NO_DEVICE_MESSAGE = f"No audio output device is available, so playback is off. {_STILL_WORKS}"
POSITION_INTERVAL_MS = 33  # ~30 Hz position updates: smooth playhead, negligible GUI load


def _import_sounddevice() -> ModuleType:
    """The lazy import, separate so tests can make it fail."""
    import sounddevice

    return sounddevice


def _default_output(sd: ModuleType) -> dict | None:
    """The default output device's info dict, or None when there is none."""
    try:
        info = sd.query_devices(kind="output")
    except Exception:  # PortAudioError / ValueError when no output device exists
        return None
    if not info or int(info.get("max_output_channels", 0)) < 1:
        return None
    return dict(info)


def list_output_devices() -> tuple[list[str], str]:
    """(names of the devices that can play sound, reason) — reason is "" unless the list is empty.

    Names are unique and in PortAudio's order; they are what ``AudioPlayer.set_output_device`` takes.
    """
    try:
        sd = _import_sounddevice()
    except (OSError, ImportError):
        return [], NO_PORTAUDIO_MESSAGE
    names = [name for name, _index, _info in _output_devices(sd)]
    names = list(dict.fromkeys(names))  # the same device under two host APIs shows once
    return (names, "") if names else ([], NO_DEVICE_MESSAGE)


def _output_devices(sd: ModuleType) -> list[tuple[str, int | None, dict]]:
    """(name, PortAudio index, info) of every device with output channels; [] when the query fails."""
    try:
        devices = sd.query_devices()
    except Exception:  # PortAudioError when PortAudio cannot enumerate (no sound system at all)
        return []
    if isinstance(devices, dict):  # a single device comes back as a bare dict
        devices = [devices]
    out = []
    for position, info in enumerate(devices):
        try:
            name = str(info.get("name", "")).strip()
            channels = int(info.get("max_output_channels", 0))
        except (AttributeError, TypeError, ValueError):
            continue
        if name and channels >= 1:
            index = info.get("index", position)
            out.append((name, int(index) if isinstance(index, int) else position, dict(info)))
    return out


def audio_output_status() -> tuple[bool, str]:
    """(available, sentence) describing whether playback can work on this machine."""
    try:
        sd = _import_sounddevice()
    except (OSError, ImportError):
        return False, NO_PORTAUDIO_MESSAGE
    device = _default_output(sd)
    if device is None:
        return False, NO_DEVICE_MESSAGE
    return True, f"Audio output: {device.get('name', 'default device')}."


class AudioPlayer(QObject):
    """Plays one float32 (frames, channels) buffer at a time on the chosen (or default) output device.

    A PortAudio callback copies frames from the buffer, so the position is counted in frames actually
    handed to the device and ``stop()`` takes effect within one device buffer. A loop region (``play(...,
    loop=...)`` or :meth:`set_loop`) makes the callback jump back from its end to its start, sample-exact,
    until stop or until the loop is cleared.
    """

    position_changed = Signal(float)  # seconds into the buffer, ~30 Hz while playing
    finished = Signal()  # the buffer played to its end (not emitted by stop())
    # One user-facing sentence. Playback is stopped when this fires, with one exception: when the chosen
    # output device is missing, play() reports it once and goes on playing on the default device.
    error = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stream = None
        self._data = np.zeros((0, 2), dtype=np.float32)  # (frames, channels) as sent to the device
        self._rate = 48000  # Hz of self._data (the stream's rate)
        self._frame = 0  # next frame the callback will read; written by the audio thread only while open
        self._done = threading.Event()  # set by the audio thread when the buffer is exhausted
        self._latency_s = 0.0  # seconds between the callback handing a frame over and it being heard
        self._start_s = 0.0
        self._open_ended = False  # a stream still being extended: running dry plays silence, not the end
        self._stream_rate = 48000  # Hz of the samples handed to play()/extend() before any device resampling
        self._loop_s: tuple[float, float] | None = None  # loop region of the current buffer, seconds
        # The same region in frames of self._data, (first, end) with end exclusive; read once per callback,
        # replaced (never mutated) by the GUI thread, so the audio thread always sees a consistent pair.
        self._loop: tuple[int, int] | None = None
        self._wrapped = False  # the callback has jumped back at least once since the loop was (re)set
        self._preview = False  # the latest play() was a short UI sound (note preview), see is_preview
        self._device_name = ""  # "" = the system default output
        self._missing_reported = False  # the "device not connected" sentence is said once per choice
        self._timer = QTimer(self)
        self._timer.setInterval(POSITION_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def is_playing(self) -> bool:
        return self._stream is not None

    @property
    def is_preview(self) -> bool:
        """Whether the latest play() was a preview (``preview=True``): a short UI sound such as a piano-roll
        note. Widgets that follow the transport ignore a preview's position, end and errors, and a preview
        may cut another preview short but nothing else."""
        return self._preview

    @property
    def loop_s(self) -> tuple[float, float] | None:
        """The loop region (start, end) in seconds of the current buffer, or None."""
        return self._loop_s

    @property
    def output_device(self) -> str:
        """The chosen output device's name; "" = the system default."""
        return self._device_name

    def set_output_device(self, name: str) -> None:
        """Play on the device called ``name`` from the next play() on ("" = the system default).

        A name that is not connected is not an error here: the next play() says so once and uses the
        default device, and the name is tried again on every play (the device may be plugged back in).
        """
        name = (name or "").strip()
        if name != self._device_name:
            self._device_name = name
            self._missing_reported = False

    @property
    def position_s(self) -> float:
        """Seconds into the current buffer; while playing, minus the device latency so it matches what is heard.

        In a loop this is the wrapped position: just after a jump back the device still plays the loop's
        end, so a position that falls before the loop start is mapped back onto its end."""
        if not self.is_playing:
            return self._frame / self._rate
        heard = self._frame / self._rate - self._latency_s
        loop = self._loop
        if loop is not None and self._wrapped:
            # Not clamped to start_s: after a jump back the position is legitimately before where play began.
            # What the latency still holds back lies before the jump, i.e. at the loop's end (modulo: the
            # latency may span several passes of a short loop).
            first, length = loop[0] / self._rate, (loop[1] - loop[0]) / self._rate
            return first + (heard - first) % length if heard < first else heard
        return max(self._start_s, heard)

    def play(self, samples: np.ndarray, sample_rate: int, start_s: float = 0.0, *, open_ended: bool = False,
             loop: tuple[float, float] | None = None, preview: bool = False) -> bool:
        """Start playing ``samples`` (frames, channels) float32 from ``start_s`` seconds; False on failure.

        ``open_ended``: see :meth:`play_stream`. ``loop``: (start, end) seconds of ``samples`` to repeat until
        stop (see :meth:`set_loop`); playback that starts past the loop's end plays on to the end. ``preview``:
        see :attr:`is_preview`."""
        self.stop()
        self._preview = bool(preview)
        self._loop_s = _clean_loop(loop)
        self._open_ended = open_ended
        self._stream_rate = int(sample_rate)
        try:
            data = self._prepare(samples)
        except ValueError as exc:
            self.error.emit(f"Cannot play this audio: {exc}.")
            return False
        try:
            sd = _import_sounddevice()
        except (OSError, ImportError) as exc:
            log.info("sounddevice unavailable: %s", exc)
            self.error.emit(NO_PORTAUDIO_MESSAGE)
            return False
        device, index = self._resolve_device(sd)
        if device is None:
            self.error.emit(NO_DEVICE_MESSAGE)
            return False
        channels = min(data.shape[1], int(device["max_output_channels"]))
        if channels < data.shape[1]:
            data = data.mean(axis=1, keepdims=True, dtype=np.float32)  # mono device: downmix
            channels = 1
        try:
            self._open(sd, data, int(sample_rate), float(start_s), channels, device, index)
        except Exception as exc:  # PortAudioError and friends: the device refused or broke
            log.warning("audio output failed", exc_info=True)
            self._close()
            self.error.emit(f"The audio output device failed ({_reason(exc)}), so playback is off. {_STILL_WORKS}")
            return False
        return True

    # ----- streaming: audio that is still being made (text-to-speech sentence by sentence) ----------
    def play_stream(self, samples: np.ndarray, sample_rate: int) -> bool:
        """Start playing the first part of audio that :meth:`extend` will add to. Until
        :meth:`finish_stream`, running out of data plays silence instead of ending playback."""
        if not self.play(samples, sample_rate, open_ended=True):
            self._open_ended = False
            return False
        return True

    def extend(self, samples: np.ndarray) -> None:
        """Append (frames, channels) samples at the stream's rate to what is playing (or queued)."""
        if not self._open_ended or self._stream is None:
            return
        data = self._prepare(samples)
        if self._stream_rate != self._rate:  # the device runs at its own rate
            data = resample(data, self._stream_rate, self._rate)
        if data.shape[1] != self._data.shape[1]:
            data = np.repeat(data.mean(axis=1, keepdims=True), self._data.shape[1], axis=1)
        # One attribute store: the audio thread sees either the old or the new array, both valid.
        self._data = np.concatenate([self._data, data])

    def finish_stream(self) -> None:
        """No more audio is coming: playback ends when the data does."""
        self._open_ended = False

    # ----- looping ----------------------------------------------------------------------------------
    def set_loop(self, start_s: float | None, end_s: float | None = None) -> None:
        """Repeat [start_s, end_s) seconds of the current buffer (None: stop looping and play on to the end).

        Takes effect within one device buffer while playing. The region is clipped to the buffer; one that
        ends before the play position does not wrap (playback runs on to the end). The next play() replaces
        the loop with its own ``loop`` argument: a loop belongs to one playback, not to the player.
        """
        self._loop_s = _clean_loop(None if start_s is None or end_s is None else (start_s, end_s))
        self._apply_loop()

    def _apply_loop(self) -> None:
        """Turn the loop seconds into frames of self._data (at the device rate, after any resampling)."""
        self._wrapped = False
        region = self._loop_s
        if region is None:
            self._loop = None
            return
        first = max(0, int(round(region[0] * self._rate)))
        end = min(len(self._data), int(round(region[1] * self._rate)))
        self._loop = (first, end) if end > first else None

    def _resolve_device(self, sd: ModuleType) -> tuple[dict | None, int | None]:
        """(info, PortAudio index) of the device to open; index None = PortAudio's default output."""
        if self._device_name:
            for name, index, info in _output_devices(sd):
                if name == self._device_name:
                    self._missing_reported = False
                    return info, index
            default = _default_output(sd)
            # With no default either, play() says "no device" once; two boxes would say the same thing.
            if default is not None and not self._missing_reported:
                self._missing_reported = True
                log.info("audio output device %r not found; using the default", self._device_name)
                self.error.emit(f"The audio output device “{self._device_name}” is not connected, so the "
                                "system default output is used instead (choose another in Preferences).")
            return default, None
        return _default_output(sd), None

    def stop(self) -> None:
        """Stop at once (abort, do not drain); the position stays where playback stopped."""
        if self._stream is None:
            return
        pos = self.position_s
        self._close()
        self._frame = int(round(pos * self._rate))

    def _prepare(self, samples: np.ndarray) -> np.ndarray:
        data = np.asarray(samples, dtype=np.float32)
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] < 1:
            raise ValueError(f"expected (frames, channels) samples, got shape {data.shape}")
        if not np.isfinite(data).all():
            data = np.nan_to_num(data, nan=0.0, posinf=1.0, neginf=-1.0)
        return np.ascontiguousarray(np.clip(data, -1.0, 1.0))

    def _open(self, sd: ModuleType, data: np.ndarray, rate: int, start_s: float, channels: int,
              device: dict, index: int | None) -> None:
        # Only name a device when one was chosen, so the default path calls PortAudio exactly as before.
        where = {} if index is None else {"device": index}
        try:
            sd.check_output_settings(samplerate=rate, channels=channels, dtype="float32", **where)
        except Exception:
            # The device cannot run at the buffer's rate: convert to its own rate rather than fail.
            device_rate = int(device.get("default_samplerate") or 48000)
            data = resample(data, rate, device_rate)
            rate = device_rate
        self._data, self._rate, self._start_s = data, rate, max(0.0, start_s)
        self._frame = min(len(data), int(round(self._start_s * rate)))
        self._apply_loop()
        self._done.clear()
        stream = sd.OutputStream(samplerate=rate, channels=channels, dtype="float32", **where,
                                 callback=self._make_callback(sd), finished_callback=self._done.set)
        self._stream = stream
        self._latency_s = float(stream.latency or 0.0)
        stream.start()
        self._timer.start()
        self.position_changed.emit(self.position_s)

    def _make_callback(self, sd: ModuleType):
        stop = sd.CallbackStop

        def callback(outdata: np.ndarray, frames: int, _time, _status) -> None:
            # Runs on PortAudio's thread: no Qt calls, no allocation beyond the slice copies.
            # self._data and self._loop are read once each: the GUI thread may replace them (extend, set_loop).
            data, loop, start = self._data, self._loop, self._frame
            if loop is not None and start < loop[1]:
                first, end = loop
                done = 0
                while done < frames:  # a loop shorter than the device buffer wraps several times here
                    n = min(frames - done, end - start)
                    outdata[done:done + n] = data[start:start + n]
                    done += n
                    start += n
                    if start >= end:
                        start = first
                        self._wrapped = True  # set before _frame, so position_s never sees a wrap unflagged
                self._frame = start
                return
            chunk = data[start:start + frames]
            n = len(chunk)
            outdata[:n] = chunk
            if n < frames:
                outdata[n:] = 0.0
                self._frame = start + n
                if not self._open_ended:
                    raise stop
            self._frame = start + n

        return callback

    def _tick(self) -> None:
        """GUI-thread poll: report position, notice the end or a stream that died under us."""
        stream = self._stream
        if stream is None:
            self._timer.stop()
            return
        if self._done.is_set() or not stream.active:
            ended = self._frame >= len(self._data)
            self._close()
            self._frame = len(self._data) if ended else self._frame
            self.position_changed.emit(self._frame / self._rate)
            if ended:
                self.finished.emit()
            else:
                self.error.emit(f"The audio output device stopped unexpectedly, so playback stopped. {_STILL_WORKS}")
            return
        self.position_changed.emit(self.position_s)

    def _close(self) -> None:
        self._timer.stop()
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
        except Exception:
            log.debug("closing the audio stream failed", exc_info=True)


def _clean_loop(loop: tuple[float, float] | None) -> tuple[float, float] | None:
    """A loop region as (start, end) seconds with 0 <= start < end, or None for no (or an empty) loop."""
    if loop is None:
        return None
    start, end = max(0.0, float(loop[0])), float(loop[1])
    if not (np.isfinite(start) and np.isfinite(end)) or end <= start:
        return None
    return start, end


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.rstrip(".")
