"""Reading and writing ``.gstudio`` project files.

A project file is a zip holding ``project.json`` (the document, see mediaio/project_schema.py) plus one
lossless asset per layer (``layers/<id>.png``, 8- or 16-bit, alpha kept), per audio clip
(``audio/<clip id>.wav``, 32-bit float at the clip's own rate and channel count) and per MIDI clip
(``midi/<clip id>.mid``, a Standard MIDI File at 960 ticks per beat), so pixels and samples come back
bit-exact and note times within a thousandth of a beat. Saving streams the zip into an atomic writer: the file on disk is either the old
project or the complete new one. Loading never writes, never extracts to disk, reads one asset at a time
into memory, and turns every kind of damage into a BadInput that names the file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np
import soundfile as sf

from genai_studio import __version__
from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer, ImageBuffer
from genai_studio.core.music import Melody
from genai_studio.core.project import (
    EMPTY_MIDI_CLIP_BEATS, ClipDoc, LayerDoc, MidiClipDoc, ProjectDoc, TimelineDoc, TrackDoc, migrate,
)
from genai_studio.dsp.effects import EffectSpec
from genai_studio.mediaio.atomic import atomic_writer
from genai_studio.mediaio.images import decode_image_bytes, encode_image
from genai_studio.mediaio.project_assets import (
    MAX_ASSET_BYTES, ZIP_ERRORS, check_size, decode_midi_notes, encode_midi, encode_wav, expect_kind, png_header,
    read_head, read_member, wav_compression, wav_header,
)
from genai_studio.mediaio.project_schema import (
    InvalidField, clip_asset, document_to_json, layer_asset, manifest_bytes, midi_asset, parse_manifest,
)

PROJECT_JSON = "project.json"
MAX_MANIFEST_BYTES = 64 * 1024**2  # project.json holds only names, numbers and job specs
_ZIP_MAGIC = b"PK\x03\x04"


# ------------------------------------------------------------------------------------------------ saving


def save_project(doc: ProjectDoc, path: str | os.PathLike[str]) -> None:
    """Write ``doc`` to ``path`` atomically; the previous file stays intact if anything fails.

    Raises BadInput for a document that cannot be stored (invalid field, empty image) or a bad target,
    DiskFull when the folder is full or not writable.
    """
    path = Path(path)
    name = path.name or str(path)
    if path.is_dir():
        raise BadInput(f"Cannot save to {path}: it is a folder; choose a file name.")
    if not path.parent.is_dir():
        what = "is not a folder" if path.parent.exists() else "does not exist"
        raise BadInput(f"Cannot save '{name}': {path.parent} {what}.")
    # Every check runs before the temp file exists, so a bad document never touches the disk.
    try:
        payload = manifest_bytes(parse_manifest(document_to_json(doc, __version__)))
    except InvalidField as exc:
        raise BadInput(f"Cannot save '{name}': {exc}.") from exc
    for layer in doc.layers:
        if layer.image.width == 0 or layer.image.height == 0:
            raise BadInput(f"Cannot save '{name}': layer {layer.id} ('{layer.name}') has no pixels.")
    with atomic_writer(path) as fh, zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
        zf.writestr(PROJECT_JSON, payload, compress_type=zipfile.ZIP_DEFLATED)
        for layer in doc.layers:
            # PNG is already deflated; storing it saves a second pointless compression pass.
            png = encode_image(layer.image, "PNG")
            zf.writestr(layer_asset(layer.id), png, compress_type=zipfile.ZIP_STORED)
        for track in doc.timeline.tracks:
            for clip in track.clips:
                if isinstance(clip, MidiClipDoc):
                    zf.writestr(midi_asset(clip.id), encode_midi(clip.melody), compress_type=zipfile.ZIP_DEFLATED)
                    continue
                wav = encode_wav(clip.audio)
                zf.writestr(clip_asset(clip.id), wav, compress_type=wav_compression(wav), compresslevel=1)


# ----------------------------------------------------------------------------------------------- loading


def load_project(path: str | os.PathLike[str]) -> ProjectDoc:
    """Read a project file (migrating older schemas) with every pixel and sample as it was saved."""
    path = Path(path)
    name = path.name or str(path)
    with _open_archive(path, name) as zf:
        manifest = _manifest(zf, name)[1]
        members = _asset_members(zf, manifest, name)  # every asset present and sane before decoding any
        layers = tuple(_load_layer(zf, members[entry["asset"]], entry, name) for entry in manifest["layers"])
        t = manifest["timeline"]
        tracks = tuple(
            TrackDoc(tr["id"], tr["name"],
                     tuple(_load_midi_clip(zf, members[c["asset"]], c, name, t["tempo_bpm"]) if c["type"] == "midi"
                           else _load_clip(zf, members[c["asset"]], c, name) for c in tr["clips"]),
                     tr["muted"], tr["gain"], tr["pan"], tr["solo"],
                     tuple(EffectSpec.from_json(e) for e in tr["effects"]))  # checked by parse_manifest
            for tr in t["tracks"]
        )
    timeline = TimelineDoc(tracks, t["sample_rate"], t["tempo_bpm"], t["key"], t["time_signature"], t["playhead_s"])
    return ProjectDoc(layers, manifest["active_layer_id"], timeline, manifest["metadata"])


def _load_layer(zf: zipfile.ZipFile, member: zipfile.ZipInfo, entry: dict[str, Any], name: str) -> LayerDoc:
    data = read_member(zf, member, name)
    expect_kind(data, "png", member.filename, name)
    try:
        decoded = decode_image_bytes(data, member.filename)
    except BadInput as exc:
        raise BadInput(f"'{name}' is damaged: {exc.message}") from exc
    del data
    # The PNG's own "format" tag says nothing about the layer; a colour profile does.
    metadata = {k: v for k, v in decoded.metadata.items() if k in ("icc_profile", "dpi")}
    image = ImageBuffer(decoded.pixels, name=entry["image_name"], metadata=metadata)
    return LayerDoc(entry["id"], entry["name"], image, entry["kind"], entry["visible"], entry["source_id"],
                    entry["spec"])


def _load_clip(zf: zipfile.ZipFile, member: zipfile.ZipInfo, entry: dict[str, Any], name: str) -> ClipDoc:
    data = read_member(zf, member, name)
    expect_kind(data, "wav", member.filename, name)
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)  # (frames, channels)
    except (sf.SoundFileError, RuntimeError, ValueError) as exc:
        raise BadInput(f"'{name}' is damaged: {member.filename} cannot be decoded as audio ({exc}).") from exc
    audio = AudioBuffer(np.ascontiguousarray(samples, dtype=np.float32), int(rate), name=entry["audio_name"])
    return ClipDoc(entry["id"], entry["name"], audio, entry["start_s"], *_fades(entry))


def _load_midi_clip(zf: zipfile.ZipFile, member: zipfile.ZipInfo, entry: dict[str, Any], name: str,
                    tempo_bpm: float) -> MidiClipDoc:
    """The notes come from the MIDI asset; name, key, meter and program from project.json (exact, whatever
    MIDI can express); the tempo is the timeline's, at which every MIDI clip plays."""
    notes = decode_midi_notes(read_member(zf, member, name), member.filename, name)
    melody = Melody(notes, tempo_bpm, entry["key"], entry["time_signature"], entry["melody_name"], entry["program"])
    return MidiClipDoc(entry["id"], entry["name"], melody, entry["start_s"], *_fades(entry))


def _fades(entry: dict[str, Any]) -> tuple[float, float, str]:
    return entry["fade_in_s"], entry["fade_out_s"], entry["fade_curve"]


# ------------------------------------------------------------------------------------------ summary only


def read_project_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A JSON-ready summary of a project file, read from project.json and the assets' header bytes only.

    Validates as much as it can without decoding pixels or samples: the zip, project.json, the schema
    version, every field, and that each asset exists and starts like a PNG/WAV. Raises BadInput otherwise.
    """
    path = Path(path)
    name = path.name or str(path)
    with _open_archive(path, name) as zf:
        stored_version, manifest = _manifest(zf, name)
        members = _asset_members(zf, manifest, name)
        layers = []
        for entry in manifest["layers"]:
            head = read_head(zf, members[entry["asset"]], name, 64)
            width, height, channels, depth = png_header(head, entry["asset"], name)
            layers.append({k: entry[k] for k in ("id", "name", "kind", "visible", "source_id", "asset")}
                          | {"has_spec": entry["spec"] is not None,
                             "job": (entry["spec"] or {}).get("type", "") if isinstance(entry["spec"], dict) else "",
                             "width": width, "height": height,
                             "channels": channels, "bit_depth": depth})
        tracks = []
        for tr in manifest["timeline"]["tracks"]:
            clips = []
            for c in tr["clips"]:
                clips.append(_clip_info(zf, members[c["asset"]], c, name, manifest["timeline"]["tempo_bpm"]))
            tracks.append({k: tr[k] for k in ("id", "name", "muted", "gain", "pan", "solo", "effects")}
                          | {"clips": clips})
        assets = [{"name": m.filename, "size_bytes": m.file_size, "compressed_size_bytes": m.compress_size}
                  for m in zf.infolist() if not m.is_dir()]
    all_clips = [c for tr in tracks for c in tr["clips"]]
    audio_clips = [c for c in all_clips if c["type"] == "audio"]
    timeline = {k: v for k, v in manifest["timeline"].items() if k != "tracks"}
    return {
        "file": str(path),
        "file_size_bytes": path.stat().st_size,
        "schema_version": stored_version,
        "current_schema_version": manifest["schema_version"],
        "needs_migration": stored_version < manifest["schema_version"],
        "app_version": manifest["app_version"],
        "metadata": manifest["metadata"],
        "layer_count": len(layers),
        "active_layer_id": manifest["active_layer_id"],
        "layers": layers,
        "timeline": timeline,
        "track_count": len(tracks),
        "clip_count": len(all_clips),
        "audio_clip_count": len(audio_clips),
        "midi_clip_count": len(all_clips) - len(audio_clips),
        "audio_duration_s": sum(c["duration_s"] for c in audio_clips),
        "timeline_length_s": max((c["start_s"] + c["duration_s"] for c in all_clips), default=0.0),
        "tracks": tracks,
        "assets": assets,
    }


def _clip_info(zf: zipfile.ZipFile, member: zipfile.ZipInfo, entry: dict[str, Any], name: str,
               tempo_bpm: float) -> dict[str, Any]:
    summary = {k: entry[k] for k in ("type", "id", "name", "start_s", "fade_in_s", "fade_out_s", "fade_curve",
                                     "asset")}
    if entry["type"] == "audio":
        channels, rate, frames = wav_header(zf, member, name)
        return summary | {"sample_rate": rate, "channels": channels, "frames": frames, "duration_s": frames / rate}
    # MIDI clips are a few kB: decoding them is the only way to know their notes and length.
    notes = decode_midi_notes(read_member(zf, member, name), member.filename, name)
    beats = max((n.end for n in notes), default=0.0)
    length = beats if notes else EMPTY_MIDI_CLIP_BEATS  # as long as the timeline shows it
    return summary | {"notes": len(notes), "program": entry["program"], "key": entry["key"],
                      "time_signature": entry["time_signature"], "duration_beats": beats,
                      "duration_s": length * 60.0 / tempo_bpm}


# ------------------------------------------------------------------------------------- archive plumbing


@contextlib.contextmanager
def _open_archive(path: Path, name: str) -> Iterator[zipfile.ZipFile]:
    """The project zip, opened read-only; only its central directory is read here."""
    with _open_source(path, name) as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except OSError as exc:  # the disk or network share failed, not the file's content
            raise BadInput(f"Cannot read '{name}': {exc.strerror or exc}.") from exc
        except ZIP_ERRORS as exc:
            fh.seek(0)
            if fh.read(4) == _ZIP_MAGIC:  # starts like a zip but its directory (at the end) is gone
                raise BadInput(f"'{name}' is damaged or incomplete (truncated zip); it cannot be opened. "
                               "Try its autosave or a backup copy.") from exc
            raise BadInput(f"'{name}' is not a GenAI Studio project (it is not a zip archive).") from exc
        with zf:
            for member in zf.namelist():
                if _unsafe_name(member):
                    raise BadInput(f"'{name}' contains an unsafe entry name {member!r}; it was not written by "
                                   "GenAI Studio and is refused.")
            yield zf


def _open_source(path: Path, name: str) -> BinaryIO:
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise BadInput(f"Cannot open '{name}': the file does not exist ({path}).") from exc
    except OSError as exc:
        raise BadInput(f"Cannot open '{name}': {exc.strerror or exc}.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"Cannot open '{name}': it is a folder, not a project file.")
    if info.st_size == 0:
        raise BadInput(f"'{name}' is empty (0 bytes); it is not a GenAI Studio project.")
    try:
        return open(path, "rb")
    except PermissionError as exc:
        raise BadInput(f"Cannot open '{name}': permission denied.") from exc
    except OSError as exc:
        raise BadInput(f"Cannot open '{name}': {exc.strerror or exc}.") from exc


def _unsafe_name(member: str) -> bool:
    """Absolute, parent-relative or drive-letter names: harmless to us (nothing is extracted), but no
    file we write has them, and another tool unpacking the project could be tricked by them."""
    parts = member.replace("\\", "/").split("/")
    return member.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] or "\x00" in member


def _manifest(zf: zipfile.ZipFile, name: str) -> tuple[int, dict[str, Any]]:
    """(schema version as stored, validated current-schema manifest)."""
    try:
        member = zf.getinfo(PROJECT_JSON)
    except KeyError:
        raise BadInput(f"'{name}' is not a GenAI Studio project: it has no {PROJECT_JSON}.") from None
    raw = read_member(zf, member, name, limit=MAX_MANIFEST_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} is not UTF-8 text.") from exc
    except json.JSONDecodeError as exc:
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} is not valid JSON "
                       f"(line {exc.lineno}, column {exc.colno}: {exc.msg}).") from exc
    except RecursionError as exc:
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} is nested too deeply.") from exc
    except ValueError as exc:  # an integer of thousands of digits (Python refuses to convert it)
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} holds a number too long to read.") from exc
    if not isinstance(data, dict):
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} does not hold a project (expected a JSON object).")
    stored = data.get("schema_version")
    data = migrate(data, source=f"'{name}'")  # refuses newer and version-less files with its own message
    try:
        return stored, parse_manifest(data)
    except InvalidField as exc:
        raise BadInput(f"'{name}' is not a valid project: {exc}.") from exc


def _asset_members(zf: zipfile.ZipFile, manifest: dict[str, Any], name: str) -> dict[str, zipfile.ZipInfo]:
    assets = [l["asset"] for l in manifest["layers"]]
    assets += [c["asset"] for tr in manifest["timeline"]["tracks"] for c in tr["clips"]]
    members = {}
    for asset in assets:
        try:
            member = zf.getinfo(asset)
        except KeyError:
            raise BadInput(f"'{name}' refers to {asset}, which is missing from the file; "
                           "the project is damaged.") from None
        check_size(member, name, MAX_ASSET_BYTES)
        members[asset] = member
    return members


