"""Loaded models, kept between jobs (LRU), released on device switch or memory pressure."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable


def _file_stamp(path: str) -> tuple[int, int] | None:
    """(modification time ns, size) of the weights file: a model retrained under the same path is a new model."""
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return st.st_mtime_ns, st.st_size


class ModelCache:
    """At most ``capacity`` loaded models (spandrel descriptors); keys are (weights path, device string).

    An entry is only reused while its weights file is unchanged, so a model retrained or re-imported under the
    same id is loaded afresh instead of the old weights being served until restart."""

    def __init__(self, capacity: int = 3) -> None:
        self.capacity = capacity
        self._models: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], build: Callable[[], Any]) -> Any:
        stamp = _file_stamp(key[0])
        with self._lock:
            if key in self._models and self._models[key][0] == stamp:
                self._models.move_to_end(key)
                return self._models[key][1]
        model = build()  # outside the lock: loading can take seconds
        with self._lock:
            self._models[key] = (stamp, model)
            self._models.move_to_end(key)
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        return model

    def release(self, device: str | None = None) -> None:
        """Drop every model on ``device`` (all models when None)."""
        with self._lock:
            for key in [k for k in self._models if device is None or k[1] == device]:
                del self._models[key]

    def __len__(self) -> int:
        return len(self._models)


MODEL_CACHE = ModelCache()
