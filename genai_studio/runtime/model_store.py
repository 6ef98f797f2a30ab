"""The model store: every model the app knows, where its weights are, and whether they are intact.

Two sources are scanned on every :meth:`ModelStore.list` (a few small JSON files, so no stale state):

* built-in manifests ``BUILTIN_MODELS_DIR/*.json``. A ``source.kind == "converted"`` model's weights
  live in ``converted_models_dir()/<file name>`` and are made on first use; any other built-in model's
  files sit next to its manifest (``file.name`` may hold a sub-path).
* built-in manifests with ``source.kind == "package"`` name files inside an installed registry package
  (``source.package_files``, e.g. the bundled Piper voice): they are used where pip put them.
* imported models, one folder each: ``user_models_dir()/<id>/manifest.json`` with the weights beside it.
  Folders starting with "." are import staging areas and are ignored.

Hashing is the slow part, so :meth:`list` only reuses digests remembered from earlier hashing (keyed by
path, size and mtime, kept in ``cache_dir()/model-hashes.json``) and otherwise says "unverified";
:meth:`verify` always re-hashes. Plain Python on purpose: the CLI uses it without Qt. It reaches the
engines (hashing, detection, conversion) only through :mod:`genai_studio.engines.registry`.
Not thread-safe: use one store from one thread at a time.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from genai_studio import paths
from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, read_manifest, write_manifest
from genai_studio.engines import registry
from genai_studio.runtime.trained_install import TRAINED_MANIFEST, install_trained, is_art_generator

log = logging.getLogger(__name__)

OK = "ok"
NOT_CONVERTED = "not converted yet"
MISSING = "missing"
MISMATCH = "sha256 mismatch"
UNVERIFIED = "unverified"
# Worst first: a model's status is the worst status of its files.
_SEVERITY = (MISSING, MISMATCH, NOT_CONVERTED, UNVERIFIED, OK)

IMPORTABLE_EXTENSIONS = (".safetensors", ".pth", ".pt", ".ckpt", ".bin", ".onnx")
USER_MANIFEST = "manifest.json"
IMPORTED_LICENSE = "user-supplied (unknown)"


@dataclass(frozen=True)
class ModelEntry:
    manifest: ModelManifest
    manifest_path: Path
    paths: tuple[Path, ...]  # one resolved path per manifest.files entry, same order
    builtin: bool
    status: str  # one of OK, NOT_CONVERTED, MISSING, MISMATCH, UNVERIFIED
    detail: str = ""  # why, when status is not OK

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def task(self) -> str:
        return self.manifest.task

    @property
    def weight_path(self) -> Path:
        """The first (for restoration models: the only) weight file."""
        return self.paths[0]

    @property
    def removable(self) -> bool:
        """Imported and trained models (everything in the user models folder) can be removed."""
        return not self.builtin

    @property
    def size_bytes(self) -> int:
        """Bytes on disk of the weight files that exist now."""
        return sum(p.stat().st_size for p in self.paths if p.is_file())


class ModelStore:
    def __init__(
        self,
        builtin_dir: Path | None = None,
        user_dir: Path | None = None,
        converted_dir: Path | None = None,
        hash_cache: Path | None = None,
    ) -> None:
        # None = the app's directories, looked up on use so a changed GENAI_STUDIO_HOME is honoured.
        self._builtin_dir = builtin_dir
        self._user_dir = user_dir
        self._converted_dir = converted_dir
        self._hash_cache_path = hash_cache
        self._hashes: dict[str, dict] | None = None
        self.scan_problems: list[str] = []  # folders that could not be read (shown to the user, not raised)

    # ----- directories ---------------------------------------------------------------------------
    @property
    def builtin_dir(self) -> Path:
        return self._builtin_dir or paths.BUILTIN_MODELS_DIR

    @property
    def user_dir(self) -> Path:
        """Imported models: the folder chosen in Preferences (so the CLI sees what the app imported), else the
        default one. Read once per store."""
        if self._user_dir is None:
            from genai_studio.settings import effective_models_dir, load_settings

            self._user_dir = effective_models_dir(load_settings())
        return self._user_dir

    @user_dir.setter
    def user_dir(self, folder: Path | None) -> None:
        """Preferences ▸ Models folder: imported models are read from and written to ``folder``."""
        self._user_dir = folder

    @property
    def converted_dir(self) -> Path:
        return self._converted_dir or paths.converted_models_dir()

    # ----- queries -------------------------------------------------------------------------------
    def list(self) -> list[ModelEntry]:
        """Built-in models first, then imported ones, each group sorted by id."""
        return [self._entry(m, p, b) for m, p, b in self._scan()]

    def find(self, model_id: str) -> ModelEntry | None:
        return next((e for e in self.list() if e.id == model_id), None)

    def get(self, model_id: str) -> ModelEntry:
        entry = self.find(model_id)
        if entry is None:
            raise ModelError(f"There is no model with id '{model_id}'; `genai-studio models list` shows them all.")
        return entry

    def by_task(self, task: str) -> list[ModelEntry]:
        return [e for e in self.list() if e.task == task]

    def verify(self, model_id: str | None = None) -> list[tuple[str, str, str]]:
        """Hash every file that is present; ``[(id, status, detail)]`` for one model or all of them."""
        scanned = self._scan()
        if model_id is not None:
            scanned = [s for s in scanned if s[0].id == model_id]
            if not scanned:
                self.get(model_id)  # raises the user-facing "no model" error
        results = []
        for manifest, manifest_path, builtin in scanned:
            entry = self._entry(manifest, manifest_path, builtin, rehash=True)
            results.append((entry.id, entry.status, entry.detail))
        self._save_hashes()
        return results

    # ----- changes -------------------------------------------------------------------------------
    def import_file(self, path: str | os.PathLike[str], name: str | None = None) -> ModelEntry:
        """Detect a restoration model with spandrel, store it as safetensors and write its manifest.

        Nothing is written until the file has been safely read and recognised; a failure part-way
        leaves no trace in the user models dir.
        """
        src = Path(path).expanduser()
        if src.is_dir() and (src / TRAINED_MANIFEST).is_file():  # the folder `train art -o` wrote
            return self.install_trained(src, name)
        if src.is_dir():
            raise ModelError(f"'{src}' is a folder: choose a model file (.pth, .safetensors, .onnx), or a folder "
                             "that `genai-studio train art` wrote.")
        if not src.is_file():
            raise ModelError(f"Model file '{src}' does not exist.")
        if src.suffix.lower() == ".onnx" or src.name.lower().endswith(".onnx.json"):
            from genai_studio.runtime.voice_import import import_piper_voice

            return import_piper_voice(self, src, name)
        if src.suffix.lower() == ".json" or is_art_generator(src):  # a generator trained here: installed with its manifest, not detected
            return self.install_trained(src, name)
        if src.suffix.lower() not in IMPORTABLE_EXTENSIONS:
            raise ModelError(
                f"'{src.name}' is not a model file this app can import; expected one of "
                f"{', '.join(IMPORTABLE_EXTENSIONS)}."
            )
        # Raises UnsafeModelFile / ModelError before anything is written.
        info = registry.call("models.describe_file", src)
        original_sha = registry.call("models.sha256", src)
        existing = self.list()
        self._refuse_duplicate(original_sha, src, existing)

        display_name = (name or src.stem).strip() or src.stem
        model_id = self._new_id(display_name, existing)
        file_name = f"{model_id}.safetensors"
        self.user_dir.mkdir(parents=True, exist_ok=True)
        staging = self.user_dir / f".import-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            stored = staging / file_name
            if src.suffix.lower() == ".safetensors":
                shutil.copyfile(src, stored)
            else:
                # Re-saved as safetensors so this file never needs unpickling again.
                registry.call("models.to_safetensors", src, stored)
            stored_sha = registry.call("models.sha256", stored)
            if stored_sha != original_sha:
                self._refuse_duplicate(stored_sha, src, existing)
            manifest = _imported_manifest(model_id, display_name, src, info, file_name, stored, stored_sha, original_sha)
            write_manifest(manifest, staging / USER_MANIFEST)
            final = self.user_dir / model_id
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._remember(final / file_name, stored_sha)
        self._save_hashes()
        return self.get(model_id)

    def install_trained(self, source: str | os.PathLike[str], name: str | None = None) -> ModelEntry:
        """Add a generator trained here (its folder, manifest or weights) to the user models."""
        existing = self.list()
        known = {f.sha256: e.id for e in existing for f in e.manifest.files if f.sha256}
        model_id = install_trained(self.user_dir, Path(source), {e.id for e in existing},
                                   lambda p: registry.call("models.sha256", p), name, known)
        return self.get(model_id)

    def remove(self, model_id: str) -> None:
        """Delete an imported model's folder. Built-in models cannot be removed."""
        entry = self.get(model_id)
        if not entry.removable:
            raise ModelError(f"'{model_id}' is a built-in model; only imported or trained models can be removed.")
        folder = entry.manifest_path.parent
        # Never delete outside the user models dir, whatever a manifest path says.
        if folder.resolve().parent != self.user_dir.resolve():
            raise ModelError(f"'{model_id}' is not stored in {self.user_dir}; it was not removed.")
        # Moved aside first, in one rename: in a read-only models folder that fails before anything is deleted
        # (rmtree alone would delete the weights, then fail on the folder, leaving a half-removed model).
        trash = folder.with_name(f".removing-{uuid.uuid4().hex}")
        try:
            folder.rename(trash)
        except OSError as exc:
            raise ModelError(f"'{model_id}' cannot be removed: {exc.strerror or exc} ({folder.parent}); "
                             "nothing was deleted.") from None
        hashes = self._load_hashes()
        for p in entry.paths:
            hashes.pop(str(p.resolve()), None)
        shutil.rmtree(trash, ignore_errors=True)
        self._save_hashes()

    # ----- scanning ------------------------------------------------------------------------------
    def _listing(self, folder: Path, pattern: str) -> list[Path]:
        """Sorted matches in ``folder``; an unreadable folder is a problem to report, never a crash (on
        Python 3.11 even ``is_dir`` raises on "permission denied")."""
        try:
            return sorted(folder.glob(pattern)) if folder.is_dir() else []
        except OSError as exc:
            self._report(f"cannot read the models folder {folder}: {exc.strerror or exc}")
            return []

    def _report(self, problem: str) -> None:
        """Log a scan problem and keep it (once) for the user: the store goes on without that folder or file."""
        log.warning(problem)
        if problem not in self.scan_problems:
            self.scan_problems.append(problem)

    def _scan(self) -> list[tuple[ModelManifest, Path, bool]]:
        found: list[tuple[ModelManifest, Path, bool]] = []
        seen: set[str] = set()
        builtin = self._listing(self.builtin_dir, "*.json")
        user = self._listing(self.user_dir, f"[!.]*/{USER_MANIFEST}")
        for manifest_path, is_builtin in [(p, True) for p in builtin] + [(p, False) for p in user]:
            try:
                manifest = read_manifest(manifest_path)
            except (OSError, ValueError) as exc:  # one broken manifest must not hide the others
                self._report(f"the model manifest {manifest_path} is broken and was skipped: {exc}")
                continue
            if manifest.id in seen:
                log.warning("skipping %s: a model with id %r is already known", manifest_path, manifest.id)
                continue
            seen.add(manifest.id)
            found.append((manifest, manifest_path, is_builtin))
        return found

    def _file_path(self, manifest: ModelManifest, manifest_path: Path, builtin: bool, f: ModelFile) -> Path:
        if builtin and manifest.source.kind == "converted":
            return self.converted_dir / Path(f.name).name
        if builtin and manifest.source.kind == "package":
            return package_file(manifest, f)
        return manifest_path.parent / f.name

    def _entry(self, manifest: ModelManifest, manifest_path: Path, builtin: bool, rehash: bool = False) -> ModelEntry:
        converted = builtin and manifest.source.kind == "converted"
        file_paths = tuple(self._file_path(manifest, manifest_path, builtin, f) for f in manifest.files)
        statuses = [self._file_status(f, p, converted, rehash) for f, p in zip(manifest.files, file_paths)]
        if not statuses:
            return ModelEntry(manifest, manifest_path, file_paths, builtin, MISSING, "manifest lists no files")
        status = min((s for s, _ in statuses), key=_SEVERITY.index)
        detail = "; ".join(d for s, d in statuses if s == status and d)
        if status == OK and rehash:
            detail = f"{len(statuses)} file{'s' if len(statuses) > 1 else ''} checked"
        return ModelEntry(manifest, manifest_path, file_paths, builtin, status, detail)

    def _file_status(self, f: ModelFile, path: Path, converted: bool, rehash: bool) -> tuple[str, str]:
        try:
            present = path.is_file()
            size = path.stat().st_size if present else 0
        except OSError as exc:  # e.g. an unreadable cache folder: this model is unusable, the others are fine
            return MISSING, f"{path} cannot be read: {exc.strerror or exc}"
        if not present:
            if converted:
                return NOT_CONVERTED, f"{f.name} is converted from its package on first use"
            return MISSING, f"{path} is missing"
        if f.size and size != f.size:
            return MISMATCH, f"{f.name} is {size} bytes, expected {f.size}"
        if not f.sha256:
            return UNVERIFIED, f"no sha256 recorded for {f.name}"
        try:
            digest = registry.call("models.sha256", path) if rehash else self._cached_hash(path)
        except OSError as exc:
            return MISSING, f"{path} cannot be read: {exc.strerror or exc}"
        if digest is None:
            return UNVERIFIED, f"{f.name} not hashed yet (run verify)"
        if rehash:
            self._remember(path, digest)
        if digest != f.sha256:
            return MISMATCH, f"{f.name}: sha256 {digest[:12]}…, expected {f.sha256[:12]}…"
        return OK, ""

    # ----- import helpers ------------------------------------------------------------------------
    def _refuse_duplicate(self, sha: str, src: Path, existing: list[ModelEntry]) -> None:
        for entry in existing:
            if any(f.sha256 == sha for f in entry.manifest.files) or sha in entry.manifest.description:
                kind = "built-in" if entry.builtin else "imported"
                raise ModelError(
                    f"'{src.name}' is already in the model list as {kind} model '{entry.id}' "
                    "(same weights); it was not imported again."
                )

    def _new_id(self, display_name: str, existing: list[ModelEntry]) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")[:60] or "model"
        taken = {e.id for e in existing}
        candidate, n = base, 2
        while candidate in taken or (self.user_dir / candidate).exists():
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    # ----- remembered digests --------------------------------------------------------------------
    def _hash_cache_file(self) -> Path:
        return self._hash_cache_path or paths.cache_dir() / "model-hashes.json"

    def _load_hashes(self) -> dict[str, dict]:
        if self._hashes is None:
            try:
                data = json.loads(self._hash_cache_file().read_text(encoding="utf-8"))
                self._hashes = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._hashes = {}
        return self._hashes

    def _cached_hash(self, path: Path) -> str | None:
        record = self._load_hashes().get(str(path.resolve()))
        st = path.stat()
        if isinstance(record, dict) and record.get("size") == st.st_size and record.get("mtime_ns") == st.st_mtime_ns:
            return str(record.get("sha256"))
        return None

    def _remember(self, path: Path, digest: str) -> None:
        st = path.stat()
        self._load_hashes()[str(path.resolve())] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}

    def _save_hashes(self) -> None:
        target = self._hash_cache_file()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(self._load_hashes(), indent=1), encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:  # only a cache: losing it costs a re-hash, never correctness
            log.warning("could not save model hash cache %s: %s", target, exc)


def package_file(manifest: ModelManifest, f: ModelFile) -> Path:
    """Where pip put ``f`` of a ``source.kind == "package"`` manifest: the package file whose name ends with
    ``f.name`` (a missing package gives a path that does not exist, so the model shows as missing)."""
    rel = next((p for p in manifest.source.package_files if Path(p).name == f.name), f.name)
    top = Path(rel).parts[0]
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return Path(f"<package {top} not installed>") / f.name
    return Path(list(spec.submodule_search_locations)[0]).parent / rel


def _imported_manifest(
    model_id: str, name: str, src: Path, info: dict, file_name: str, stored: Path, stored_sha: str, original_sha: str
) -> ModelManifest:
    scale = int(info.get("scale", 1))
    task = "upscale" if scale > 1 else str(info.get("task", "restore"))
    size_req = info.get("size_requirements", {})
    params = int(info.get("parameters", 0))
    return ModelManifest(
        id=model_id,
        name=name,
        family="restore",
        task=task,
        architecture=str(info["architecture"]),
        files=(ModelFile(name=file_name, sha256=stored_sha, size=stored.stat().st_size),),
        source=ModelSource(kind="imported", original_path=str(src.resolve())),
        license=IMPORTED_LICENSE,
        scale=scale,
        # The original's digest is kept here so re-importing the same .pth is recognised as a duplicate.
        description=(
            f"{info['architecture']} x{scale}, {params / 1e6:.2f} M parameters; imported from {src.name} "
            f"(original sha256 {original_sha})."
        ),
        defaults={
            "tiling": info.get("tiling", "supported"),
            "size_minimum": int(size_req.get("minimum", 0)),
            "size_multiple_of": int(size_req.get("multiple_of", 1)),
            "input_channels": int(info.get("input_channels", 3)),
            "output_channels": int(info.get("output_channels", 3)),
            "supports_half": bool(info.get("supports_half", False)),
        },
        tags=tuple([str(info.get("purpose", ""))] + [str(t) for t in info.get("tags", [])]),
    )
