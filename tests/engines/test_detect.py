"""Architecture detection with spandrel on random-init models saved to disk."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from spandrel.architectures.Compact import Compact
from spandrel.architectures.ESRGAN import ESRGAN
from spandrel.architectures.SPAN import SPAN
from spandrel.architectures.SwinIR import SwinIR

from genai_studio.core.errors import ModelError, UnsafeModelFile
from genai_studio.engines.loading import load_state_dict
from genai_studio.engines.restore.detect import describe_model_file, load_spandrel_model

# (builder, expected architecture name, expected scale, expected purpose)
CASES = {
    "esrgan-x2": (lambda: ESRGAN(in_nc=3, out_nc=3, num_filters=16, num_blocks=1, scale=2), "ESRGAN", 2, "SR"),
    "esrgan-x4": (lambda: ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=4), "ESRGAN", 4, "SR"),
    "compact-x3": (
        lambda: Compact(num_in_ch=3, num_out_ch=3, num_feat=16, num_conv=2, upscale=3),
        "RealESRGAN Compact",
        3,
        "SR",
    ),
    "span-x4": (lambda: SPAN(num_in_ch=3, num_out_ch=3, feature_channels=16, upscale=4), "SPAN", 4, "SR"),
    "swinir-x2": (
        lambda: SwinIR(
            img_size=16, in_chans=3, embed_dim=12, depths=[1], num_heads=[2], window_size=4,
            upscale=2, upsampler="pixelshuffledirect",
        ),
        "SwinIR",
        2,
        "SR",
    ),
    "swinir-x1": (
        lambda: SwinIR(img_size=16, in_chans=3, embed_dim=12, depths=[1], num_heads=[2], window_size=4, upscale=1),
        "SwinIR",
        1,
        "Restoration",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", [".pth", ".safetensors"])
def test_random_init_architectures_are_detected(tmp_path, case, fmt):
    build, arch, scale, purpose = CASES[case]
    torch.manual_seed(0)
    net = build()
    path = tmp_path / f"{case}{fmt}"
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    if fmt == ".pth":
        torch.save(state, path)
    else:
        save_file(state, str(path))

    info = describe_model_file(path)

    assert info["architecture"] == arch
    assert info["scale"] == scale
    assert info["purpose"] == purpose
    assert info["task"] == ("upscale" if scale > 1 else "restore")
    assert info["input_channels"] == 3 and info["output_channels"] == 3
    assert info["parameters"] == sum(p.numel() for p in net.parameters())
    assert info["tiling"] in ("supported", "discouraged", "internal")
    assert set(info["size_requirements"]) == {"minimum", "multiple_of", "square"}
    json.dumps(info)  # plain data only: it is written into manifests and CLI output


def test_load_spandrel_model_runs_and_accepts_state_dicts(tmp_path):
    torch.manual_seed(0)
    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=1, upscale=2)
    path = tmp_path / "compact.pth"
    torch.save({"params": net.state_dict()}, path)

    model = load_spandrel_model(path)
    with torch.no_grad():
        out = model(torch.rand(1, 3, 8, 10))  # (B, C, H, W)
    assert out.shape == (1, 3, 16, 20)
    assert not model.model.training

    from_dict = load_spandrel_model(net.state_dict())
    assert from_dict.scale == 2


def test_non_model_state_dict_is_refused(tmp_path):
    path = tmp_path / "classifier.pth"
    torch.save({"encoder.fc1.weight": torch.randn(10, 5), "encoder.fc1.bias": torch.randn(10)}, path)
    with pytest.raises(ModelError, match="not a restoration model spandrel recognises"):
        describe_model_file(path)


def test_detection_goes_through_safe_loading(tmp_path):
    marker = tmp_path / "MARKER"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch '{marker}'",))

    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"params": {"w": 1}, "x": Payload()}, protocol=2))
    with pytest.raises(UnsafeModelFile):
        describe_model_file(path)
    assert not marker.exists()


def test_span_convolutions_are_folded_once_with_the_same_output():
    from spandrel import ModelLoader

    from genai_studio.engines.restore.reparam import fold_reparameterized_convs

    # the shipped faithful x4 (SPAN): its 20 Conv3XC layers carry their training branches in the file
    weights = Path(__file__).parents[2] / "genai_studio" / "models" / "restore-faithful-x4.safetensors"
    state = {k: v.float() for k, v in load_state_dict(weights).items()}
    folded = load_spandrel_model(state).model
    convs = [m for m in folded.modules() if type(m).__name__ == "Conv3XC"]
    assert len(convs) == 20 and all("forward" in vars(m) for m in convs)
    unfolded = ModelLoader(device="cpu").load_from_state_dict(state).model.eval()  # spandrel folds per call
    assert fold_reparameterized_convs(ModelLoader(device="cpu").load_from_state_dict(state).model.eval()) == 20

    x = torch.rand(1, 3, 24, 20, generator=torch.Generator().manual_seed(0))  # (B, C, H, W) in 0–1
    with torch.no_grad():
        expected = unfolded(x)
        assert expected.shape == (1, 3, 96, 80)
        torch.testing.assert_close(folded(x), expected, atol=2e-5, rtol=0)
        # the folded layers no longer read the training branches: changing them leaves the output alone
        for m in convs:
            m.conv[1].weight.zero_()
        torch.testing.assert_close(folded(x), expected, atol=2e-5, rtol=0)
