"""The suite runs with sockets blocked (pytest-socket via pyproject addopts): prove it."""

from __future__ import annotations

import socket

import pytest


def test_internet_sockets_are_blocked():
    with pytest.raises(Exception) as info:
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routable
    assert "SocketBlockedError" in type(info.value).__name__ or "blocked" in str(info.value).lower()


def test_no_module_reaches_for_the_network_while_upscaling(tmp_path):
    """A full upscale (model conversion, loading, inference) with sockets blocked succeeds."""
    import numpy as np

    from genai_studio.core.jobs import UpscaleSpec
    from genai_studio.core.media import ImageBuffer
    from genai_studio.core.progress import CancelToken
    from genai_studio.runtime.job_runner import JobRunner
    from genai_studio.runtime.model_store import ModelStore

    spec = UpscaleSpec(image=ImageBuffer(np.full((16, 16, 3), 90, np.uint8)), model_id="realesr-animevideov3-x2",
                       scale=2)
    result = JobRunner(ModelStore())(spec, CancelToken())
    assert result.image.width == 32
