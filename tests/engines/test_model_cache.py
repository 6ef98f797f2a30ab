"""The loaded-model cache: reuse while the weights file is unchanged, reload when it was retrained."""

from __future__ import annotations

import os

from genai_studio.engines.model_cache import ModelCache


def test_a_retrained_weights_file_is_loaded_afresh(tmp_path):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"first")
    cache, builds = ModelCache(capacity=2), []

    def build():
        builds.append(weights.read_bytes())
        return len(builds)

    assert cache.get((str(weights), "cpu"), build) == 1
    assert cache.get((str(weights), "cpu"), build) == 1  # unchanged: reused
    weights.write_bytes(b"second run")  # retrained under the same id and path
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache.get((str(weights), "cpu"), build) == 2 and builds[-1] == b"second run"
    assert len(cache) == 1
    cache.release("cpu")
    assert len(cache) == 0
