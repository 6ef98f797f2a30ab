"""Importing a Piper voice (``NAME.onnx`` + ``NAME.onnx.json``, optionally a ``MODEL_CARD`` beside them).

The voice is loaded once through the engine (so a broken file is refused before anything is written), then
both files are copied into their own folder of the user models dir with a manifest that records the license
found in the model card.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, write_manifest
from genai_studio.engines import registry

if TYPE_CHECKING:
    from genai_studio.runtime.model_store import ModelEntry, ModelStore

VOICE_TASK = "tts"
UNKNOWN_LICENSE = "not stated (see the voice's MODEL_CARD)"


def voice_pair(src: Path) -> tuple[Path, Path]:
    """(model.onnx, model.onnx.json) for either file of the pair; ModelError naming what is missing."""
    if src.name.lower().endswith(".onnx.json"):
        onnx, config = src.with_name(src.name[: -len(".json")]), src
    else:
        onnx, config = src, src.with_name(src.name + ".json")
    for p in (onnx, config):
        if not p.is_file():
            raise ModelError(
                f"A Piper voice is two files, '{onnx.name}' and '{config.name}', in the same folder; "
                f"'{p.name}' is missing."
            )
    return onnx, config


def model_card_license(folder: Path) -> str:
    """The license line of a Piper MODEL_CARD (e.g. "License: cc-by-4.0") or :data:`UNKNOWN_LICENSE`."""
    card = folder / "MODEL_CARD"
    if not card.is_file():
        return UNKNOWN_LICENSE
    try:
        text = card.read_text(encoding="utf-8", errors="replace")[:20_000]
    except OSError:
        return UNKNOWN_LICENSE
    match = re.search(r"licen[cs]e\s*[:=]\s*(.+)", text, flags=re.IGNORECASE)
    return match.group(1).strip()[:200] if match else UNKNOWN_LICENSE


def import_piper_voice(store: "ModelStore", src: Path, name: str | None = None) -> "ModelEntry":
    onnx, config = voice_pair(src)
    # Raises ModelError for a file that is not a loadable Piper voice; nothing has been written yet.
    info = registry.call("voice.describe", onnx, config)
    onnx_sha = registry.call("models.sha256", onnx)
    existing = store.list()
    for entry in existing:
        if any(f.sha256 == onnx_sha for f in entry.manifest.files):
            raise ModelError(f"'{onnx.name}' is already installed as '{entry.id}'.")
    display_name = (name or onnx.name[: -len(".onnx")]).strip() or onnx.stem
    model_id = store._new_id(display_name, existing)
    store.user_dir.mkdir(parents=True, exist_ok=True)
    staging = store.user_dir / f".import-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        files = []
        for p in (onnx, config):
            shutil.copyfile(p, staging / p.name)
            files.append(ModelFile(name=p.name, sha256=registry.call("models.sha256", staging / p.name),
                                   size=p.stat().st_size))
        if (onnx.parent / "MODEL_CARD").is_file():
            shutil.copyfile(onnx.parent / "MODEL_CARD", staging / "MODEL_CARD")
        manifest = ModelManifest(
            id=model_id,
            name=display_name,
            family="voice",
            task=VOICE_TASK,
            architecture="Piper (VITS)",
            files=tuple(files),
            source=ModelSource(kind="imported", original_path=str(onnx.resolve())),
            license=model_card_license(onnx.parent),
            description=_describe(info),
            defaults={"sample_rate": int(info.get("sample_rate", 22050))},
            tags=tuple(t for t in (str(info.get("language", "")), str(info.get("quality", ""))) if t),
        )
        write_manifest(manifest, staging / "manifest.json")
        final = store.user_dir / model_id
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for f in files:
        store._remember(final / f.name, f.sha256)
    store._save_hashes()
    return store.get(model_id)


def _describe(info: dict) -> str:
    language = " ".join(str(x) for x in (info.get("language_name"), info.get("language")) if x)
    parts = [f"Piper voice, {language or 'unknown language'}"]
    if info.get("quality"):
        parts.append(f"{info['quality']} quality")
    parts.append(f"{int(info.get('sample_rate', 0)) / 1000:g} kHz")
    if int(info.get("num_speakers", 1)) > 1:
        parts.append(f"{info['num_speakers']} speakers")
    return ", ".join(parts) + "."
