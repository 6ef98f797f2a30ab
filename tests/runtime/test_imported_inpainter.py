"""A community inpainting model (LaMa) imported through the store fills holes and scratches, in the job and the CLI.

The LaMa here is spandrel's architecture with seeded random weights (a real LaMa checkpoint is 200 MB and not on
any registry): what is tested is everything around the network — detection, the window it sees, that only the
hole changes, the shrink for large holes, defaults, refusals.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from genai_studio.core.errors import ModelError
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.core.restore_jobs import RestoreSpec
from genai_studio.engines.restore import inpaint_model
from genai_studio.engines.restore.detect import load_inpainting_model
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore
from tests.engines.restore.conftest import photo


@pytest.fixture(scope="module")
def lama_file(tmp_path_factory):
    """A random-init spandrel LaMa saved as fp16 safetensors (about 100 MB as float32, so half that)."""
    from safetensors.torch import save_file
    from spandrel.architectures.LaMa import LaMa

    torch.manual_seed(0)
    net = LaMa(in_nc=4, out_nc=3)
    path = tmp_path_factory.mktemp("lama") / "big-lama.safetensors"
    save_file({k: v.detach().half().contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


@pytest.fixture
def store_with_lama(studio_home, lama_file):
    store = ModelStore()
    return store, store.import_file(lama_file)


def _hole(side: int, box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros((side, side), np.uint8)
    y0, y1, x0, x1 = box
    mask[y0:y1, x0:x1] = 255
    return mask


def test_imported_lama_is_an_inpainter_and_fills_only_the_hole(store_with_lama):
    store, entry = store_with_lama
    assert entry.manifest.architecture == "LaMa" and entry.task == "inpaint"
    pixels = photo("coffee", 200)
    mask = _hole(200, (90, 110, 80, 120))
    result = JobRunner(store)(RestoreSpec(image=ImageBuffer(pixels, "coffee"), task="inpaint", mask=mask,
                                          model_id=entry.id), CancelToken())
    out = result.image.pixels
    hole = mask > 127
    assert out.shape == pixels.shape
    np.testing.assert_array_equal(out[~hole], pixels[~hole])  # known pixels exactly as they were
    # the hole holds the network's fill of the window around it (hole box + a 64 px margin)
    rows, cols = inpaint_model.hole_window(hole)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (26, 174, 16, 184)
    descriptor = load_inpainting_model(entry.weight_path)
    window = torch.from_numpy(pixels[rows, cols].astype(np.float32).transpose(2, 0, 1) / 255)[None]
    with torch.inference_mode():
        expected = descriptor(window, torch.from_numpy(hole[rows, cols].astype(np.float32))[None, None])
    expected = (expected[0].permute(1, 2, 0).numpy() * 255)[hole[rows, cols]]
    assert np.abs(out[hole].astype(np.float32) - expected).max() <= 1.0
    assert result.image.metadata["model"] == entry.id


def test_a_hole_too_large_for_one_pass_is_filled_smaller_and_scaled_back(store_with_lama, monkeypatch):
    store, entry = store_with_lama
    monkeypatch.setattr(inpaint_model, "MAX_SIDE", 96)
    pixels = photo("astronaut", 160)
    mask = _hole(160, (40, 120, 30, 130))
    result = JobRunner(store)(RestoreSpec(image=ImageBuffer(pixels, "a"), task="inpaint", mask=mask,
                                          model_id=entry.id), CancelToken())
    hole = mask > 127
    assert any("scaled back" in n for n in result.notes)
    np.testing.assert_array_equal(result.image.pixels[~hole], pixels[~hole])
    assert np.abs(result.image.pixels[hole].astype(int) - pixels[hole]).mean() > 0  # it did fill


def test_the_imported_inpainter_is_offered_for_holes_and_scratches(store_with_lama):
    from genai_studio.engines.restore.recipes import resolve_restore_model
    from genai_studio.ui.window_restore import restore_choices

    store, entry = store_with_lama
    # the shipped learned fill stays the default; the imported one is listed beside it for both tasks
    for task in ("inpaint", "scratches"):
        assert resolve_restore_model(store, task, "").model_id == "restore-inpaint"
        assert resolve_restore_model(store, task, entry.id).model_id == entry.id
    choices = restore_choices(store)
    assert [c.id for c in choices["scratches"]] == ["restore-inpaint", entry.id] == [c.id for c in choices["inpaint"]]
    assert entry.id not in [c.id for c in choices["denoise"]]
    pixels = photo("camera", 128)
    pixels[60:62, 10:118] = 255  # a bright scratch across a grayscale photo
    result = JobRunner(store)(RestoreSpec(image=ImageBuffer(pixels, "cam"), task="scratches", model_id=entry.id),
                              CancelToken())
    found = result.image.metadata["defect_mask"] > 0
    assert found[60:62, 20:108].mean() > 0.9
    np.testing.assert_array_equal(result.image.pixels[~found], pixels[~found])


def test_wrong_kind_of_model_for_the_task_is_refused(store_with_lama, tmp_path):
    from spandrel.architectures.SPAN.__arch.span import SPAN

    store, lama = store_with_lama
    pixels = photo("coffee", 64)
    with pytest.raises(ModelError, match="not a denoise model"):
        JobRunner(store)(RestoreSpec(image=ImageBuffer(pixels), task="denoise", model_id=lama.id), CancelToken())
    torch.manual_seed(0)
    torch.save(SPAN(num_in_ch=3, num_out_ch=3, feature_channels=16, upscale=1).state_dict(), tmp_path / "d.pth")
    same_size = store.import_file(tmp_path / "d.pth")
    with pytest.raises(ModelError, match="not an inpainting model"):
        JobRunner(store)(RestoreSpec(image=ImageBuffer(pixels), task="inpaint", mask=_hole(64, (10, 20, 10, 20)),
                                     model_id=same_size.id), CancelToken())
    with pytest.raises(ModelError, match="takes no mask"):
        load_inpainting_model(same_size.weight_path)


def test_cli_inpaints_with_the_imported_model(store_with_lama, tmp_path):
    from genai_studio.cli import main

    _, entry = store_with_lama
    src, mask_path, out = tmp_path / "in.png", tmp_path / "m.png", tmp_path / "out.png"
    Image.fromarray(photo("chelsea", 96)).save(src)
    Image.fromarray(_hole(96, (40, 56, 30, 60))).save(mask_path)
    assert main(["restore", str(src), "-o", str(out), "--task", "inpaint", "--mask", str(mask_path),
                 "--model", entry.id, "--quiet"]) == 0
    filled = np.asarray(Image.open(out))
    assert filled.shape == (96, 96, 3)
    assert not np.array_equal(filled[40:56, 30:60], photo("chelsea", 96)[40:56, 30:60])


def test_bench_restore_scores_the_imported_inpainter_beside_the_classical_fills(store_with_lama):
    from genai_studio.bench.restore import bench_restore

    _, entry = store_with_lama
    report = bench_restore(size=64, images=("coffee",))
    for holes in report["inpaint"].values():
        assert set(holes) == {"membrane", "classical-telea", "classical-ns", "restore-inpaint", entry.id}
        assert all(0 < row["psnr_in_mask"] < 99 for row in holes.values())
    assert f"inpaint:{entry.id}" in report["seconds_per_megapixel"]
    assert "inpaint:membrane" in report["seconds_per_megapixel"]
    scratches = report["scratches"]
    assert set(scratches["detection"]) == {"sensitivity_0.25", "sensitivity_0.5", "sensitivity_0.75"}
    assert all(0 <= row[k] <= 1 for row in scratches["detection"].values() for k in ("recall", "precision", "f1"))
    assert scratches["repair_psnr"]["damaged_input"] < 99 and "scratches:restore-inpaint" in report[
        "seconds_per_megapixel"]
    x4 = report["upscale_fidelity_x4"]
    # the per-image gains are the mean's parts: one image here, so they must agree to rounding
    assert list(x4["gain_db_per_image"]) == ["coffee"]
    assert abs(x4["gain_db_per_image"]["coffee"] - (x4["model"]["psnr_y"] - x4["bicubic"]["psnr_y"])) < 0.002
    whole = report["upscale_fidelity_x4_whole_photos"]  # the whole 400x600 photo, not the 64 px crop
    assert whole["bicubic"]["psnr_y"] != x4["bicubic"]["psnr_y"] and whole["model"]["psnr_y"] > whole["bicubic"][
        "psnr_y"]
