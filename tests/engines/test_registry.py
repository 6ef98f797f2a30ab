"""Engine registry: lazy, and every registered target resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

from genai_studio.engines import registry


def test_importing_the_registry_does_not_import_torch():
    code = "import sys, genai_studio.engines.registry; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", registry.names())
def test_every_registered_engine_resolves(name):
    assert callable(registry.get(name))


def test_call_and_unknown_names(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    assert registry.call("models.sha256", path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises(registry.UnknownEngine, match="no engine named 'nope'"):
        registry.get("nope")
