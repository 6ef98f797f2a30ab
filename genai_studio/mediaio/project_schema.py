"""The schema of ``project.json`` inside a ``.gstudio`` file, checked field by field.

A document goes to JSON through :func:`document_to_json` and every JSON dict (freshly built for a save, or
read and migrated on load) goes through :func:`parse_manifest`, so the rules are the same both ways: a
document that saves is exactly a document that loads. The parsed manifest is the same JSON structure with
defaults filled in and every value checked; assets are named by :func:`layer_asset` / :func:`clip_asset` /
:func:`midi_asset`. Clips carry ``"type": "audio"`` (a WAV asset) or ``"type": "midi"`` (a MIDI asset, with
the melody's name, key, meter and program also kept here so they come back exactly, whatever MIDI can say),
and their fades. Tracks carry gain, pan, mute, solo and their effects chain (``dsp.effects.EffectSpec`` JSON,
checked by the same validation the effects dialog uses).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.music import parse_key, parse_meter
from genai_studio.core.project import (
    FADE_CURVES, LAYER_KINDS, MIDI_TEMPO_RANGE, SCHEMA_VERSION, MidiClipDoc, ProjectDoc,
)
from genai_studio.dsp.effects import EffectSpec

# Track and clip ids become zip entry names ("audio/<clip id>.wav"): no separators, no leading dot.
_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}\Z")
_MAX_SAMPLE_RATE = 768_000  # Hz; the highest rate any consumer audio interface offers
_MAX_TEMPO_BPM = 1000.0
CLIP_TYPES = ("audio", "midi")
_MAX_JSON_DEPTH = 64  # specs and metadata are shallow; a deeper value is damage or an attack
_MAX_EFFECTS = 64  # per track; a longer chain is damage, not a mix


class InvalidField(ValueError):
    """A project.json value of the wrong type or out of range; the text says where and what."""


def layer_asset(layer_id: int) -> str:
    return f"layers/{layer_id}.png"


def clip_asset(clip_id: str) -> str:
    return f"audio/{clip_id}.wav"


def midi_asset(clip_id: str) -> str:
    return f"midi/{clip_id}.mid"


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """UTF-8 JSON, human-readable (a person may need to rescue a damaged project by hand)."""
    return json.dumps(manifest, ensure_ascii=False, allow_nan=False, indent=1).encode("utf-8")


def document_to_json(doc: ProjectDoc, app_version: str) -> dict[str, Any]:
    """The project.json dict of ``doc``, unchecked (run it through :func:`parse_manifest`)."""
    t = doc.timeline
    return {
        "schema_version": SCHEMA_VERSION,
        "app_version": app_version,
        "metadata": doc.metadata,
        "layers": [
            {"id": _scalar(l.id), "name": l.name, "kind": l.kind, "visible": l.visible,
             "source_id": _scalar(l.source_id), "spec": l.spec, "asset": layer_asset(_scalar(l.id)),
             "image_name": l.image.name}
            for l in doc.layers
        ],
        "active_layer_id": _scalar(doc.active_layer_id),
        "timeline": {
            "sample_rate": _scalar(t.sample_rate), "tempo_bpm": _scalar(t.tempo_bpm), "key": t.key,
            "time_signature": t.time_signature, "playhead_s": _scalar(t.playhead_s),
            "tracks": [
                {"id": tr.id, "name": tr.name, "muted": tr.muted, "gain": _scalar(tr.gain),
                 "pan": _scalar(tr.pan), "solo": tr.solo, "effects": [e.to_json() for e in tr.effects],
                 "clips": [_clip_json(c) for c in tr.clips]}
                for tr in t.tracks
            ],
        },
    }


def _clip_json(c: Any) -> dict[str, Any]:
    entry = {"id": c.id, "name": c.name, "start_s": _scalar(c.start_s), "fade_in_s": _scalar(c.fade_in_s),
             "fade_out_s": _scalar(c.fade_out_s), "fade_curve": c.fade_curve}
    if isinstance(c, MidiClipDoc):
        m = c.melody
        return {"type": "midi", **entry, "asset": midi_asset(str(c.id)), "melody_name": m.name, "key": m.key,
                "time_signature": m.time_signature, "program": _scalar(m.program)}
    return {"type": "audio", **entry, "asset": clip_asset(str(c.id)), "audio_name": c.audio.name}


def _scalar(value: Any) -> Any:
    """numpy scalars (np.float32 gains, np.int64 ids from array maths) as plain Python numbers."""
    return value.item() if isinstance(value, np.generic) else value


# ----------------------------------------------------------------------------------------------- parsing


def parse_manifest(data: Any) -> dict[str, Any]:
    """Check a current-schema project.json dict and return it normalized (defaults filled in).

    Raises InvalidField naming the layer/track/clip and the field.
    """
    if not isinstance(data, dict):
        raise InvalidField("project.json does not hold a JSON object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise InvalidField(f"project.json has schema version {data.get('schema_version')!r}, "
                           f"expected {SCHEMA_VERSION}")
    app_version = data.get("app_version")
    if app_version is not None and not isinstance(app_version, str):
        raise InvalidField("'app_version' must be text")
    layers = [_layer(entry, i) for i, entry in enumerate(_list(data.get("layers", []), "'layers'"))]
    ids = [l["id"] for l in layers]
    _unique(ids, "layer")
    active = data.get("active_layer_id")
    if active is not None and (not _is_int(active) or active not in ids):
        raise InvalidField(f"'active_layer_id' is {active!r}, which is not the id of any layer")
    return {
        "schema_version": SCHEMA_VERSION,
        "app_version": app_version,
        "metadata": _json_value(_dict(data.get("metadata", {}), "'metadata'"), "'metadata'"),
        "layers": layers,
        "active_layer_id": active,
        "timeline": _timeline(data.get("timeline", {})),
    }


def _layer(entry: Any, index: int) -> dict[str, Any]:
    where = f"layer #{index + 1}"
    entry = _dict(entry, where)
    layer_id = entry.get("id")
    if not _is_int(layer_id) or layer_id < 0:
        raise InvalidField(f"{where} has id {layer_id!r}; layer ids are whole numbers ≥ 0")
    where = f"layer {layer_id}"
    kind = entry.get("kind", "image")
    if kind not in LAYER_KINDS:
        raise InvalidField(f"{where} has unknown kind {kind!r} (expected one of {', '.join(LAYER_KINDS)})")
    source_id = entry.get("source_id")
    if source_id is not None and not _is_int(source_id):
        raise InvalidField(f"{where} has source_id {source_id!r}; expected a layer id or null")
    spec = entry.get("spec")
    if spec is not None:
        spec = _json_value(_dict(spec, f"the job spec of {where}"), f"the job spec of {where}")
    name = _text(entry.get("name", f"Layer {layer_id}"), where, "name")
    return {
        "id": layer_id, "name": name, "kind": kind,
        "visible": _bool(entry.get("visible", True), where, "visible"),
        "source_id": source_id, "spec": spec,
        "asset": _asset(entry.get("asset", layer_asset(layer_id)), layer_asset(layer_id), where),
        "image_name": _text(entry.get("image_name", name), where, "image_name"),
    }


def _timeline(value: Any) -> dict[str, Any]:
    t = _dict(value, "'timeline'")
    rate = t.get("sample_rate", 48000)
    if not _is_int(rate) or not 0 < rate <= _MAX_SAMPLE_RATE:
        raise InvalidField(f"the timeline sample rate {rate!r} is not a valid rate in Hz")
    tempo = _number(t.get("tempo_bpm", 120.0), "the timeline", "tempo_bpm")
    if not 0 < tempo <= _MAX_TEMPO_BPM:
        raise InvalidField(f"the timeline tempo {tempo!r} BPM is out of range (0 to {_MAX_TEMPO_BPM:g})")
    tracks = [_track(entry, i) for i, entry in enumerate(_list(t.get("tracks", []), "the timeline's 'tracks'"))]
    _unique([tr["id"] for tr in tracks], "track")
    _unique([c["id"] for tr in tracks for c in tr["clips"]], "clip")
    low, high = MIDI_TEMPO_RANGE  # MIDI clips play at the timeline tempo, and their files record it
    if any(c["type"] == "midi" for tr in tracks for c in tr["clips"]) and not low <= tempo <= high:
        raise InvalidField(f"the timeline tempo {tempo!r} BPM is out of range for MIDI clips "
                           f"({low:g} to {high:g})")
    return {
        "sample_rate": rate, "tempo_bpm": tempo,
        "key": _text(t.get("key", "C major"), "the timeline", "key"),
        "time_signature": _text(t.get("time_signature", "4/4"), "the timeline", "time_signature"),
        "playhead_s": _non_negative(t.get("playhead_s", 0.0), "the timeline", "playhead_s"),
        "tracks": tracks,
    }


def _track(entry: Any, index: int) -> dict[str, Any]:
    where = f"track #{index + 1}"
    entry = _dict(entry, where)
    track_id = _safe_id(entry.get("id"), where)
    where = f"track {track_id!r}"
    clips = [_clip(c, i, where) for i, c in enumerate(_list(entry.get("clips", []), f"the clips of {where}"))]
    pan = _number(entry.get("pan", 0.0), where, "pan")
    if not -1.0 <= pan <= 1.0:
        raise InvalidField(f"{where} has pan {pan:g}; pan goes from -1 (left) to 1 (right)")
    effects = _list(entry.get("effects", []), f"the effects of {where}")
    if len(effects) > _MAX_EFFECTS:
        raise InvalidField(f"{where} has {len(effects)} effects; at most {_MAX_EFFECTS} are allowed")
    return {
        "id": track_id, "name": _text(entry.get("name", track_id), where, "name"),
        "muted": _bool(entry.get("muted", False), where, "muted"),
        "gain": _non_negative(entry.get("gain", 1.0), where, "gain"),
        "pan": pan, "solo": _bool(entry.get("solo", False), where, "solo"),
        "effects": [_effect(e, i, where) for i, e in enumerate(effects)],
        "clips": clips,
    }


def _effect(entry: Any, index: int, track: str) -> dict[str, Any]:
    """The effect as canonical JSON (every parameter present), or InvalidField naming the track, effect and
    parameter."""
    try:
        return EffectSpec.from_json(entry).to_json()
    except BadInput as exc:
        raise InvalidField(f"effect #{index + 1} of {track}: {exc.message.rstrip('.')}") from exc


def _clip(entry: Any, index: int, track: str) -> dict[str, Any]:
    where = f"clip #{index + 1} of {track}"
    entry = _dict(entry, where)
    clip_id = _safe_id(entry.get("id"), where)
    where = f"clip {clip_id!r}"
    name = _text(entry.get("name", clip_id), where, "name")
    kind = entry.get("type", "audio")
    if kind not in CLIP_TYPES:
        raise InvalidField(f"{where} has unknown type {kind!r} (expected one of {', '.join(CLIP_TYPES)})")
    curve = entry.get("fade_curve", FADE_CURVES[0])
    if curve not in FADE_CURVES:
        raise InvalidField(f"{where} has unknown fade_curve {curve!r} (expected one of {', '.join(FADE_CURVES)})")
    common = {"type": kind, "id": clip_id, "name": name,
              "start_s": _non_negative(entry.get("start_s", 0.0), where, "start_s"),
              "fade_in_s": _non_negative(entry.get("fade_in_s", 0.0), where, "fade_in_s"),
              "fade_out_s": _non_negative(entry.get("fade_out_s", 0.0), where, "fade_out_s"),
              "fade_curve": curve}
    if kind == "audio":
        return common | {
            "asset": _asset(entry.get("asset", clip_asset(clip_id)), clip_asset(clip_id), where),
            "audio_name": _text(entry.get("audio_name", name), where, "audio_name"),
        }
    program = entry.get("program", 0)
    if not _is_int(program) or not 0 <= program <= 127:
        raise InvalidField(f"{where} has program {program!r}; General MIDI programs are 0 to 127")
    key = _text(entry.get("key", "C major"), where, "key")
    meter = _text(entry.get("time_signature", "4/4"), where, "time_signature")
    for parse, value in ((parse_key, key), (parse_meter, meter)):  # the MIDI file records both
        try:
            parse(value)
        except BadInput as exc:
            raise InvalidField(f"{where}: {exc.message}") from exc
    return common | {
        "asset": _asset(entry.get("asset", midi_asset(clip_id)), midi_asset(clip_id), where),
        "melody_name": _text(entry.get("melody_name", name), where, "melody_name"),
        "key": key, "time_signature": meter, "program": program,
    }


# ------------------------------------------------------------------------------------------ field checks


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidField(f"{where} must be a JSON object, not {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise InvalidField(f"{where} must be a list, not {type(value).__name__}")
    return value


def _text(value: Any, where: str, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidField(f"{where} has {field} {value!r}; expected text")
    return value


def _bool(value: Any, where: str, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidField(f"{where} has {field} {value!r}; expected true or false")
    return value


def _number(value: Any, where: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidField(f"{where} has {field} {value!r}; expected a finite number")
    return float(value)


def _non_negative(value: Any, where: str, field: str) -> float:
    number = _number(value, where, field)
    if number < 0:
        raise InvalidField(f"{where} has a negative {field} ({number:g})")
    return number


def _safe_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _SAFE_ID.match(value):
        raise InvalidField(f"{where} has id {value!r}; ids are 1-128 letters, digits, '_', '-' or '.' "
                           "and do not start with '.' or '-'")
    return value


def _asset(value: Any, expected: str, where: str) -> str:
    if value != expected:
        raise InvalidField(f"{where} stores its data at {value!r}; expected {expected!r}")
    return expected


def _unique(ids: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for item in ids:
        if item in seen:
            raise InvalidField(f"two {what}s have the same id {item!r}")
        seen.add(item)


def _json_value(value: Any, where: str, depth: int = 0) -> Any:
    """A copy of ``value`` as plain JSON data (tuples become lists); anything else is refused.

    Specs and metadata must survive save → load unchanged, so values JSON would silently alter
    (non-text keys, NaN, objects stringified by a ``default=``) are errors rather than surprises.
    """
    if depth > _MAX_JSON_DEPTH:
        raise InvalidField(f"{where} is nested more than {_MAX_JSON_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, str)) or _is_int(value):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidField(f"{where} holds {value!r}, which JSON cannot store")
        return value
    if isinstance(value, np.generic):
        return _json_value(value.item(), where, depth)
    if isinstance(value, (list, tuple)):
        return [_json_value(v, where, depth + 1) for v in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise InvalidField(f"{where} has the key {key!r}; JSON keys must be text")
        return {k: _json_value(v, where, depth + 1) for k, v in value.items()}
    raise InvalidField(f"{where} holds a {type(value).__name__}, which cannot be stored in a project")
