"""The values a timeline is made of: audio clips, MIDI clips and the tracks that hold them.

All are frozen: an edit builds new values, so an undo snapshot is just the previous tuple of tracks.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from typing import Union

from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody
from genai_studio.core.project import EMPTY_MIDI_CLIP_BEATS

# An empty MIDI clip still needs a length the user can see and click: one 4/4 bar.
EMPTY_CLIP_BEATS = EMPTY_MIDI_CLIP_BEATS


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
    """A lane of clips; ``gain`` is a linear amplitude factor, ``muted`` leaves the track out of the mix."""

    id: str
    name: str
    clips: tuple[Clip, ...] = field(default_factory=tuple)
    muted: bool = False
    gain: float = 1.0


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
