"""One check per model in the store: its files are present, their sha256 matches the manifest, it loads.

Built-in Real-ESRGAN models are converted from their registry package on first use; a self-test on a fresh
install does that conversion now (what `genai-studio models prepare` does), so their hashes can be checked.
Imported models are the user's own: a problem with one is reported but does not fail the installation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from genai_studio.selftest.context import Check, SelfTestContext, module_present
from genai_studio.selftest.result import Outcome, failed, passed, warned


def _load_restoration(entry: Any) -> str:
    from genai_studio.engines import registry

    info = registry.call("models.describe_file", entry.weight_path)
    if int(info.get("scale", 0)) != entry.manifest.scale:
        raise ValueError(f"the file is a x{info.get('scale')} {info.get('architecture')} network, "
                         f"its manifest says x{entry.manifest.scale}")
    return f"loads as {info.get('architecture')} x{info.get('scale')}"


def _load_melody(entry: Any) -> str:
    from genai_studio.engines.music.melody_runtime import load_melody_model

    load_melody_model(entry.weight_path)
    return "loads as a melody model"


def _load_piper_voice(entry: Any) -> str:
    from genai_studio.engines import registry

    onnx = next(p for p in entry.paths if p.name.lower().endswith(".onnx"))
    config = next(p for p in entry.paths if p.name.lower().endswith(".onnx.json"))
    info = registry.call("voice.describe", onnx, config)
    rate = info.get("sample_rate") if isinstance(info, dict) else None
    return f"voice loads ({rate} Hz)" if rate else "voice loads"


@dataclass(frozen=True)
class Loader:
    registry_name: str | None  # the engine entry it calls, if any
    modules: tuple[str, ...]  # modules that must exist (a version may ship the manifest before the engine)
    load: Callable[[Any], str]  # entry → what loaded


# (family, task) → loader; other models, and those whose engine is absent in this version, are checked by hash.
LOADERS: dict[tuple[str, str], Loader] = {
    ("restore", "upscale"): Loader("models.describe_file", (), _load_restoration),
    ("restore", "restore"): Loader("models.describe_file", (), _load_restoration),
    ("restore", "denoise"): Loader("models.describe_file", (), _load_restoration),
    ("music", "melody"): Loader(None, ("genai_studio.engines.music.melody_runtime",), _load_melody),
    ("voice", "tts"): Loader("voice.describe", ("genai_studio.engines.voice.tts",), _load_piper_voice),
}


def _loader_available(loader: Loader) -> bool:
    from genai_studio.engines import registry

    if loader.registry_name is not None and loader.registry_name not in registry.ENGINES:
        return False
    return all(module_present(m) for m in loader.modules)


def _convert_if_needed(entry: Any) -> str:
    """Convert a built-in model that is made from a registry package on first use; '' when nothing to do."""
    from genai_studio.engines import registry
    from genai_studio.runtime.model_store import NOT_CONVERTED

    if not (entry.builtin and entry.manifest.source.kind == "converted" and entry.status == NOT_CONVERTED):
        return ""
    registry.call("models.ensure_converted", entry.manifest, entry.weight_path.parent)
    return f"converted now from {entry.manifest.source.package or 'its package'} (first use); "


def _size(entry: Any) -> str:
    mb = entry.size_bytes / 1e6
    return f"{mb:.1f} MB" if mb >= 0.1 else f"{entry.size_bytes} bytes"


def check_model(ctx: SelfTestContext, model_id: str) -> Outcome:
    from genai_studio.runtime.model_store import OK, UNVERIFIED

    store = ctx.store
    converted = _convert_if_needed(store.get(model_id))
    [(_, status, detail)] = store.verify(model_id)
    entry = store.get(model_id)
    files = f"{len(entry.paths)} file{'s' if len(entry.paths) > 1 else ''}, {_size(entry)}"
    if status == UNVERIFIED:
        return warned(f"{converted}{files}; {detail} (no sha256 to check against)")
    if status != OK:
        where = "" if entry.builtin else " (an imported model: re-import it or remove it in Models ▸ Model Manager)"
        return failed(f"{converted}{status}: {detail}{where}")
    loader = LOADERS.get((entry.manifest.family, entry.manifest.task))
    if loader is None or not _loader_available(loader):
        return passed(f"{converted}sha256 ok ({files})")
    try:
        loaded = loader.load(entry)
    except Exception as exc:  # a damaged file surfaces as whatever its loader raises
        return failed(f"{converted}sha256 ok ({files}) but it does not load: {getattr(exc, 'message', None) or exc}")
    return passed(f"{converted}sha256 ok ({files}); {loaded}")


def model_checks(ctx: SelfTestContext) -> list[Check]:
    """A check per model known now; reading the manifests is cheap (no hashing, no torch)."""
    checks = []
    for entry in ctx.store.list():
        kind = "built-in" if entry.builtin else "imported"
        checks.append(Check(f"model.{entry.id}", f"model {entry.id} ({kind})",
                            lambda c, model_id=entry.id: check_model(c, model_id), required=entry.builtin))
    return checks
