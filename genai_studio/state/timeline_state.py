"""Observable, undoable timeline document: tracks of audio and MIDI clips, tempo, key, meter, a playhead,
and the stereo mix.

Tracks and clips are frozen values (see state/timeline_clips.py); every edit builds a new snapshot of
(tracks, tempo, key, meter) and pushes a command that swaps whole snapshots. Snapshots share the immutable
sample arrays and melodies, so undo costs no copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, parse_key, parse_meter
from genai_studio.core.project import MIDI_TEMPO_RANGE
from genai_studio.state.timeline_clips import (
    EMPTY_CLIP_BEATS, AudioClip, Clip, MidiClip, Track, at_tempo, clean_time, new_id, replace_track, tracks_at_tempo,
)
from genai_studio.state.timeline_mix import MixRenderer, click_track, to_stereo
from genai_studio.state.undo import SwapCommand

__all__ = ["DEFAULT_SAMPLE_RATE", "EMPTY_CLIP_BEATS", "MIN_TEMPO_BPM", "MAX_TEMPO_BPM", "AudioClip", "Clip",
           "MidiClip", "Track", "TimelineState", "to_stereo"]

DEFAULT_SAMPLE_RATE = 48000
MIN_TEMPO_BPM, MAX_TEMPO_BPM = MIDI_TEMPO_RANGE  # what MIDI files store sensibly (and a Melody accepts)
DEFAULTS = (120.0, "C major", "4/4")  # tempo, key, meter of a new project


@dataclass(frozen=True)
class _Snapshot:
    """What one undo step swaps: the tracks and the musical settings they are played with."""

    tracks: tuple[Track, ...]
    tempo_bpm: float
    key: str
    time_signature: str


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
        self._doc = _Snapshot((), *DEFAULTS)
        self._playhead_s = 0.0
        self._renderer = MixRenderer()
        # The window passes one stack shared with the canvas, so undo follows the user's order of edits.
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)

    # ----- reading -------------------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def tracks(self) -> tuple[Track, ...]:
        return self._doc.tracks

    @property
    def tempo_bpm(self) -> float:
        """Project tempo; every MIDI clip plays at it."""
        return self._doc.tempo_bpm

    @property
    def key(self) -> str:
        """Project key, e.g. 'D major' (text as stored; projects from elsewhere may hold unparseable text)."""
        return self._doc.key

    @property
    def time_signature(self) -> str:
        return self._doc.time_signature

    @property
    def soundfont(self) -> str | None:
        return self._renderer.soundfont

    def track(self, track_id: str) -> Track:
        for t in self._doc.tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"no track {track_id!r}")

    def clip(self, clip_id: str) -> Clip:
        return self._find_clip(clip_id)[1]

    def midi_clip(self, clip_id: str) -> MidiClip:
        clip = self.clip(clip_id)
        if not isinstance(clip, MidiClip):
            raise KeyError(f"clip {clip_id!r} is not a MIDI clip")
        return clip

    def track_of_clip(self, clip_id: str) -> Track:
        return self._find_clip(clip_id)[0]

    def clips(self) -> list[Clip]:
        """Every clip, audio and MIDI, track by track."""
        return [c for t in self._doc.tracks for c in t.clips]

    def audio_clips(self) -> list[AudioClip]:
        return [c for c in self.clips() if isinstance(c, AudioClip)]

    def midi_clips(self) -> list[MidiClip]:
        return [c for c in self.clips() if isinstance(c, MidiClip)]

    @property
    def duration_s(self) -> float:
        """End of the last clip, in seconds (0 for an empty timeline)."""
        return max((c.end_s for t in self._doc.tracks for c in t.clips), default=0.0)

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
        track = Track(new_id("track"), name or f"Track {len(self.tracks) + 1}")
        self._push(f"Add track {track.name}", self.tracks + (track,))
        return track.id

    def add_audio_clip(self, audio: AudioBuffer, track_id: str | None = None, start_s: float = 0.0,
                       name: str | None = None) -> str:
        """Place ``audio`` at ``start_s`` on ``track_id``, or on a new track named after it when None."""
        return self._add_clip(AudioClip(new_id("clip"), name or audio.name, audio, clean_time(start_s)), track_id)

    def add_midi_clip(self, melody: Melody, track_id: str | None = None, start_s: float = 0.0,
                      name: str | None = None) -> str:
        """Place ``melody`` (notes in beats) at ``start_s``; it plays at the project tempo from now on."""
        clip = MidiClip(new_id("clip"), name or melody.name, at_tempo(melody, self.tempo_bpm), clean_time(start_s))
        return self._add_clip(clip, track_id)

    def set_clip_melody(self, clip_id: str, melody: Melody, text: str = "Edit notes") -> None:
        """Replace a MIDI clip's notes (one undo step; nothing is recorded when nothing changed)."""
        track, clip = self._find_clip(clip_id)
        if not isinstance(clip, MidiClip):
            raise KeyError(f"clip {clip_id!r} is not a MIDI clip")
        melody = at_tempo(melody, self.tempo_bpm)
        if melody == clip.melody:
            return
        clips = tuple(replace(c, melody=melody) if c.id == clip_id else c for c in track.clips)
        self._push(text, replace_track(self.tracks, replace(track, clips=clips)))

    def rename_clip(self, clip_id: str, name: str) -> None:
        track, clip = self._find_clip(clip_id)
        if name and name != clip.name:
            clips = tuple(replace(c, name=name) if c.id == clip_id else c for c in track.clips)
            self._push(f"Rename clip {clip.name}", replace_track(self.tracks, replace(track, clips=clips)))

    def remove_clip(self, clip_id: str) -> None:
        track, clip = self._find_clip(clip_id)
        kept = tuple(c for c in track.clips if c.id != clip_id)
        self._push(f"Remove clip {clip.name}", replace_track(self.tracks, replace(track, clips=kept)))

    def move_clip(self, clip_id: str, start_s: float, track_id: str | None = None) -> None:
        """Move a clip in time (clamped at 0 s) and, when ``track_id`` is given, onto that track."""
        source, clip = self._find_clip(clip_id)
        moved = replace(clip, start_s=clean_time(start_s))
        dest_id = source.id if track_id is None else track_id
        if moved.start_s == clip.start_s and dest_id == source.id:
            return
        if dest_id == source.id:
            clips = tuple(moved if c.id == clip_id else c for c in source.clips)
            tracks = replace_track(self.tracks, replace(source, clips=clips))
        else:
            dest = self.track(dest_id)
            tracks = replace_track(self.tracks, replace(source, clips=tuple(c for c in source.clips
                                                                            if c.id != clip_id)))
            tracks = replace_track(tracks, replace(dest, clips=dest.clips + (moved,)))
        self._push(f"Move clip {clip.name}", tracks)

    def remove_track(self, track_id: str) -> None:
        track = self.track(track_id)
        self._push(f"Remove track {track.name}", tuple(t for t in self.tracks if t.id != track_id))

    def set_track_muted(self, track_id: str, muted: bool) -> None:
        track = self.track(track_id)
        if track.muted != bool(muted):
            verb = "Mute" if muted else "Unmute"
            self._push(f"{verb} {track.name}", replace_track(self.tracks, replace(track, muted=bool(muted))))

    def set_track_gain(self, track_id: str, gain: float) -> None:
        """Linear gain (1.0 = unchanged)."""
        track = self.track(track_id)
        if not math.isfinite(gain) or gain < 0:
            raise ValueError(f"gain must be a finite non-negative number, got {gain}")
        if track.gain != gain:
            self._push(f"Gain of {track.name}", replace_track(self.tracks, replace(track, gain=float(gain))))

    def set_tempo(self, bpm: float) -> None:
        """Project tempo in BPM (MIDI clips stretch with it; audio clips keep their time)."""
        bpm = float(bpm)
        if not (math.isfinite(bpm) and MIN_TEMPO_BPM <= bpm <= MAX_TEMPO_BPM):
            raise BadInput(f"tempo must be between {MIN_TEMPO_BPM:g} and {MAX_TEMPO_BPM:g} BPM, got {bpm:g}")
        if bpm != self.tempo_bpm:
            self._push_doc(f"Tempo {bpm:g} BPM", replace(self._doc, tracks=tracks_at_tempo(self.tracks, bpm),
                                                         tempo_bpm=bpm))

    def set_key(self, text: str) -> None:
        """Project key ('D major', 'e minor', 'Bb mix'…), stored in its canonical spelling."""
        key = str(parse_key(text))
        if key != self.key:
            self._push_doc(f"Key {key}", replace(self._doc, key=key))

    def set_time_signature(self, text: str) -> None:
        meter = str(parse_meter(text))
        if meter != self.time_signature:
            self._push_doc(f"Time signature {meter}", replace(self._doc, time_signature=meter))

    def set_soundfont(self, path: str | None) -> None:
        """The SoundFont MIDI clips render with (None: the built-in synth). A preference, not undoable."""
        if path != self._renderer.soundfont:
            self._renderer.set_soundfont(path or None)
            self.changed.emit()

    def clear(self) -> None:
        """Empty the timeline, reset tempo/key/meter and forget the undo history (new project)."""
        self.undo_stack.clear()
        self._apply(_Snapshot((), *DEFAULTS))
        self.set_playhead(0.0)

    def replace_all(self, tracks: tuple[Track, ...], sample_rate: int, tempo_bpm: float, key: str,
                    time_signature: str, playhead_s: float) -> None:
        """Load a whole document (opening a project): not undoable."""
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self._sample_rate = int(sample_rate)
        self._renderer.clear()
        tempo_bpm = float(tempo_bpm)
        self._apply(_Snapshot(tracks_at_tempo(tuple(tracks), tempo_bpm), tempo_bpm, key, time_signature))
        self.set_playhead(playhead_s)

    # ----- mixing --------------------------------------------------------------------------------------
    def mix(self, start_s: float = 0.0, end_s: float | None = None, metronome: bool = False) -> np.ndarray:
        """(frames, 2) float32 stereo at ``sample_rate``: unmuted tracks summed with gain, clipped to [-1, 1].

        Covers [start_s, end_s), ``end_s`` defaulting to the end of the last clip. MIDI clips are rendered
        at the project tempo; ``metronome`` adds a click on every beat (accented on each bar).
        """
        sr = self._sample_rate
        first = max(0, int(round(clean_time(start_s) * sr)))
        last = int(math.ceil((self.duration_s if end_s is None else max(0.0, end_s)) * sr))
        frames = max(0, last - first)
        out = self._renderer.mix(self.tracks, sr, first, frames)
        if metronome and frames:
            out += click_track(self.tempo_bpm, self.time_signature, sr, first, frames)
        np.clip(out, -1.0, 1.0, out=out)
        return out

    # ----- internals -----------------------------------------------------------------------------------
    def _add_clip(self, clip: Clip, track_id: str | None) -> str:
        tracks = self.tracks
        if track_id is None:
            tracks = tracks + (Track(new_id("track"), clip.name, (clip,)),)
        else:
            target = self.track(track_id)
            tracks = replace_track(tracks, replace(target, clips=target.clips + (clip,)))
        self._push(f"Add clip {clip.name}", tracks)
        return clip.id

    def _push(self, text: str, tracks: tuple[Track, ...]) -> None:
        self._push_doc(text, replace(self._doc, tracks=tracks))

    def _push_doc(self, text: str, doc: _Snapshot) -> None:
        self.undo_stack.push(SwapCommand(text, self._apply, self._doc, doc))

    def _apply(self, doc: _Snapshot) -> None:
        self._doc = doc
        self._renderer.forget(doc.tracks)  # an undo that brings a clip back converts/renders it again
        self.changed.emit()

    def _find_clip(self, clip_id: str) -> tuple[Track, Clip]:
        for t in self._doc.tracks:
            for c in t.clips:
                if c.id == clip_id:
                    return t, c
        raise KeyError(f"no clip {clip_id!r}")
