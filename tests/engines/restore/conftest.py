"""Shared fixtures: held-out photos (skimage.data, offline) and a random-init same-size spandrel model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genai_studio.core.media import ImageBuffer


def photo(name: str = "coffee", side: int = 96) -> np.ndarray:
    """(side, side, 3) uint8 centre crop of a bundled skimage photo."""
    from skimage import data

    img = getattr(data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=2)
    h, w = img.shape[:2]
    y, x = (h - side) // 2, (w - side) // 2
    return np.ascontiguousarray(img[y:y + side, x:x + side, :3])


@pytest.fixture
def coffee() -> ImageBuffer:
    return ImageBuffer(photo("coffee"), "coffee")


def write_random_model(folder: Path, model_id: str = "test-denoise", task: str = "denoise",
                       tags: tuple[str, ...] = ()) -> Path:
    """A random-init RealESRGAN Compact x1 saved as safetensors plus its manifest; returns the manifest path."""
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact

    torch.manual_seed(0)
    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=1)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(folder / f"{model_id}.safetensors"))
    manifest = {
        "id": model_id, "name": model_id, "family": "restore", "task": task, "architecture": "RealESRGAN Compact",
        "files": [{"name": f"{model_id}.safetensors"}], "source": {"kind": "trained"}, "license": "test",
        "scale": 1, "defaults": {"default_for_task": True}, "tags": list(tags),
    }
    path = folder / f"{model_id}.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


@pytest.fixture
def model_dir(tmp_path) -> Path:
    folder = tmp_path / "models"
    write_random_model(folder)
    return folder
