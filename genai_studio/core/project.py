"""The project document: everything on the canvas and the timeline, as plain immutable data.

A ``.gstudio`` file (see mediaio/project_file.py) is a zip of ``project.json`` (this document's
fields, versioned by :data:`SCHEMA_VERSION`) plus one asset per layer image (PNG), audio clip (WAV) and
MIDI clip (Standard MIDI File). Tracks carry their mixer settings (gain, pan, mute, solo, effects chain) and
clips their fades.
Older schemas are migrated on load by :func:`migrate`; newer ones are refused with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer, ImageBuffer
from genai_studio.core.music import Melody

SCHEMA_VERSION = 4
FILE_EXTENSION = ".gstudio"
LAYER_KINDS = ("image", "result", "mask")
EMPTY_MIDI_CLIP_BEATS = 4.0  # a MIDI clip without notes still lasts one 4/4 bar, so it can be seen and clicked
MIDI_TEMPO_RANGE = (10.0, 400.0)  # BPM: what a MIDI file can store sensibly (and a Melody accepts)
FADE_CURVES = ("equal_power", "linear")  # clip fade shapes; equal power keeps crossfades at constant loudness


@dataclass(frozen=True, eq=False)
class LayerDoc:
    id: int
    name: str
    image: ImageBuffer
    kind: str = "image"  # one of LAYER_KINDS
    visible: bool = True
    source_id: int | None = None  # the layer a result was computed from
    spec: dict[str, Any] | None = None  # JobSpec.to_json() of the job that made it (re-runnable)


@dataclass(frozen=True, eq=False)
class ClipDoc:
    id: str
    name: str
    audio: AudioBuffer
    start_s: float = 0.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    fade_curve: str = "equal_power"  # one of FADE_CURVES


@dataclass(frozen=True, eq=False)
class MidiClipDoc:
    """A MIDI clip: notes in beats, played at the timeline's tempo (``melody.tempo_bpm`` equals it)."""

    id: str
    name: str
    melody: Melody
    start_s: float = 0.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    fade_curve: str = "equal_power"


@dataclass(frozen=True, eq=False)
class TrackDoc:
    id: str
    name: str
    clips: tuple[ClipDoc | MidiClipDoc, ...] = ()
    muted: bool = False
    gain: float = 1.0  # linear amplitude factor
    pan: float = 0.0  # -1 hard left … 1 hard right (constant-power law)
    solo: bool = False
    # genai_studio.dsp.effects.EffectSpec values in chain order (core cannot import dsp): each has
    # to_json(), and the project file rebuilds them with EffectSpec.from_json.
    effects: tuple[Any, ...] = ()


@dataclass(frozen=True, eq=False)
class TimelineDoc:
    tracks: tuple[TrackDoc, ...] = ()
    sample_rate: int = 48000  # Hz, the project's mixing rate
    tempo_bpm: float = 120.0
    key: str = "C major"
    time_signature: str = "4/4"
    playhead_s: float = 0.0


@dataclass(frozen=True, eq=False)
class ProjectDoc:
    layers: tuple[LayerDoc, ...] = ()
    active_layer_id: int | None = None
    timeline: TimelineDoc = field(default_factory=TimelineDoc)
    metadata: dict[str, Any] = field(default_factory=dict)  # e.g. {"app_version": "0.1.0"}

    @property
    def is_empty(self) -> bool:
        return not self.layers and not any(t.clips for t in self.timeline.tracks)


# ----- schema migrations: each step takes the project.json dict of version N and returns version N+1 --------

def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 kept the tracks and the mixing rate at the top level and had no tempo, key or meter."""
    out = {k: v for k, v in data.items() if k not in ("tracks", "sample_rate")}
    out["timeline"] = {
        "tracks": data.get("tracks", []), "sample_rate": data.get("sample_rate", 48000),
        "tempo_bpm": 120.0, "key": "C major", "time_signature": "4/4", "playhead_s": 0.0,
    }
    out["schema_version"] = 2
    return out


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """v3 added MIDI clips; each clip names its type, and every v2 clip was audio."""
    out = dict(data)
    timeline = data.get("timeline")
    if isinstance(timeline, dict) and isinstance(timeline.get("tracks"), list):
        # Malformed parts are left as they are: parse_manifest reports them with the field's name.
        tracks = [
            {**tr, "clips": [{**c, "type": "audio"} if isinstance(c, dict) else c for c in tr["clips"]]}
            if isinstance(tr, dict) and isinstance(tr.get("clips"), list) else tr
            for tr in timeline["tracks"]
        ]
        out["timeline"] = {**timeline, "tracks": tracks}
    out["schema_version"] = 3
    return out


def _v3_to_v4(data: dict[str, Any]) -> dict[str, Any]:
    """v4 added the mixer: tracks got pan, solo and an effects chain, clips got fades. Old projects play as
    before: centred, nothing soloed, no fades, no effects."""
    out = dict(data)
    timeline = data.get("timeline")
    if isinstance(timeline, dict) and isinstance(timeline.get("tracks"), list):
        tracks = []
        for tr in timeline["tracks"]:
            if isinstance(tr, dict):
                tr = {"pan": 0.0, "solo": False, "effects": [], **tr}
                if isinstance(tr.get("clips"), list):
                    tr["clips"] = [{"fade_in_s": 0.0, "fade_out_s": 0.0, "fade_curve": "equal_power", **c}
                                   if isinstance(c, dict) else c for c in tr["clips"]]
            tracks.append(tr)
        out["timeline"] = {**timeline, "tracks": tracks}
    out["schema_version"] = 4
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def migrate(data: dict[str, Any], source: str = "the project") -> dict[str, Any]:
    """Bring a project.json dict from any older schema to :data:`SCHEMA_VERSION`."""
    version = data.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise BadInput(f"{source} has no valid schema version; it is not a GenAI Studio project or is damaged.")
    if version > SCHEMA_VERSION:
        raise BadInput(
            f"{source} was saved by a newer GenAI Studio (project format {version}; this version reads up to "
            f"{SCHEMA_VERSION}). Update GenAI Studio to open it."
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data
