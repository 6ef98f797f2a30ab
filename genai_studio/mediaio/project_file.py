"""Reading and writing ``.gstudio`` project files.

A project file is a zip holding ``project.json`` (the document, see mediaio/project_schema.py) plus one
lossless asset per layer (``layers/<id>.png``, 8- or 16-bit, alpha kept) and per audio clip
(``audio/<clip id>.wav``, 32-bit float at the clip's own rate and channel count), so pixels and samples
come back bit-exact. Saving streams the zip into an atomic writer: the file on disk is either the old
project or the complete new one. Loading never writes, never extracts to disk, reads one asset at a time
into memory, and turns every kind of damage into a BadInput that names the file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np
import soundfile as sf

from genai_studio import __version__
from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer, ImageBuffer
from genai_studio.core.project import ClipDoc, LayerDoc, ProjectDoc, TimelineDoc, TrackDoc, migrate
from genai_studio.mediaio.atomic import atomic_writer
from genai_studio.mediaio.images import decode_image_bytes, encode_image
from genai_studio.mediaio.project_schema import (
    InvalidField, clip_asset, document_to_json, layer_asset, manifest_bytes, parse_manifest,
)

PROJECT_JSON = "project.json"
MAX_ASSET_BYTES = 2 * 1024**3  # uncompressed size refused before reading: a zip bomb, not a layer
MAX_MANIFEST_BYTES = 64 * 1024**2  # project.json holds only names, numbers and job specs
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"
# Errors zipfile/zlib raise for damaged archives: bad CRC, bad headers, cut-off deflate streams,
# encrypted members (RuntimeError), unknown compression methods (NotImplementedError).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
               ValueError, struct.error)


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
                wav = _encode_wav(clip.audio)
                zf.writestr(clip_asset(clip.id), wav, compress_type=_wav_compression(wav), compresslevel=1)


def _wav_compression(wav: bytes) -> int:
    """Deflate only audio that shrinks: float32 music saves ~8% for ~0.7 s per stereo minute, while
    silence, gaps and quiet takes shrink several-fold. Probes three 256 KiB slices (start, middle, end)."""
    probe = 256 * 1024
    if len(wav) <= 3 * probe:
        return zipfile.ZIP_DEFLATED
    middle = len(wav) // 2
    sample = wav[:probe] + wav[middle:middle + probe] + wav[-probe:]
    return zipfile.ZIP_DEFLATED if len(zlib.compress(sample, 1)) < 0.7 * len(sample) else zipfile.ZIP_STORED


def _encode_wav(audio: AudioBuffer) -> bytes:
    out = io.BytesIO()
    sf.write(out, audio.samples, audio.sample_rate, format="WAV", subtype="FLOAT")
    return out.getvalue()


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
            TrackDoc(tr["id"], tr["name"], tuple(_load_clip(zf, members[c["asset"]], c, name) for c in tr["clips"]),
                     tr["muted"], tr["gain"])
            for tr in t["tracks"]
        )
    timeline = TimelineDoc(tracks, t["sample_rate"], t["tempo_bpm"], t["key"], t["time_signature"], t["playhead_s"])
    return ProjectDoc(layers, manifest["active_layer_id"], timeline, manifest["metadata"])


def _load_layer(zf: zipfile.ZipFile, member: zipfile.ZipInfo, entry: dict[str, Any], name: str) -> LayerDoc:
    data = _read(zf, member, name)
    _expect(data, "png", member.filename, name)
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
    data = _read(zf, member, name)
    _expect(data, "wav", member.filename, name)
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)  # (frames, channels)
    except (sf.SoundFileError, RuntimeError, ValueError) as exc:
        raise BadInput(f"'{name}' is damaged: {member.filename} cannot be decoded as audio ({exc}).") from exc
    audio = AudioBuffer(np.ascontiguousarray(samples, dtype=np.float32), int(rate), name=entry["audio_name"])
    return ClipDoc(entry["id"], entry["name"], audio, entry["start_s"])


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
            head = _head(zf, members[entry["asset"]], name, 64)
            width, height, channels, depth = _png_header(head, entry["asset"], name)
            layers.append({k: entry[k] for k in ("id", "name", "kind", "visible", "source_id", "asset")}
                          | {"has_spec": entry["spec"] is not None, "width": width, "height": height,
                             "channels": channels, "bit_depth": depth})
        tracks = []
        for tr in manifest["timeline"]["tracks"]:
            clips = []
            for c in tr["clips"]:
                channels, rate, frames = _wav_header(zf, members[c["asset"]], name)
                clips.append({k: c[k] for k in ("id", "name", "start_s", "asset")}
                             | {"sample_rate": rate, "channels": channels, "frames": frames,
                                "duration_s": frames / rate})
            tracks.append({k: tr[k] for k in ("id", "name", "muted", "gain")} | {"clips": clips})
        assets = [{"name": m.filename, "size_bytes": m.file_size, "compressed_size_bytes": m.compress_size}
                  for m in zf.infolist() if not m.is_dir()]
    all_clips = [c for tr in tracks for c in tr["clips"]]
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
        "audio_duration_s": sum(c["duration_s"] for c in all_clips),
        "timeline_length_s": max((c["start_s"] + c["duration_s"] for c in all_clips), default=0.0),
        "tracks": tracks,
        "assets": assets,
    }


# ------------------------------------------------------------------------------------- archive plumbing


@contextlib.contextmanager
def _open_archive(path: Path, name: str) -> Iterator[zipfile.ZipFile]:
    """The project zip, opened read-only; only its central directory is read here."""
    with _open_source(path, name) as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except OSError as exc:  # the disk or network share failed, not the file's content
            raise BadInput(f"Cannot read '{name}': {exc.strerror or exc}.") from exc
        except _ZIP_ERRORS as exc:
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
    raw = _read(zf, member, name, limit=MAX_MANIFEST_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} is not UTF-8 text.") from exc
    except json.JSONDecodeError as exc:
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} is not valid JSON "
                       f"(line {exc.lineno}, column {exc.colno}: {exc.msg}).") from exc
    except RecursionError as exc:
        raise BadInput(f"'{name}' is damaged: {PROJECT_JSON} is nested too deeply.") from exc
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
        _check_size(member, name, MAX_ASSET_BYTES)
        members[asset] = member
    return members


def _check_size(member: zipfile.ZipInfo, name: str, limit: int) -> None:
    if member.file_size > limit:
        raise BadInput(f"'{name}' is not safe to open: {member.filename} claims to unpack to "
                       f"{member.file_size / 1024**3:,.1f} GiB (the limit is {limit / 1024**3:,.1f} GiB).")


def _read(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, limit: int = MAX_ASSET_BYTES) -> bytes:
    """The whole member, checked against its CRC; the declared size is checked before any byte is read."""
    _check_size(member, name, limit)
    try:
        with zf.open(member) as f:
            return f.read()  # zipfile stops at the declared size, so a lying deflate stream cannot grow this
    except _ZIP_ERRORS as exc:
        raise BadInput(f"'{name}' is damaged: {member.filename} cannot be read ({exc}).") from exc


def _head(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, size: int) -> bytes:
    try:
        with zf.open(member) as f:
            return f.read(size)
    except _ZIP_ERRORS as exc:
        raise BadInput(f"'{name}' is damaged: {member.filename} cannot be read ({exc}).") from exc


def _kind_of(head: bytes) -> str:
    if head.startswith(_PNG_MAGIC):
        return "png"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    return "unknown"


_KIND_TEXT = {"png": "a PNG image", "wav": "WAV audio", "unknown": "data of an unknown type"}


def _expect(head: bytes, kind: str, asset: str, name: str) -> None:
    found = _kind_of(head)
    if found != kind:
        raise BadInput(f"'{name}' is damaged: {asset} should be {_KIND_TEXT[kind]} but holds {_KIND_TEXT[found]}.")


def _png_header(head: bytes, asset: str, name: str) -> tuple[int, int, int, int]:
    """(width, height, channels as loaded, bits per channel) from the IHDR chunk."""
    _expect(head, "png", asset, name)
    if len(head) < 26 or head[12:16] != b"IHDR":
        raise BadInput(f"'{name}' is damaged: {asset} has no PNG image header.")
    width, height, depth, color_type = struct.unpack(">IIBB", head[16:26])
    # Gray and palette images load as RGB; gray+alpha and RGBA as RGBA (see mediaio.images).
    channels = 4 if color_type in (4, 6) else 3
    return width, height, channels, 16 if depth == 16 else 8


def _wav_header(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> tuple[int, int, int]:
    """(channels, sample rate in Hz, frames) by walking the RIFF chunks up to ``data``, forward only."""
    asset = member.filename
    damaged = BadInput(f"'{name}' is damaged: {asset} has no valid WAV header.")
    try:
        with zf.open(member) as f:
            head = f.read(12)
            _expect(head, "wav", asset, name)
            fmt = None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    raise damaged
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"data":
                    if fmt is None:
                        raise damaged
                    channels, rate, block_align = fmt
                    available = member.file_size - f.tell()  # a streamed WAV may not know its data size
                    return channels, rate, min(size, available) // block_align
                if size > 1 << 20:  # header chunks are small; skipping a huge one means reading it
                    raise damaged
                body = f.read(size + (size & 1))  # chunks are word-aligned
                if cid == b"fmt ":
                    if len(body) < 16:
                        raise damaged
                    channels, rate, _, block_align = struct.unpack("<HIIH", body[2:14])
                    if channels == 0 or rate == 0 or block_align == 0:
                        raise damaged
                    fmt = (channels, rate, block_align)
    except _ZIP_ERRORS as exc:
        raise BadInput(f"'{name}' is damaged: {asset} cannot be read ({exc}).") from exc
