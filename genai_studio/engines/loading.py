"""Safe loading of model weight files, and their sha256.

Only two ways in: safetensors (pure data), or a PyTorch checkpoint read by torch's weights-only
unpickler, which rebuilds tensors, containers and primitives and refuses every other global, so a
malicious checkpoint's code never runs. Anything else is refused with a :class:`ModelError` that says
what is wrong with the file.

torch is imported inside the functions that need it: hashing a file (``models verify``) must stay cheap.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import pickletools
import re
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genai_studio.core.errors import DiskFull, ModelError, UnsafeModelFile

if TYPE_CHECKING:
    import torch

WEIGHT_EXTENSIONS = (".safetensors", ".pth", ".pt", ".ckpt", ".bin")
# Restoration models are megabytes; a multi-gigabyte file is not one, and would exhaust memory to find out.
MAX_MODEL_BYTES = 4 * 1024**3
HASH_CHUNK_BYTES = 1 << 20
_PICKLE_SCAN_BYTES = 64 << 20  # a legacy checkpoint's pickles come before its (large) tensor data

# Keys under which training code commonly nests the weights; EMA weights first because they are the
# better ones when a BasicSR checkpoint holds both.
_WRAPPER_KEYS = ("params_ema", "params-ema", "params", "model_state_dict", "state_dict", "model", "net")
_PREFIXES = ("module.", "netG.")  # DataParallel / BasicSR generator prefixes
# pickle names the module a function really lives in: os.system pickles as posix.system.
# Protocol-2 pickles spell builtins "__builtin__"; builtins read better bare.
_MODULE_ALIASES = {"posix": "os", "nt": "os", "__builtin__": "", "builtins": ""}
# Globals torch's weights-only unpickler itself allows; never the culprit when a load is refused.
_TORCH_ALLOWED = ("torch.", "collections.OrderedDict", "collections.Counter", "_codecs.encode")
_TORCH_ALLOWED_BUILTINS = ("bytearray", "set", "complex")

_SAFE_ADVICE = "Use a .safetensors file or a plain state-dict .pth."


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks so memory stays flat for large files."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def load_state_dict(path: str | os.PathLike[str], max_bytes: int = MAX_MODEL_BYTES) -> dict[str, torch.Tensor]:
    """Read a weight file into a flat ``{name: tensor}`` dict on the CPU, never running code from it.

    Raises UnsafeModelFile for a checkpoint that needs arbitrary pickle globals, ModelError for files
    that are missing, empty, too large, truncated, corrupt or hold no tensors.
    """
    path = Path(path)
    _check_file(path, max_bytes)
    try:
        kind = sniff_format(path)
    except OSError as exc:  # e.g. permission denied: say which file, not "Unexpected error: PermissionError"
        raise ModelError(f"Model file '{path}' cannot be read: {exc.strerror or exc}.") from exc
    if kind == "safetensors":
        raw: Any = _load_safetensors(path)
    elif kind in ("torch-zip", "torch-legacy"):
        raw = _load_torch(path, kind)
    else:
        raise ModelError(
            f"'{path.name}' is not a model file: its contents are neither a PyTorch checkpoint nor safetensors."
        )
    return unwrap_state_dict(raw, path.name)


def sniff_format(path: Path) -> str:
    """"safetensors" | "torch-zip" | "torch-legacy" | "unknown", from the first bytes (not the extension)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PK\x03\x04"):
        return "torch-zip"
    if head.startswith(b"\x80"):  # pickle protocol ≥ 2 opcode: torch.save's legacy format
        return "torch-legacy"
    # safetensors: u64 little-endian header length, then the JSON header
    if len(head) >= 9 and head[8:9] == b"{":
        header_len = int.from_bytes(head[:8], "little")
        if 0 < header_len < path.stat().st_size:
            return "safetensors"
    return "unknown"


def unwrap_state_dict(raw: Any, name: str = "the file") -> dict[str, torch.Tensor]:
    """Find the weights inside a training checkpoint: known wrapper keys, single-key nesting, prefixes."""
    import torch

    if not isinstance(raw, Mapping):
        raise ModelError(f"'{name}' holds a {type(raw).__name__}, not a dictionary of weights.")
    state: Mapping[str, Any] = raw
    for _ in range(3):  # checkpoints nest at most a couple of levels deep
        inner = next((state[k] for k in _WRAPPER_KEYS if isinstance(state.get(k), Mapping)), None)
        if inner is None and len(state) == 1 and isinstance(next(iter(state.values())), Mapping):
            inner = next(iter(state.values()))
        if inner is None:
            break
        state = inner
    # Training checkpoints keep epoch counters etc. beside the weights; only tensors matter here.
    tensors = {str(k): v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise ModelError(f"'{name}' contains no weight tensors, so it is not a model's state dict.")
    for prefix in _PREFIXES:
        if all(k.startswith(prefix) for k in tensors):
            tensors = {k[len(prefix):]: v for k, v in tensors.items()}
    return tensors


def save_safetensors(
    state_dict: Mapping[str, torch.Tensor], path: str | os.PathLike[str], metadata: dict[str, str] | None = None
) -> None:
    """Write tensors as safetensors atomically: temp file in the same folder, fsync, rename."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for key, value in state_dict.items():
        t = value.detach().cpu().contiguous()
        # safetensors refuses tensors that share storage (tied weights); give each its own copy.
        ptr = t.untyped_storage().data_ptr()
        if ptr in seen and t.numel() > 0:
            t = t.clone()
        seen.add(ptr)
        tensors[key] = t
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            save_file(tensors, str(tmp), metadata=metadata)
        except Exception as exc:  # safetensors' SafetensorError wraps the OS error in its text only
            if "os error 28" in str(exc) or "No space left" in str(exc) or "os error 122" in str(exc):
                size_mb = sum(t.numel() * t.element_size() for t in tensors.values()) / 1e6
                raise DiskFull(f"Not enough disk space to save {path.name} ({size_mb:.0f} MB) in {path.parent}; "
                               "free some space or choose another folder.") from None
            raise
        # mkstemp makes 0600 files; a saved model is an ordinary shareable file (reading os.umask would briefly
        # change it for every thread, so use the usual 0644).
        os.chmod(tmp, 0o644)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def convert_to_safetensors(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> int:
    """Safely load any supported weight file and re-save it as safetensors; returns the tensor count."""
    state = load_state_dict(src)
    save_safetensors(state, dst)
    return len(state)


def _check_file(path: Path, max_bytes: int) -> None:
    if not path.exists():
        raise ModelError(f"Model file '{path}' does not exist.")
    if not path.is_file():
        raise ModelError(f"'{path}' is not a file.")
    if path.suffix.lower() not in WEIGHT_EXTENSIONS:
        raise ModelError(
            f"'{path.name}' has an unsupported extension '{path.suffix}'; "
            f"expected one of {', '.join(WEIGHT_EXTENSIONS)}."
        )
    size = path.stat().st_size
    if size == 0:
        raise ModelError(f"'{path.name}' is empty (0 bytes); the download or copy probably failed.")
    if size > max_bytes:
        raise ModelError(
            f"'{path.name}' is {size / 1024**3:.1f} GB, more than the {max_bytes / 1024**3:.0f} GB "
            "a model file may have; it was not loaded."
        )


def _load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except SafetensorError as exc:
        if "not fully covered" in str(exc) or "incomplete" in str(exc):
            raise ModelError(f"'{path.name}' is truncated: the safetensors data ends early ({exc}).") from exc
        raise ModelError(f"'{path.name}' is not a valid safetensors file ({exc}).") from exc


def _load_torch(path: Path, kind: str) -> Any:
    import torch

    if kind == "torch-zip":
        # A zip whose central directory is missing was cut short; torch would only say "Invalid argument".
        if not zipfile.is_zipfile(path):
            raise ModelError(f"'{path.name}' is truncated or corrupt: its PyTorch archive is incomplete.")
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        if any(n.endswith("constants.pkl") or "/code/" in n for n in names):
            raise UnsafeModelFile(
                f"'{path.name}' is a TorchScript program, which carries code; it was refused and none of "
                f"its code ran. {_SAFE_ADVICE}"
            )
        if not any(n.endswith("data.pkl") for n in names):
            raise ModelError(f"'{path.name}' is a zip archive but not a PyTorch checkpoint.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "pickle protocol 4" notices are noise to a user
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        _raise_unpickling_error(path, kind, str(exc), exc)
    except RuntimeError as exc:
        text = str(exc)
        if "TorchScript" in text:
            raise UnsafeModelFile(
                f"'{path.name}' is a TorchScript program, which carries code; it was refused and none of "
                f"its code ran. {_SAFE_ADVICE}"
            ) from exc
        if "weights_only" in text or "Unsupported global" in text:
            _raise_unpickling_error(path, kind, text, exc)
        raise ModelError(f"'{path.name}' is truncated or corrupt ({_first_line(text)}).") from exc
    except (EOFError, OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        detail = _first_line(str(exc)) or type(exc).__name__
        raise ModelError(f"'{path.name}' is truncated or corrupt ({detail}).") from exc


def _raise_unpickling_error(path: Path, kind: str, text: str, exc: BaseException) -> None:
    """Name the global the weights-only unpickler refused; unsafe if there is one, else corrupt."""
    match = re.search(r"GLOBAL ([\w.]+)", text)
    names = ([match.group(1)] if match else []) + _foreign_globals(path, kind)
    friendly = list(dict.fromkeys(_friendly(n) for n in names))[:3]  # unique, in file order, torch's first
    if friendly:
        quoted = ", ".join(f"'{n}'" for n in friendly[:-1]) + (" and " if len(friendly) > 1 else "")
        quoted += f"'{friendly[-1]}'"
        raise UnsafeModelFile(
            f"'{path.name}' needs to run code from {quoted} to load, which could harm your "
            f"computer; it was refused and none of its code ran. {_SAFE_ADVICE}"
        ) from exc
    raise ModelError(
        f"'{path.name}' is corrupt or not a model file (it could not be read as a PyTorch checkpoint)."
    ) from exc


def _foreign_globals(path: Path, kind: str) -> list[str]:
    """Globals (other than torch's own) a pickle references, found by parsing opcodes without running any.

    torch's unpickler stops at the first opcode it does not support (e.g. FRAME in protocol 4), before it
    ever sees the global, so this parse is what tells a malicious file from a merely broken one.
    """
    try:
        if kind == "torch-zip":
            with zipfile.ZipFile(path) as zf:
                data = zf.read(next(n for n in zf.namelist() if n.endswith("data.pkl")))
        else:
            with open(path, "rb") as fh:
                data = fh.read(_PICKLE_SCAN_BYTES)
    except (OSError, zipfile.BadZipFile, StopIteration):
        return []
    found: list[str] = []
    stream = io.BytesIO(data)
    while stream.tell() < len(data):  # the legacy format is several pickles back to back
        strings: list[str] = []
        try:
            for op, arg, _pos in pickletools.genops(stream):
                if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
                    strings = (strings + [str(arg)])[-2:]
                elif op.name == "GLOBAL":
                    found.append(str(arg).replace(" ", "."))
                elif op.name == "STACK_GLOBAL" and len(strings) == 2:
                    found.append(".".join(strings))
        except Exception:  # malformed opcodes: we have learned all we can
            break
    return [g for g in found if not _torch_allowed(g)]


def _torch_allowed(global_name: str) -> bool:
    if global_name.startswith(_TORCH_ALLOWED):
        return True
    module, _, name = global_name.partition(".")
    return module in ("builtins", "__builtin__") and name in _TORCH_ALLOWED_BUILTINS


def _friendly(global_name: str) -> str:
    """posix.system → os.system, __builtin__.getattr → getattr."""
    module, _, rest = global_name.partition(".")
    if not rest or module not in _MODULE_ALIASES:
        return global_name
    alias = _MODULE_ALIASES[module]
    return f"{alias}.{rest}" if alias else rest


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
