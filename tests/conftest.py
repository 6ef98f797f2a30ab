"""Suite-wide setup: offscreen Qt, an isolated user home per session, and no network (pytest-socket)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="genai-studio-test-home-"))
# Converted Real-ESRGAN weights are reproducible but take seconds to build: share them across sessions.
os.environ.setdefault("GENAI_STUDIO_HOME", str(_SESSION_HOME))
os.environ.setdefault("GENAI_STUDIO_MODEL_CACHE", str(Path(tempfile.gettempdir()) / "genai-studio-test-model-cache"))

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def studio_home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty user home for tests that write settings, logs or imported models."""
    home = tmp_path / "home"
    monkeypatch.setenv("GENAI_STUDIO_HOME", str(home))
    return home

# music21 imports urllib3, which opens a local socket to probe IPv6 support; importing it before
# pytest-socket blocks sockets keeps that harmless probe from looking like a network attempt.
import music21  # noqa: E402,F401


@pytest.fixture
def torch_one_thread():
    """Torch on one CPU thread for the test (small networks train faster without thread hand-offs; CI has 2)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
