"""Safe loading: malicious checkpoints are refused without running, broken files get specific errors."""

from __future__ import annotations

import hashlib
import os
import pathlib
import pickle

import pytest
import torch
from safetensors.torch import load_file, save_file

from genai_studio.core.errors import DiskFull, ModelError, UnsafeModelFile
from genai_studio.engines.loading import (
    convert_to_safetensors,
    load_state_dict,
    save_safetensors,
    sha256_file,
)


class _ShellPayload:
    """Unpickling this would run a shell command that creates ``marker``."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class _TouchPayload:
    """Unpickling this would call marker.touch() (a bound method, pickled via getattr)."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (self.marker.touch, ())


def _weights() -> dict[str, torch.Tensor]:
    return {"conv.weight": torch.randn(4, 3, 3, 3), "conv.bias": torch.randn(4)}


@pytest.mark.parametrize("payload", [_ShellPayload, _TouchPayload])
def test_malicious_torch_checkpoint_is_refused_and_never_runs(tmp_path, payload):
    marker = tmp_path / "MARKER"
    evil = tmp_path / "model.pth"
    torch.save({"params": _weights(), "hook": payload(marker)}, evil)

    with pytest.raises(UnsafeModelFile) as info:
        load_state_dict(evil)

    assert not marker.exists()
    text = str(info.value)
    assert "model.pth" in text and "none of its code ran" in text and ".safetensors" in text
    if payload is _ShellPayload:
        assert "'os.system'" in text


@pytest.mark.parametrize("protocol", [2, 4])
def test_malicious_raw_pickle_is_refused_and_names_the_global(tmp_path, protocol):
    marker = tmp_path / "MARKER"
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps({"w": 1, "x": _ShellPayload(marker)}, protocol=protocol))

    with pytest.raises(UnsafeModelFile, match="os.system"):
        load_state_dict(evil)
    assert not marker.exists()


def test_torchscript_archive_is_refused(tmp_path):
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Conv2d(3, 3, 3)), str(path))
    with pytest.raises(UnsafeModelFile, match="TorchScript"):
        load_state_dict(path)


def test_plain_state_dict_pth_loads(tmp_path):
    weights = _weights()
    path = tmp_path / "plain.pth"
    torch.save(weights, path)
    loaded = load_state_dict(path)
    assert set(loaded) == set(weights)
    assert all(torch.equal(loaded[k], weights[k]) for k in weights)


def test_legacy_format_pth_loads(tmp_path):
    path = tmp_path / "legacy.pth"
    torch.save(_weights(), path, _use_new_zipfile_serialization=False)
    assert set(load_state_dict(path)) == {"conv.weight", "conv.bias"}


def test_safetensors_loads(tmp_path):
    weights = _weights()
    path = tmp_path / "model.safetensors"
    save_file(weights, str(path))
    loaded = load_state_dict(path)
    assert all(torch.equal(loaded[k], weights[k]) for k in weights)


@pytest.mark.parametrize("wrapper", ["params_ema", "params", "state_dict", "model"])
def test_container_keys_are_unwrapped(tmp_path, wrapper):
    path = tmp_path / "wrapped.pth"
    torch.save({wrapper: _weights(), "epoch": 12, "iter": 3400}, path)
    assert set(load_state_dict(path)) == {"conv.weight", "conv.bias"}


def test_params_ema_preferred_over_params_and_module_prefix_stripped(tmp_path):
    ema, raw = _weights(), _weights()
    path = tmp_path / "basicsr.pth"
    torch.save(
        {
            "params": {f"module.{k}": v for k, v in raw.items()},
            "params_ema": {f"module.{k}": v for k, v in ema.items()},
        },
        path,
    )
    loaded = load_state_dict(path)
    assert set(loaded) == {"conv.weight", "conv.bias"}
    assert torch.equal(loaded["conv.weight"], ema["conv.weight"])


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.pth"
    path.write_bytes(b"")
    with pytest.raises(ModelError, match=r"empty \(0 bytes\)"):
        load_state_dict(path)


def test_truncated_zip_checkpoint(tmp_path):
    full = tmp_path / "full.pth"
    torch.save({"w": torch.randn(64, 64)}, full)
    cut = tmp_path / "cut.pth"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt") as info:
        load_state_dict(cut)
    assert not isinstance(info.value, UnsafeModelFile)


def test_truncated_legacy_checkpoint(tmp_path):
    full = tmp_path / "full.pth"
    torch.save({"w": torch.randn(64, 64)}, full, _use_new_zipfile_serialization=False)
    cut = tmp_path / "cut.pth"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_state_dict(cut)


def test_truncated_safetensors(tmp_path):
    full = tmp_path / "full.safetensors"
    save_file({"w": torch.randn(64, 64)}, str(full))
    cut = tmp_path / "cut.safetensors"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated"):
        load_state_dict(cut)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_random_bytes_are_not_a_model(tmp_path, suffix):
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(bytes(range(7, 256)) * 20)
    with pytest.raises(ModelError, match="not a model file") as info:
        load_state_dict(path)
    assert not isinstance(info.value, UnsafeModelFile)


def test_checkpoint_without_tensors(tmp_path):
    path = tmp_path / "config.pth"
    torch.save({"lr": 0.1, "epochs": 3}, path)
    with pytest.raises(ModelError, match="no weight tensors"):
        load_state_dict(path)


def test_missing_file_and_wrong_extension(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_state_dict(tmp_path / "nope.pth")
    other = tmp_path / "weights.npz"
    other.write_bytes(b"x")
    with pytest.raises(ModelError, match="unsupported extension"):
        load_state_dict(other)


def test_oversized_file_refused(tmp_path):
    path = tmp_path / "big.pth"
    torch.save(_weights(), path)
    with pytest.raises(ModelError, match="more than"):
        load_state_dict(path, max_bytes=100)


def test_sha256_file_streams_the_whole_file(tmp_path):
    path = tmp_path / "blob.bin"
    data = os.urandom(3 * (1 << 20) + 17)  # spans several read chunks
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_save_safetensors_is_atomic_and_round_trips(tmp_path):
    weights = _weights()
    weights["tied"] = weights["conv.bias"]  # shared storage must not break saving
    path = tmp_path / "sub" / "out.safetensors"
    save_safetensors(weights, path)
    assert [p.name for p in path.parent.iterdir()] == ["out.safetensors"]  # no temp file left behind
    loaded = load_file(str(path))
    assert torch.equal(loaded["tied"], weights["conv.bias"])


def test_a_full_disk_while_saving_weights_is_a_disk_error_and_leaves_nothing(tmp_path, monkeypatch):
    """What safetensors raises on a full disk (a SafetensorError naming the OS error only in its text)."""
    import safetensors.torch

    def full(tensors, filename, metadata=None):
        pathlib.Path(filename).write_bytes(b"partial")
        raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(safetensors.torch, "save_file", full)
    with pytest.raises(DiskFull, match="Not enough disk space to save out.safetensors"):
        save_safetensors(_weights(), tmp_path / "out.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_convert_to_safetensors(tmp_path):
    src = tmp_path / "m.pth"
    torch.save({"params_ema": {f"module.{k}": v for k, v in _weights().items()}}, src)
    dst = tmp_path / "m.safetensors"
    assert convert_to_safetensors(src, dst) == 2
    assert set(load_file(str(dst))) == {"conv.weight", "conv.bias"}


def test_garbage_that_looks_like_a_pickle_is_corrupt_not_unsafe(tmp_path):
    path = tmp_path / "garbage.pth"
    path.write_bytes(b"\x80\x02" + bytes(range(256)) * 4)  # pickle protocol header, then noise
    with pytest.raises(ModelError, match="corrupt or not a model file") as info:
        load_state_dict(path)
    assert not isinstance(info.value, UnsafeModelFile)


def test_saved_safetensors_are_readable_by_others(tmp_path):
    import stat

    from genai_studio.engines.loading import save_safetensors

    out = tmp_path / "m.safetensors"
    save_safetensors({"w": torch.zeros(2)}, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_an_unreadable_weight_file_is_a_clear_model_error(tmp_path, monkeypatch):
    import builtins

    from genai_studio.core.errors import ModelError
    from genai_studio.engines.loading import load_state_dict

    path = tmp_path / "locked.safetensors"
    path.write_bytes(b"x" * 64)
    real_open = builtins.open

    def locked_open(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", locked_open)
    with pytest.raises(ModelError, match="locked.safetensors' cannot be read: Permission denied"):
        load_state_dict(path)
