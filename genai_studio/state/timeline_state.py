"""Observable, undoable timeline document: tracks of audio and MIDI clips with their mixer settings (gain,
pan, mute, solo, effects) and clip fades, tempo, key, meter, a playhead, and the stereo mix.

Tracks and clips are frozen values (see state/timeline_clips.py); every edit builds a new snapshot of
(tracks, tempo, key, meter) and pushes a command that swaps whole snapshots. Snapshots share the immutable
sample arrays and melodies, so undo costs no copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, parse_key, parse_meter
from genai_studio.core.project import FADE_CURVES, MIDI_TEMPO_RANGE
from genai_studio.dsp.effects import EffectSpec
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
        # +1 whenever another project's timeline replaces this one (new, open): a job started before must not
        # land its result in the new project
        self.document_serial = 0
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
    def add_track(self, name: str | None = None, after_track_id: str | None = None) -> str:
        """A new empty track, last or right below ``after_track_id``; returns its id."""
        track = Track(new_id("track"), name or f"Track {len(self.tracks) + 1}")
        self._push(f"Add track {track.name}", self._insert_track(track, after_track_id))
        return track.id

    def add_audio_clip(self, audio: AudioBuffer, track_id: str | None = None, start_s: float = 0.0,
                       name: str | None = None, track_name: str | None = None,
                       after_track_id: str | None = None) -> str:
        """Place ``audio`` at ``start_s`` on ``track_id``; returns the clip id (``track_of_clip`` gives its track).

        With no ``track_id`` the clip gets a new track named ``track_name`` (default: the clip's name), last or
        right below ``after_track_id`` (e.g. a sung line under its melody) — all one undo step.
        """
        clip = AudioClip(new_id("clip"), name or audio.name, audio, clean_time(start_s))
        return self._add_clip(clip, track_id, track_name, after_track_id)

    def add_midi_clip(self, melody: Melody, track_id: str | None = None, start_s: float = 0.0,
                      name: str | None = None, track_name: str | None = None,
                      after_track_id: str | None = None) -> str:
        """Place ``melody`` (notes in beats) at ``start_s``; it plays at the project tempo from now on. New
        tracks as in :meth:`add_audio_clip`."""
        clip = MidiClip(new_id("clip"), name or melody.name, at_tempo(melody, self.tempo_bpm), clean_time(start_s))
        return self._add_clip(clip, track_id, track_name, after_track_id)

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

    def set_track_pan(self, track_id: str, pan: float) -> None:
        """Pan from -1 (hard left) through 0 (centre, -3 dB each side) to 1 (hard right)."""
        track = self.track(track_id)
        pan = float(pan)
        if not (math.isfinite(pan) and -1.0 <= pan <= 1.0):
            raise BadInput(f"pan must be between -1 (left) and 1 (right), got {pan:g}")
        if track.pan != pan:
            self._push(f"Pan of {track.name}", replace_track(self.tracks, replace(track, pan=pan)))

    def set_track_solo(self, track_id: str, solo: bool) -> None:
        """While any track is soloed only soloed tracks play (a muted one stays silent)."""
        track = self.track(track_id)
        if track.solo != bool(solo):
            verb = "Solo" if solo else "Unsolo"
            self._push(f"{verb} {track.name}", replace_track(self.tracks, replace(track, solo=bool(solo))))

    def set_track_effects(self, track_id: str, chain: Sequence[EffectSpec], text: str | None = None) -> None:
        """Replace the track's effects chain (applied in order, before gain and pan)."""
        track = self.track(track_id)
        chain = tuple(chain)
        for effect in chain:
            if not isinstance(effect, EffectSpec):
                raise TypeError(f"effects must be EffectSpec values, got {type(effect).__name__}")
        if chain != track.effects:
            self._push(text or f"Effects of {track.name}", replace_track(self.tracks, replace(track, effects=chain)))

    def rename_track(self, track_id: str, name: str) -> None:
        track = self.track(track_id)
        name = name.strip()
        if name and name != track.name:
            self._push(f"Rename track {track.name}", replace_track(self.tracks, replace(track, name=name)))

    def set_clip_fades(self, clip_id: str, fade_in_s: float, fade_out_s: float, curve: str | None = None) -> None:
        """Fade-in and fade-out lengths in seconds (``curve``: 'equal_power' or 'linear'; None keeps it).

        Lengths are clamped to the clip: the fade-in to its duration, the fade-out to what is left.
        """
        track, clip = self._find_clip(clip_id)
        curve = clip.fade_curve if curve is None else curve
        if curve not in FADE_CURVES:
            raise BadInput(f"fade curve must be one of {', '.join(FADE_CURVES)}, got {curve!r}")
        lengths = []
        for label, value in (("fade-in", fade_in_s), ("fade-out", fade_out_s)):
            value = float(value)
            if not math.isfinite(value) or value < 0:
                raise BadInput(f"{label} must be a length in seconds ≥ 0, got {value:g}")
            lengths.append(value)
        fade_in = min(lengths[0], clip.duration_s)
        fade_out = min(lengths[1], clip.duration_s - fade_in)
        faded = replace(clip, fade_in_s=fade_in, fade_out_s=fade_out, fade_curve=curve)
        if faded != clip:
            clips = tuple(faded if c.id == clip_id else c for c in track.clips)
            self._push(f"Fades of {clip.name}", replace_track(self.tracks, replace(track, clips=clips)))

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

    def adopt_first_melody(self, melody: Melody) -> None:
        """Before the project's first MIDI clip is added: take that melody's tempo, key and meter, so it plays
        as written (a value outside the project's ranges is left as it is). Later clips play at the project
        tempo."""
        if self.midi_clips():
            return
        for setter, value in ((self.set_tempo, melody.tempo_bpm), (self.set_key, melody.key),
                              (self.set_time_signature, melody.time_signature)):
            try:
                setter(value)
            except BadInput:
                pass

    def set_soundfont(self, path: str | None) -> None:
        """The SoundFont MIDI clips render with (None: the built-in synth). A preference, not undoable."""
        if path != self._renderer.soundfont:
            self._renderer.set_soundfont(path or None)
            self.changed.emit()

    def clear(self) -> None:
        """Empty the timeline, reset tempo/key/meter and forget the undo history (new project)."""
        self.document_serial += 1
        self.undo_stack.clear()
        self._apply(_Snapshot((), *DEFAULTS))
        self.set_playhead(0.0)

    def replace_all(self, tracks: tuple[Track, ...], sample_rate: int, tempo_bpm: float, key: str,
                    time_signature: str, playhead_s: float) -> None:
        """Load a whole document (opening a project): not undoable."""
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self.document_serial += 1
        self._sample_rate = int(sample_rate)
        self._renderer.clear()
        tempo_bpm = float(tempo_bpm)
        self._apply(_Snapshot(tracks_at_tempo(tuple(tracks), tempo_bpm), tempo_bpm, key, time_signature))
        self.set_playhead(playhead_s)

    # ----- mixing --------------------------------------------------------------------------------------
    @property
    def mix_end_s(self) -> float:
        """Where the mix ends: the last clip's end, or later where a track's reverb or echo rings on."""
        return max(self.duration_s, self._renderer.end_s(self.tracks, self._sample_rate))

    def mix(self, start_s: float = 0.0, end_s: float | None = None, metronome: bool = False,
            clamp: bool = True) -> np.ndarray:
        """(frames, 2) float32 stereo at ``sample_rate``: the audible tracks (mute and solo applied) with their
        fades, effects, gain and pan, summed and clipped to [-1, 1] (``clamp=False`` leaves peaks as they are).

        Covers [start_s, end_s), ``end_s`` defaulting to :attr:`mix_end_s`. MIDI clips are rendered at the
        project tempo; ``metronome`` adds a click on every beat (accented on each bar). Clip conversions,
        MIDI renders and tracks with effects are cached, so mixing again after a mixer change only sums.
        """
        sr = self._sample_rate
        first = max(0, int(round(clean_time(start_s) * sr)))
        last = int(math.ceil((self.mix_end_s if end_s is None else max(0.0, end_s)) * sr))
        frames = max(0, last - first)
        out = self._renderer.mix(self.tracks, sr, first, frames)
        if metronome and frames:
            out += click_track(self.tempo_bpm, self.time_signature, sr, first, frames)
        if clamp:
            np.clip(out, -1.0, 1.0, out=out)
        return out

    def render_track(self, track_id: str) -> AudioBuffer:
        """One track as heard when soloed — fades, effects (with their tails), gain and pan, whatever its mute
        switch says — from project time 0, so stems line up; not clipped. For exporting a stem."""
        track = self.track(track_id)
        sr = self._sample_rate
        out = np.zeros((int(math.ceil(self._renderer.track_end_s(track, sr) * sr)), 2), dtype=np.float32)
        self._renderer.add_track(out, track, sr, 0)
        return AudioBuffer(out, sr, name=track.name)

    # ----- internals -----------------------------------------------------------------------------------
    def _add_clip(self, clip: Clip, track_id: str | None, track_name: str | None = None,
                  after_track_id: str | None = None) -> str:
        tracks = self.tracks
        if track_id is None:
            tracks = self._insert_track(Track(new_id("track"), track_name or clip.name, (clip,)), after_track_id)
        else:
            target = self.track(track_id)
            tracks = replace_track(tracks, replace(target, clips=target.clips + (clip,)))
        self._push(f"Add clip {clip.name}", tracks)
        return clip.id

    def _insert_track(self, track: Track, after_track_id: str | None) -> tuple[Track, ...]:
        tracks = self.tracks
        if after_track_id is None:
            return tracks + (track,)
        index = [t.id for t in tracks].index(self.track(after_track_id).id) + 1
        return tracks[:index] + (track,) + tracks[index:]

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
