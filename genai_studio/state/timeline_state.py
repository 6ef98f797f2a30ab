"""Observable, undoable timeline document: tracks of audio clips, a playhead, and the stereo mix.

Tracks and clips are frozen values; every edit builds a new tuple of tracks and pushes a command that swaps
whole snapshots. Snapshots share the (immutable) sample arrays, so undo costs no audio copies.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from genai_studio.core.media import AudioBuffer
from genai_studio.mediaio.audio import resample
from genai_studio.state.undo import SwapCommand

DEFAULT_SAMPLE_RATE = 48000


@dataclass(frozen=True)
class AudioClip:
    """A piece of audio placed on a track at ``start_s`` seconds of project time."""

    id: str
    name: str
    audio: AudioBuffer
    start_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.audio.duration_s

    @property
    def end_s(self) -> float:
        return self.start_s + self.audio.duration_s


@dataclass(frozen=True)
class Track:
    """A lane of clips; ``gain`` is a linear amplitude factor, ``muted`` leaves the track out of the mix."""

    id: str
    name: str
    clips: tuple[AudioClip, ...] = field(default_factory=tuple)
    muted: bool = False
    gain: float = 1.0


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class TimelineState(QObject):
    """The timeline document. All edits go through ``undo_stack``; ``changed`` fires after each."""

    changed = Signal()
    playhead_changed = Signal(float)  # seconds

    def __init__(self, sample_rate: int = DEFAULT_SAMPLE_RATE, parent: QObject | None = None,
                 undo_stack: QUndoStack | None = None) -> None:
        super().__init__(parent)
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self._sample_rate = int(sample_rate)
        self._tracks: tuple[Track, ...] = ()
        self._playhead_s = 0.0
        # Clip audio converted to the project rate and to stereo, keyed by the AudioBuffer object itself.
        self._mix_cache: dict[AudioBuffer, np.ndarray] = {}
        # The window passes one stack shared with the canvas, so undo follows the user's order of edits.
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        # Musical settings saved with the project (the melody tools will edit them).
        self.tempo_bpm = 120.0
        self.key = "C major"
        self.time_signature = "4/4"

    # ----- reading -------------------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def tracks(self) -> tuple[Track, ...]:
        return self._tracks

    def track(self, track_id: str) -> Track:
        for t in self._tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"no track {track_id!r}")

    def clip(self, clip_id: str) -> AudioClip:
        return self._find_clip(clip_id)[1]

    def track_of_clip(self, clip_id: str) -> Track:
        return self._find_clip(clip_id)[0]

    def clips(self) -> list[AudioClip]:
        return [c for t in self._tracks for c in t.clips]

    @property
    def duration_s(self) -> float:
        """End of the last clip, in seconds (0 for an empty timeline)."""
        return max((c.end_s for t in self._tracks for c in t.clips), default=0.0)

    @property
    def playhead_s(self) -> float:
        return self._playhead_s

    def set_playhead(self, seconds: float) -> None:
        """Move the playhead (not an undoable edit). Negative times clamp to 0."""
        seconds = max(0.0, float(seconds)) if math.isfinite(seconds) else 0.0
        if seconds != self._playhead_s:
            self._playhead_s = seconds
            self.playhead_changed.emit(seconds)

    # ----- edits (each one undo step) ------------------------------------------------------------------
    def add_track(self, name: str | None = None) -> str:
        track = Track(_new_id("track"), name or f"Track {len(self._tracks) + 1}")
        self._push(f"Add track {track.name}", self._tracks + (track,))
        return track.id

    def add_audio_clip(self, audio: AudioBuffer, track_id: str | None = None, start_s: float = 0.0,
                       name: str | None = None) -> str:
        """Place ``audio`` at ``start_s`` on ``track_id``, or on a new track named after it when None."""
        clip = AudioClip(_new_id("clip"), name or audio.name, audio, _clean_time(start_s))
        tracks = self._tracks
        if track_id is None:
            tracks = tracks + (Track(_new_id("track"), clip.name, (clip,)),)
        else:
            target = self.track(track_id)
            tracks = _replace_track(tracks, replace(target, clips=target.clips + (clip,)))
        self._push(f"Add clip {clip.name}", tracks)
        return clip.id

    def remove_clip(self, clip_id: str) -> None:
        track, clip = self._find_clip(clip_id)
        kept = tuple(c for c in track.clips if c.id != clip_id)
        self._push(f"Remove clip {clip.name}", _replace_track(self._tracks, replace(track, clips=kept)))

    def move_clip(self, clip_id: str, start_s: float, track_id: str | None = None) -> None:
        """Move a clip in time (clamped at 0 s) and, when ``track_id`` is given, onto that track."""
        source, clip = self._find_clip(clip_id)
        moved = replace(clip, start_s=_clean_time(start_s))
        dest_id = source.id if track_id is None else track_id
        if moved.start_s == clip.start_s and dest_id == source.id:
            return
        if dest_id == source.id:
            clips = tuple(moved if c.id == clip_id else c for c in source.clips)
            tracks = _replace_track(self._tracks, replace(source, clips=clips))
        else:
            dest = self.track(dest_id)
            tracks = _replace_track(self._tracks, replace(source, clips=tuple(c for c in source.clips
                                                                              if c.id != clip_id)))
            tracks = _replace_track(tracks, replace(dest, clips=dest.clips + (moved,)))
        self._push(f"Move clip {clip.name}", tracks)

    def remove_track(self, track_id: str) -> None:
        track = self.track(track_id)
        self._push(f"Remove track {track.name}", tuple(t for t in self._tracks if t.id != track_id))

    def set_track_muted(self, track_id: str, muted: bool) -> None:
        track = self.track(track_id)
        if track.muted != bool(muted):
            verb = "Mute" if muted else "Unmute"
            self._push(f"{verb} {track.name}", _replace_track(self._tracks, replace(track, muted=bool(muted))))

    def set_track_gain(self, track_id: str, gain: float) -> None:
        """Linear gain (1.0 = unchanged)."""
        track = self.track(track_id)
        if not math.isfinite(gain) or gain < 0:
            raise ValueError(f"gain must be a finite non-negative number, got {gain}")
        if track.gain != gain:
            self._push(f"Gain of {track.name}", _replace_track(self._tracks, replace(track, gain=float(gain))))

    def clear(self) -> None:
        """Empty the timeline and forget the undo history (new project)."""
        self.undo_stack.clear()
        self._set_tracks(())
        self.set_playhead(0.0)

    def replace_all(self, tracks: tuple[Track, ...], sample_rate: int, tempo_bpm: float, key: str,
                    time_signature: str, playhead_s: float) -> None:
        """Load a whole document (opening a project): not undoable."""
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self._sample_rate = int(sample_rate)
        self._mix_cache.clear()
        self.tempo_bpm, self.key, self.time_signature = float(tempo_bpm), key, time_signature
        self._set_tracks(tuple(tracks))
        self.set_playhead(playhead_s)

    # ----- mixing --------------------------------------------------------------------------------------
    def mix(self, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        """(frames, 2) float32 stereo at ``sample_rate``: unmuted tracks summed with gain, clipped to [-1, 1].

        Covers [start_s, end_s), ``end_s`` defaulting to the end of the last clip.
        """
        sr = self._sample_rate
        first = max(0, int(round(_clean_time(start_s) * sr)))
        last = int(math.ceil((self.duration_s if end_s is None else max(0.0, end_s)) * sr))
        out = np.zeros((max(0, last - first), 2), dtype=np.float32)  # (frames, L/R)
        if len(out) == 0:
            return out
        for track in self._tracks:
            if track.muted or track.gain == 0:
                continue
            for clip in track.clips:
                stereo = self._stereo_at_project_rate(clip.audio)  # (clip frames, 2)
                at = int(round(clip.start_s * sr)) - first  # clip frame 0 lands here in `out`
                lo, hi = max(0, at), min(len(out), at + len(stereo))
                if lo < hi:
                    out[lo:hi] += track.gain * stereo[lo - at:hi - at]
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def _stereo_at_project_rate(self, audio: AudioBuffer) -> np.ndarray:
        cached = self._mix_cache.get(audio)
        if cached is None:
            cached = resample(_to_stereo(audio.samples), audio.sample_rate, self._sample_rate)
            self._mix_cache[audio] = cached
        return cached

    # ----- internals -----------------------------------------------------------------------------------
    def _push(self, text: str, tracks: tuple[Track, ...]) -> None:
        self.undo_stack.push(SwapCommand(text, self._set_tracks, self.tracks, tracks))

    def _set_tracks(self, tracks: tuple[Track, ...]) -> None:
        self._tracks = tracks
        live = {c.audio for t in tracks for c in t.clips}
        # Drop converted audio no current clip uses; an undo that brings a clip back converts it again.
        self._mix_cache = {a: s for a, s in self._mix_cache.items() if a in live}
        self.changed.emit()

    def _find_clip(self, clip_id: str) -> tuple[Track, AudioClip]:
        for t in self._tracks:
            for c in t.clips:
                if c.id == clip_id:
                    return t, c
        raise KeyError(f"no clip {clip_id!r}")


def _replace_track(tracks: tuple[Track, ...], new: Track) -> tuple[Track, ...]:
    return tuple(new if t.id == new.id else t for t in tracks)


def _clean_time(seconds: float) -> float:
    seconds = float(seconds)
    return max(0.0, seconds) if math.isfinite(seconds) else 0.0


def _to_stereo(samples: np.ndarray) -> np.ndarray:
    """(frames, C) -> (frames, 2): mono goes to both sides at full level; with more than two channels the
    extra ones (centre, surrounds in WAV order) are folded into both sides at -3 dB so nothing is lost."""
    channels = samples.shape[1]
    if channels == 1:
        return np.repeat(samples, 2, axis=1)
    stereo = np.array(samples[:, :2], dtype=np.float32)
    if channels > 2:
        stereo += 0.7071 * samples[:, 2:].mean(axis=1, keepdims=True)
    return stereo
