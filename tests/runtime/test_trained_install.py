"""Installing a generator trained here into the model store (folder, manifest or weights; refusals)."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from genai_studio import paths
from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import read_manifest, write_manifest
from genai_studio.runtime.model_store import ModelStore
from genai_studio.runtime.trained_install import is_art_generator, safetensors_metadata

SHIPPED = paths.BUILTIN_MODELS_DIR


@pytest.fixture
def store(studio_home, tmp_path):
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    return ModelStore(builtin_dir=builtin, user_dir=tmp_path / "user", hash_cache=tmp_path / "hashes.json")


@pytest.fixture
def trained_folder(tmp_path):
    """What `genai-studio train art -o FOLDER` leaves: weights + manifest.json (+ a checkpoint we must not copy)."""
    folder = tmp_path / "my-gen"
    folder.mkdir()
    shutil.copyfile(SHIPPED / "art-emoji-vae.safetensors", folder / "art-emoji-vae.safetensors")
    manifest = read_manifest(SHIPPED / "art-emoji-vae.json")
    write_manifest(dataclasses.replace(manifest, id="my-gen", name="My generator"), folder / "manifest.json")
    (folder / "checkpoint.safetensors").write_bytes(b"not copied")
    return folder


def test_metadata_is_read_from_the_header_alone():
    meta = safetensors_metadata(SHIPPED / "art-emoji-vae.safetensors")
    assert meta["architecture"].startswith("GenAI Studio") and "vocabulary" in meta
    assert is_art_generator(SHIPPED / "art-emoji-vae.safetensors")
    assert not is_art_generator(SHIPPED / "restore-denoise.safetensors")


@pytest.mark.parametrize("pick", ["folder", "weights", "manifest"])
def test_install_from_folder_weights_or_manifest(store, trained_folder, pick):
    source = {"folder": trained_folder, "weights": trained_folder / "art-emoji-vae.safetensors",
              "manifest": trained_folder / "manifest.json"}[pick]
    entry = store.import_file(source)
    assert entry.id == "my-gen" and entry.name == "My generator" and entry.task == "generate"
    assert entry.removable and not entry.builtin
    assert entry.weight_path.is_file() and not (entry.weight_path.parent / "checkpoint.safetensors").exists()
    assert [e.id for e in store.by_task("generate")] == ["my-gen"]
    with pytest.raises(ModelError, match="already in the model list as 'my-gen' \\(same weights\\)"):
        store.install_trained(trained_folder, name="Second copy")  # the same weights are not installed twice
    assert [e.id for e in store.by_task("generate")] == ["my-gen"]
    store.remove("my-gen")
    assert store.find("my-gen") is None


def test_damaged_weights_are_refused_and_nothing_is_left(store, trained_folder):
    weights = trained_folder / "art-emoji-vae.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its manifest"):
        store.install_trained(trained_folder)
    assert not any(store.user_dir.iterdir()) if store.user_dir.exists() else True


def test_missing_manifest_or_wrong_task_is_a_clear_error(store, trained_folder, tmp_path):
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copyfile(trained_folder / "art-emoji-vae.safetensors", lone / "gen.safetensors")
    with pytest.raises(ModelError, match="No manifest.json"):
        store.import_file(lone / "gen.safetensors")
    manifest = read_manifest(trained_folder / "manifest.json")
    write_manifest(dataclasses.replace(manifest, task="denoise"), trained_folder / "manifest.json")
    with pytest.raises(ModelError, match="not an image generator"):
        store.install_trained(trained_folder)
