"""Putting a generator trained here (``genai-studio train art``, or the Train panel) into the model store.

A trained model folder holds ``manifest.json`` (family "art", task "generate") and the weight files it lists.
Installing copies exactly those files into ``user_models_dir()/<id>/`` after checking their sha256, through a
staging folder that is renamed at the end, so a failure part-way leaves nothing behind. Checkpoints, sample
grids and anything else in the folder stay where they are.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import uuid
from dataclasses import replace
from pathlib import Path

from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import ModelManifest, read_manifest, write_manifest

TRAINED_MANIFEST = "manifest.json"
MAX_HEADER_BYTES = 50_000_000  # a safetensors JSON header larger than this is not a model we wrote


def safetensors_metadata(path: Path) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file, read from its header alone (no tensors are loaded)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(8)
            if len(raw) != 8:
                raise ModelError(f"'{path.name}' is too short to be a safetensors file.")
            (size,) = struct.unpack("<Q", raw)
            if size > MAX_HEADER_BYTES:  # e.g. a text file renamed .safetensors: its first 8 bytes are letters
                raise ModelError(f"'{path.name}' is not a safetensors file: it does not start with a safetensors "
                                 "header.")
            header = json.loads(fh.read(size))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"'{path.name}' is not a readable safetensors file: {exc}") from exc
    meta = header.get("__metadata__", {}) if isinstance(header, dict) else {}
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def is_art_generator(path: Path) -> bool:
    """Whether a .safetensors file is one of this app's image generators (by its metadata)."""
    return path.suffix.lower() == ".safetensors" and \
        safetensors_metadata(path).get("architecture", "").startswith("GenAI Studio")


def find_trained_manifest(path: Path) -> Path:
    """The manifest of a trained model given its folder, its manifest or its weight file."""
    path = Path(path).expanduser()
    candidates = [path] if path.suffix.lower() == ".json" else \
        [path / TRAINED_MANIFEST] if path.is_dir() else [path.parent / TRAINED_MANIFEST, path.with_suffix(".json")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ModelError(f"No manifest.json next to '{path.name}': a generator trained here is installed from the "
                     "folder `genai-studio train art -o FOLDER` wrote (weights + manifest.json).")


def install_trained(user_dir: Path, source: Path, taken_ids: set[str], sha256, name: str | None = None,
                    known_hashes: dict[str, str] | None = None) -> str:
    """Copy a trained generator into ``user_dir``; returns its id (made unique against ``taken_ids``).

    ``sha256(path) -> str`` hashes files (the store passes the engine's hasher); ``known_hashes`` maps the
    sha256 of every installed model's files to its id, so the same weights are not installed twice."""
    manifest_path = find_trained_manifest(source)
    try:
        manifest: ModelManifest = read_manifest(manifest_path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"'{manifest_path}' is not a model manifest: {exc}") from exc
    if manifest.family != "art" or manifest.task != "generate":
        raise ModelError(f"'{manifest.name}' is a {manifest.family} {manifest.task} model, not an image generator.")
    folder = manifest_path.parent
    for f in manifest.files:
        path = folder / f.name
        if Path(f.name).is_absolute() or ".." in Path(f.name).parts:
            raise ModelError(f"'{manifest_path.name}' names a file outside its folder: {f.name}")
        if not path.is_file():
            raise ModelError(f"'{manifest.name}' is incomplete: {f.name} is missing from {folder}.")
        if f.sha256 and sha256(path) != f.sha256:
            raise ModelError(f"'{f.name}' does not match its manifest (sha256 differs): the file is damaged "
                             "or was replaced.")
        if f.sha256 and f.sha256 in (known_hashes or {}):
            raise ModelError(f"'{manifest.name}' is already in the model list as '{known_hashes[f.sha256]}' "
                             "(same weights); it was not installed again.")
    display = (name or manifest.name).strip() or manifest.id
    base = re.sub(r"[^a-z0-9]+", "-", (name or manifest.id).lower()).strip("-")[:60] or "generator"
    model_id, n = base, 2
    while model_id in taken_ids or (user_dir / model_id).exists():
        model_id, n = f"{base}-{n}", n + 1
    user_dir.mkdir(parents=True, exist_ok=True)
    staging = user_dir / f".install-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for f in manifest.files:
            (staging / f.name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / f.name, staging / f.name)
        # remember the training folder: retraining it replaces this model, another folder never does
        source = replace(manifest.source, original_path=str(folder.resolve()))
        write_manifest(replace(manifest, id=model_id, name=display, source=source), staging / TRAINED_MANIFEST)
        staging.rename(user_dir / model_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return model_id
