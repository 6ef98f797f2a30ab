"""Resumable training checkpoints without pickle: tensors in safetensors, everything else in a small JSON.

``checkpoint.safetensors`` holds the networks' state dicts (``<net>/<key>``), each optimizer's per-parameter state
tensors (``opt/<name>/<param index>/<key>``) and the torch RNG state (``rng/cpu``, ``rng/cuda``).
``checkpoint.json`` holds the step, the run's identity (family, preset, px, vocabulary) and each optimizer's
param groups and non-tensor state values, which ``torch.optim.Optimizer.load_state_dict`` needs. Both files are
written atomically (temp file + ``os.replace``); the JSON last, naming the step also stored in the safetensors
metadata, so a crash between the two is detected instead of mixing two steps.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch

from genai_studio.core.errors import BadInput
from genai_studio.engines.loading import load_state_dict, save_safetensors

WEIGHTS_NAME = "checkpoint.safetensors"
INDEX_NAME = "checkpoint.json"


def write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def flatten_optimizer(name: str, optim: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, JSON index) of an optimizer's state dict."""
    sd = optim.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict] = {}
    for pid, state in sd["state"].items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"opt/{name}/{pid}/{key}"] = value
            else:
                plain.setdefault(str(pid), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "plain": plain}


def restore_optimizer(name: str, optim: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], index: dict) -> None:
    state: dict[int, dict] = {}
    prefix = f"opt/{name}/"
    for key, value in tensors.items():
        if key.startswith(prefix):
            pid, field = key[len(prefix):].split("/", 1)
            state.setdefault(int(pid), {})[field] = value
    for pid, values in index["plain"].items():
        state.setdefault(int(pid), {}).update(values)
    optim.load_state_dict({"state": state, "param_groups": index["param_groups"]})


def save_checkpoint(out_dir: Path, step: int, nets: dict[str, torch.nn.Module],
                    optims: dict[str, torch.optim.Optimizer], info: dict) -> Path:
    """Write the checkpoint for ``step``; ``info`` (JSON-able) is stored beside it. Returns the weights path."""
    tensors: dict[str, torch.Tensor] = {}
    for name, net in nets.items():
        tensors.update({f"{name}/{k}": v for k, v in net.state_dict().items()})
    index = {}
    for name, optim in optims.items():
        t, index[name] = flatten_optimizer(name, optim)
        tensors.update(t)
    tensors["rng/cpu"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["rng/cuda"] = torch.cuda.get_rng_state()
    weights = out_dir / WEIGHTS_NAME
    save_safetensors(tensors, weights, metadata={"step": str(step), "format": "GenAI Studio art checkpoint"})
    write_json_atomic(out_dir / INDEX_NAME, {**info, "step": step, "optimizers": index})
    return weights


def read_checkpoint_info(out_dir: Path) -> dict | None:
    path = out_dir / INDEX_NAME
    if not path.exists() or not (out_dir / WEIGHTS_NAME).exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"the checkpoint index {path} is unreadable ({exc}); start a new run without resume") from exc


def load_checkpoint(out_dir: Path, info: dict, nets: dict[str, torch.nn.Module],
                    optims: dict[str, torch.optim.Optimizer]) -> None:
    """Load the networks, optimizers and RNG state saved by :func:`save_checkpoint` into the given objects."""
    from genai_studio.engines.art.generators import read_metadata

    weights = out_dir / WEIGHTS_NAME
    if read_metadata(weights).get("step") != str(info["step"]):
        raise BadInput(f"{weights} and {INDEX_NAME} are from different steps (interrupted while saving?); "
                       f"start a new run without resume")
    tensors = load_state_dict(weights)
    for name, net in nets.items():
        prefix = f"{name}/"
        net.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    for name, optim in optims.items():
        restore_optimizer(name, optim, tensors, info["optimizers"][name])
    torch.set_rng_state(tensors["rng/cpu"])
    if "rng/cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng/cuda"])
