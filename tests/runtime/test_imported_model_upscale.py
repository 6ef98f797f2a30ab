"""A user's own model: imported through the store, then used by the upscale job like a built-in one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from spandrel.architectures.SPAN.__arch.span import SPAN

from genai_studio.core.errors import ModelError
from genai_studio.core.jobs import UpscaleSpec
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore


def test_imported_span_x2_upscales(studio_home, tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "my-span-x2.pth"
    torch.save(SPAN(num_in_ch=3, num_out_ch=3, feature_channels=16, upscale=2).state_dict(), path)
    store = ModelStore()
    entry = store.import_file(path)
    assert entry.manifest.architecture == "SPAN" and entry.manifest.scale == 2 and entry.task == "upscale"
    spec = UpscaleSpec(image=ImageBuffer(np.full((20, 24, 3), 100, np.uint8)), model_id=entry.id, scale=2, tile=0)
    result = JobRunner(store)(spec, CancelToken())
    assert result.image.pixels.shape == (40, 48, 3)


def test_imported_model_with_its_file_deleted_is_a_clear_error(studio_home, tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "gone.pth"
    torch.save(SPAN(num_in_ch=3, num_out_ch=3, feature_channels=16, upscale=2).state_dict(), path)
    store = ModelStore()
    entry = store.import_file(path)
    entry.weight_path.unlink()
    spec = UpscaleSpec(image=ImageBuffer(np.zeros((8, 8, 3), np.uint8)), model_id=entry.id, scale=2)
    with pytest.raises(ModelError, match="missing"):
        JobRunner(store)(spec, CancelToken())
