"""The ncnn → PyTorch converter, checked against the ncnn runtime's own output on a test image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import read_manifest
from genai_studio.engines.loading import sha256_file
from genai_studio.engines.restore import realesrgan
from genai_studio.engines.restore.ncnn_convert import convert, parse_param, read_weights
from genai_studio.paths import BUILTIN_MODELS_DIR

ncnn = pytest.importorskip("ncnn")


def _test_image(h: int = 40, w: int = 36) -> np.ndarray:
    """(3, H, W) float32 in [0, 1]: gradients, a pattern and noise, so every filter is exercised."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([xx / w, yy / h, 0.5 + 0.5 * np.sin(xx / 5.0) * np.cos(yy / 7.0)])
    noise = np.random.default_rng(0).normal(0, 0.05, img.shape)
    return np.clip(img + noise, 0, 1).astype(np.float32)


def _ncnn_output(stem: str, image: np.ndarray) -> np.ndarray:
    models = realesrgan.package_models_dir()
    net = ncnn.Net()
    net.load_param(str(models / f"{stem}.param"))
    net.load_model(str(models / f"{stem}.bin"))
    extractor = net.create_extractor()
    extractor.input("data", ncnn.Mat(image))
    ret, out = extractor.extract("output")
    assert ret == 0
    return np.array(out)


@pytest.mark.parametrize(
    "stem,arch,resize",
    [
        ("REALESRGAN_ANIMAVIDEOV3_UP4X", "REALESRGAN_ANIMAVIDEOV3_UP4X", 1.0),
        ("REALESRGAN_ANIMAVIDEOV3_UP2X", "REALESRGAN_ANIMAVIDEOV3_UP4X", 0.5),
        ("REALESRGAN_ANIMAVIDEOV3_UP3X", "REALESRGAN_ANIMAVIDEOV3_UP4X", 0.75),
        ("REALESRGAN_X4PLUSANIME_UP4X", "REALESRGAN_X4PLUSANIME_UP4X", 1.0),
        ("REALESRGAN_X4PLUS_UP4X", "REALESRGAN_X4PLUS_UP4X", 1.0),
    ],
)
def test_converted_network_matches_ncnn_runtime(stem, arch, resize):
    models = realesrgan.package_models_dir()
    module = realesrgan.ARCHITECTURES[arch]()
    module.load_state_dict(convert(models / f"{stem}.param", models / f"{stem}.bin", realesrgan.ARCHITECTURES[arch]()))
    image = _test_image()
    with torch.no_grad():
        ours = module.eval()(torch.from_numpy(image)[None])
        if resize != 1.0:
            ours = F.interpolate(ours, scale_factor=resize, mode="bicubic", align_corners=False)
    ours = ours[0].numpy()
    reference = _ncnn_output(stem, image)
    assert ours.shape == reference.shape
    # measured: max |diff| ≤ 3.5e-6 on all five (fp16 weights → fp32 either way)
    assert np.abs(ours - reference).max() < 1e-4


@pytest.mark.parametrize("model_id", ["realesr-animevideov3-x4", "realesrgan-x4plus-anime"])
def test_conversion_is_deterministic_and_matches_manifest_sha256(tmp_path, model_id):
    manifest = read_manifest(BUILTIN_MODELS_DIR / f"{model_id}.json")
    target = realesrgan.ensure_converted(manifest, tmp_path)
    assert sha256_file(target) == manifest.files[0].sha256


def test_tampered_cache_file_is_reconverted(tmp_path):
    manifest = read_manifest(BUILTIN_MODELS_DIR / "realesr-animevideov3-x2.json")
    target = realesrgan.ensure_converted(manifest, tmp_path)
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    assert realesrgan.ensure_converted(manifest, tmp_path) == target
    assert sha256_file(target) == manifest.files[0].sha256


def test_truncated_bin_is_a_clear_model_error(tmp_path):
    models = realesrgan.package_models_dir()
    stem = "REALESRGAN_ANIMAVIDEOV3_UP4X"
    short = tmp_path / "short.bin"
    short.write_bytes((models / f"{stem}.bin").read_bytes()[:-100])
    with pytest.raises(ModelError, match="ends early"):
        read_weights(parse_param(models / f"{stem}.param"), short)


def test_weights_for_another_architecture_are_refused():
    models = realesrgan.package_models_dir()
    stem = "REALESRGAN_ANIMAVIDEOV3_UP4X"
    with pytest.raises(ModelError, match="conv/PReLU layers"):
        convert(models / f"{stem}.param", models / f"{stem}.bin", realesrgan.ARCHITECTURES["REALESRGAN_X4PLUSANIME_UP4X"]())


def test_not_an_ncnn_param_file(tmp_path):
    bogus = tmp_path / "x.param"
    bogus.write_text("hello\n")
    with pytest.raises(ModelError, match="not an ncnn .param"):
        parse_param(bogus)
