"""Loaded models, kept between jobs (LRU), released on device switch or memory pressure."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable


class ModelCache:
    """At most ``capacity`` loaded models (spandrel descriptors); keys are (weights path, device string)."""

    def __init__(self, capacity: int = 3) -> None:
        self.capacity = capacity
        self._models: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        model = build()  # outside the lock: loading can take seconds
        with self._lock:
            self._models[key] = model
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
