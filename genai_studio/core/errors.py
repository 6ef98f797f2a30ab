"""The error classes every job failure is classified into.

Each carries a user-facing message (one actionable sentence); tracebacks go to the log only.
"""

from __future__ import annotations


class StudioError(Exception):
    """Base of every error the app knows how to explain to a user."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(StudioError):
    """The user's file or parameters cannot be used (corrupt, unsupported, too large, …)."""

    kind = "bad-input"


class ModelError(StudioError):
    """A model file is missing, corrupt, unsafe or of the wrong architecture/scale."""

    kind = "model"


class UnsafeModelFile(ModelError):
    """A checkpoint that would need arbitrary pickle code to load; its code never runs."""

    kind = "unsafe-model"


class OutOfMemory(StudioError):
    """The device ran out of memory even after the automatic retries."""

    kind = "out-of-memory"


OUT_OF_MEMORY_ADVICE = "Ran out of memory. Try a smaller tile size, a smaller image or close other jobs."
# how allocators say it: NumPy's MemoryError, torch's CUDA "out of memory" and CPU "can't allocate memory"
_OUT_OF_MEMORY_TEXTS = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory")


def looks_like_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation failure (torch raises RuntimeErrors for them, not MemoryError)."""
    if isinstance(exc, MemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(t in str(exc).lower() for t in _OUT_OF_MEMORY_TEXTS)


class DeviceUnavailable(StudioError):
    """The user asked for a device (e.g. CUDA) this machine does not have."""

    kind = "device"


class Cancelled(StudioError):
    """The user cancelled the job; not a failure."""

    kind = "cancelled"

    def __init__(self, message: str = "Cancelled") -> None:
        super().__init__(message)


class DiskFull(StudioError):
    """Writing a result failed because the disk is full or not writable."""

    kind = "disk"


def a_or_an(word: str) -> str:
    """``word`` with its indefinite article, for messages: "an inpaint", "a denoise"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
