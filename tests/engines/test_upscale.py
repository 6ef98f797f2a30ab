"""The upscale engine with the real converted Real-ESRGAN weights (the fast animevideov3 network)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genai_studio.core.errors import BadInput, Cancelled, ModelError, OutOfMemory
from genai_studio.core.jobs import UpscaleSpec
from genai_studio.core.manifest import read_manifest
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.engines.restore import upscale
from genai_studio.paths import BUILTIN_MODELS_DIR, converted_models_dir


def _image(h=40, w=48, channels=3, dtype=np.uint8) -> ImageBuffer:
    yy, xx = np.mgrid[0:h, 0:w]
    peak = 65535 if dtype == np.uint16 else 255
    planes = [128 + 90 * np.sin(xx / 6.0), 128 + 90 * np.cos(yy / 8.0), 128 + 60 * np.sin((xx + yy) / 9.0),
              np.full(xx.shape, 200.0)][:channels]  # smooth content: an upscaler must keep it
    pixels = (np.stack(planes, 2) / 255.0 * peak).astype(dtype)
    return ImageBuffer(pixels, "test")


def _run(spec: UpscaleSpec, token: CancelToken | None = None):
    manifest = read_manifest(BUILTIN_MODELS_DIR / f"{spec.model_id}.json")
    return upscale.run_upscale(spec, token or CancelToken(), manifest, converted_models_dir() / manifest.files[0].name)


@pytest.mark.parametrize("model_id,scale", [("realesr-animevideov3-x2", 2), ("realesr-animevideov3-x3", 3),
                                            ("realesr-animevideov3-x4", 4), ("realesr-animevideov3-x4", 2)])
def test_output_size_and_content(model_id, scale):
    source = _image()
    result = _run(UpscaleSpec(image=source, model_id=model_id, scale=scale, tile=0))
    out = result.image
    assert (out.height, out.width) == (40 * scale, 48 * scale)
    assert out.pixels.dtype == np.uint8
    # the content survives: shrunk back, it correlates with the source (anime models restyle tones, so
    # no tight per-pixel bound; measured r ≈ 0.99 and mean |error| ≈ 11/255 on this synthetic image)
    back = torch.nn.functional.interpolate(torch.from_numpy(out.to_float()).permute(2, 0, 1)[None],
                                           size=(40, 48), mode="area")[0].permute(1, 2, 0).numpy()
    assert np.corrcoef(back.ravel(), source.to_float().ravel())[0, 1] > 0.95
    assert np.abs(back - source.to_float()).mean() < 16 / 255


def test_tiled_matches_untiled_within_one_level():
    source = _image(72, 80)
    whole = _run(UpscaleSpec(image=source, model_id="realesr-animevideov3-x4", scale=4, tile=0)).image.pixels
    tiled = _run(UpscaleSpec(image=source, model_id="realesr-animevideov3-x4", scale=4, tile=32)).image.pixels
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1


def test_alpha_and_16_bit_are_kept():
    result = _run(UpscaleSpec(image=_image(channels=4, dtype=np.uint16), model_id="realesr-animevideov3-x2", scale=2))
    assert result.image.pixels.shape == (80, 96, 4)
    assert result.image.pixels.dtype == np.uint16
    alpha = result.image.pixels[..., 3].astype(float) / 65535
    assert abs(alpha.mean() - 200 / 255) < 0.01


def test_cancel_mid_job_raises_cancelled():
    def cancel_on_second_tile(fraction, message, preview):
        if message.startswith("tile 2/"):
            token.cancel()

    token = CancelToken(cancel_on_second_tile)
    with pytest.raises(Cancelled):
        _run(UpscaleSpec(image=_image(96, 96), model_id="realesr-animevideov3-x4", scale=4, tile=32), token)


def test_output_beyond_the_limit_is_refused_before_work():
    huge = ImageBuffer(np.zeros((5000, 5000, 3), np.uint8), "huge")
    with pytest.raises(BadInput, match="beyond the 16384"):
        _run(UpscaleSpec(image=huge, model_id="realesr-animevideov3-x4", scale=4))


def test_wrong_scale_in_manifest_is_a_model_error(tmp_path):
    manifest = read_manifest(BUILTIN_MODELS_DIR / "realesr-animevideov3-x4.json")
    weights = converted_models_dir() / manifest.files[0].name
    _run(UpscaleSpec(image=_image(), model_id="realesr-animevideov3-x4", scale=4))  # make sure it is converted
    import dataclasses

    lying = dataclasses.replace(manifest, scale=2, source=dataclasses.replace(manifest.source, kind="imported"))
    with pytest.raises(ModelError, match="x4 .* manifest says x2"):
        upscale.run_upscale(UpscaleSpec(image=_image(), model_id="x", scale=2), CancelToken(), lying, weights)


def test_cuda_oom_halves_tiles_then_falls_back_to_cpu():
    calls: list[tuple[str, int]] = []

    def attempt(device, tile):
        calls.append((device.type, tile))
        if device.type == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "ok"

    notes: list[str] = []
    result, device = upscale.with_oom_fallback(attempt, torch.device("cuda"), 256, 1000, notes, "test")
    assert result == "ok" and device.type == "cpu"
    assert calls == [("cuda", 256), ("cuda", 128), ("cuda", 64), ("cpu", upscale.DEFAULT_CPU_TILE)]
    assert notes[-1].endswith("finished on the CPU")


def test_cpu_oom_is_a_clear_out_of_memory_error():
    def attempt(device, tile):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1e12 bytes. out of memory")

    with pytest.raises(OutOfMemory, match="smaller tile size"):
        upscale.with_oom_fallback(attempt, torch.device("cpu"), 256, 1000, [], "test")


def test_cuda_requested_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    from genai_studio.core.errors import DeviceUnavailable

    with pytest.raises(DeviceUnavailable, match="no NVIDIA GPU"):
        _run(UpscaleSpec(image=_image(), model_id="realesr-animevideov3-x2", scale=2, device="cuda"))
