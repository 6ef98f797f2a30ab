"""ctypes binding to the RNNoise library inside PyPI ``pyrnnoise`` (the light, fast speech denoiser).

Only ``librnnoise`` is used: importing ``pyrnnoise`` itself would pull in its audio I/O stack (audiolab,
PyAV, tqdm) for nothing, so the shared library is located through the package's import spec instead.

    DenoiseState* rnnoise_create(RNNModel* model /* NULL = built-in model */);
    float rnnoise_process_frame(DenoiseState*, float* out, const float* in);  // returns voice probability
    int   rnnoise_get_frame_size(void);   // 480 samples = 10 ms at 48 kHz
    void  rnnoise_destroy(DenoiseState*);

Samples are floats on the 16-bit scale (±32768), mono, 48 kHz. One state per stream; not thread-safe.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np

from genai_studio.core.errors import ModelError

SAMPLE_RATE = 48000
PCM_SCALE = 32768.0
# Measured by cross-correlating the output with clean speech: two 10 ms frames.
DELAY_SAMPLES = 960

_FLOAT_P = ctypes.POINTER(ctypes.c_float)
_LIB_NAMES = {"linux": "librnnoise.so", "darwin": "librnnoise.dylib", "win32": "rnnoise.dll"}


@functools.cache
def _library() -> ctypes.CDLL:
    spec = importlib.util.find_spec("pyrnnoise")  # locates the package without running its __init__
    name = _LIB_NAMES.get(sys.platform, "librnnoise.so")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("The RNNoise denoiser is not installed; install the 'pyrnnoise' package.")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise ModelError(f"The RNNoise library could not be loaded from {path} ({exc}); "
                         f"reinstall 'pyrnnoise'.") from exc
    lib.rnnoise_create.argtypes = [ctypes.c_void_p]
    lib.rnnoise_create.restype = ctypes.c_void_p
    lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    lib.rnnoise_destroy.restype = None
    lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, _FLOAT_P, _FLOAT_P]
    lib.rnnoise_process_frame.restype = ctypes.c_float
    lib.rnnoise_get_frame_size.argtypes = []
    lib.rnnoise_get_frame_size.restype = ctypes.c_int
    return lib


class RNNoise:
    """One RNNoise stream with the built-in model; a context manager that frees the native state."""

    def __init__(self) -> None:
        self._lib = _library()
        state = self._lib.rnnoise_create(None)
        if not state:
            raise ModelError("RNNoise could not create its denoiser state.")
        self._state: int | None = state
        self.frame_length = int(self._lib.rnnoise_get_frame_size())

    def process(self, frame: np.ndarray, out: np.ndarray) -> float:
        """Denoise one frame (C-contiguous float32 (frame_length,), 16-bit scale); returns voice probability."""
        if self._state is None:
            raise RuntimeError("RNNoise state already freed")
        return float(self._lib.rnnoise_process_frame(self._state, out.ctypes.data_as(_FLOAT_P),
                                                     frame.ctypes.data_as(_FLOAT_P)))

    def close(self) -> None:
        if self._state is not None:
            self._lib.rnnoise_destroy(self._state)
            self._state = None

    def __enter__(self) -> "RNNoise":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
