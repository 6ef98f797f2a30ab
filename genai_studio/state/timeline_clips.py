"""The values a timeline is made of: audio clips, MIDI clips and the tracks that hold them, plus the small
mixer rules that read them (pan law, solo/mute, dB) and their conversion to/from the project document.

All are frozen: an edit builds new values, so an undo snapshot is just the previous tuple of tracks.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from typing import Union

from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody
from genai_studio.core.project import (
    EMPTY_MIDI_CLIP_BEATS, FADE_CURVES, ClipDoc, MidiClipDoc, TrackDoc,
)
from genai_studio.dsp.effects import EffectSpec

# An empty MIDI clip still needs a length the user can see and click: one 4/4 bar.
EMPTY_CLIP_BEATS = EMPTY_MIDI_CLIP_BEATS
EQUAL_POWER, LINEAR = FADE_CURVES
MIN_GAIN_DB = -60.0  # the bottom of the gain control; at or below it the track is silent (gain 0)


@dataclass(frozen=True)
class AudioClip:
    """A piece of audio placed on a track at ``start_s`` seconds of project time."""

    id: str
    name: str
    audio: AudioBuffer
    start_s: float = 0.0
    fade_in_s: float = 0.0  # seconds from the clip start over which it rises from silence
    fade_out_s: float = 0.0  # seconds before the clip end over which it falls to silence
    fade_curve: str = EQUAL_POWER  # one of FADE_CURVES

    @property
    def duration_s(self) -> float:
        return self.audio.duration_s

    @property
    def end_s(self) -> float:
        return self.start_s + self.audio.duration_s


@dataclass(frozen=True)
class MidiClip:
    """Notes placed on a track at ``start_s`` seconds of project time.

    Note times are in beats. The clip plays at the project tempo: TimelineState keeps
    ``melody.tempo_bpm`` equal to ``TimelineState.tempo_bpm``, so ``melody`` is exactly what is heard
    (and what a MIDI export writes), and the clip's length in seconds follows the tempo.
    """

    id: str
    name: str
    melody: Melody
    start_s: float = 0.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0  # with a fade-out the notes' release tail past the clip end is not heard
    fade_curve: str = EQUAL_POWER

    @property
    def length_beats(self) -> float:
        """Beats from the clip start to the end of its last note (one bar when it has no notes)."""
        return self.melody.duration_beats if self.melody.notes else EMPTY_CLIP_BEATS

    @property
    def seconds_per_beat(self) -> float:
        return self.melody.seconds_per_beat

    @property
    def duration_s(self) -> float:
        return self.length_beats * self.melody.seconds_per_beat

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    def beat_at(self, seconds: float) -> float:
        """Project time (s) → beats from the clip start (negative before it)."""
        return (seconds - self.start_s) / self.melody.seconds_per_beat

    def time_of(self, beat: float) -> float:
        """Beats from the clip start → project time (s)."""
        return self.start_s + beat * self.melody.seconds_per_beat


Clip = Union[AudioClip, MidiClip]


@dataclass(frozen=True)
class Track:
    """A lane of clips and its mixer strip.

    ``gain`` is a linear amplitude factor, ``pan`` -1 (left) … 1 (right) with a constant-power law, ``muted``
    leaves the track out of the mix, ``solo`` on any track leaves out every track without it (mute still
    wins), ``effects`` run in order over the track's clips before gain and pan.
    """

    id: str
    name: str
    clips: tuple[Clip, ...] = field(default_factory=tuple)
    muted: bool = False
    gain: float = 1.0
    pan: float = 0.0
    solo: bool = False
    effects: tuple[EffectSpec, ...] = ()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def replace_track(tracks: tuple[Track, ...], new: Track) -> tuple[Track, ...]:
    return tuple(new if t.id == new.id else t for t in tracks)


def clean_time(seconds: float) -> float:
    """A finite, non-negative time in seconds (NaN/inf become 0)."""
    seconds = float(seconds)
    return max(0.0, seconds) if math.isfinite(seconds) else 0.0


def at_tempo(melody: Melody, tempo_bpm: float) -> Melody:
    """``melody`` playing at ``tempo_bpm``; the same object when it already does (keeps caches warm)."""
    return melody if melody.tempo_bpm == tempo_bpm else replace(melody, tempo_bpm=tempo_bpm)


def tracks_at_tempo(tracks: tuple[Track, ...], tempo_bpm: float) -> tuple[Track, ...]:
    """Every MIDI clip's melody set to ``tempo_bpm``; tracks without MIDI clips are kept as they are."""
    out = []
    for track in tracks:
        if any(isinstance(c, MidiClip) for c in track.clips):
            clips = tuple(replace(c, melody=at_tempo(c.melody, tempo_bpm)) if isinstance(c, MidiClip) else c
                          for c in track.clips)
            track = replace(track, clips=clips)
        out.append(track)
    return tuple(out)


# ----- mixer rules -------------------------------------------------------------------------------------------


def pan_gains(pan: float) -> tuple[float, float]:
    """(left, right) amplitude factors: the constant-power law, scaled so that centre is unity.

    Centre gives (1, 1), so a centred track plays exactly as before pan existed (old projects sound the
    same); moving it keeps its power (L² + R² = 2); hard left is (√2, 0), i.e. +3 dB on that side.
    """
    pan = min(1.0, max(-1.0, float(pan)))
    if pan == -1.0:
        return _SQRT2, 0.0
    if pan == 1.0:
        return 0.0, _SQRT2
    angle = (pan + 1.0) * math.pi / 4.0
    return _SQRT2 * math.cos(angle), _SQRT2 * math.sin(angle)


_SQRT2 = math.sqrt(2.0)


def audible(tracks: tuple[Track, ...]) -> tuple[Track, ...]:
    """The tracks that are heard: not muted and, when any track is soloed, soloed themselves."""
    soloing = any(t.solo for t in tracks)
    return tuple(t for t in tracks if not t.muted and (t.solo or not soloing))


def gain_to_db(gain: float) -> float:
    """Linear gain → dB; silence (and anything quieter than MIN_GAIN_DB) reads MIN_GAIN_DB."""
    return MIN_GAIN_DB if gain <= 10 ** (MIN_GAIN_DB / 20.0) else 20.0 * math.log10(gain)


def db_to_gain(db: float) -> float:
    """dB → linear gain; MIN_GAIN_DB and below mean off (0.0)."""
    return 0.0 if db <= MIN_GAIN_DB else 10.0 ** (db / 20.0)


def clip_fades(clip: Clip) -> tuple[float, float]:
    """(fade in, fade out) in seconds as heard: never longer than the clip together (a MIDI clip can
    shrink under its fades when the tempo rises)."""
    duration = clip.duration_s
    fade_in = min(clip.fade_in_s, duration)
    return fade_in, min(clip.fade_out_s, duration - fade_in)


# ----- the project document ----------------------------------------------------------------------------------


def track_to_doc(track: Track) -> TrackDoc:
    clips = tuple(
        (MidiClipDoc(c.id, c.name, c.melody, c.start_s, c.fade_in_s, c.fade_out_s, c.fade_curve)
         if isinstance(c, MidiClip) else
         ClipDoc(c.id, c.name, c.audio, c.start_s, c.fade_in_s, c.fade_out_s, c.fade_curve))
        for c in track.clips)
    return TrackDoc(track.id, track.name, clips, track.muted, track.gain, track.pan, track.solo, track.effects)


def track_from_doc(doc: TrackDoc) -> Track:
    clips = tuple(
        (MidiClip(c.id, c.name, c.melody, c.start_s, c.fade_in_s, c.fade_out_s, c.fade_curve)
         if isinstance(c, MidiClipDoc) else
         AudioClip(c.id, c.name, c.audio, c.start_s, c.fade_in_s, c.fade_out_s, c.fade_curve))
        for c in doc.clips)
    return Track(doc.id, doc.name, clips, doc.muted, doc.gain, doc.pan, doc.solo, tuple(doc.effects))
