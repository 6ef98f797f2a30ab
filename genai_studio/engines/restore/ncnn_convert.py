"""Convert ncnn ``.param``/``.bin`` networks into PyTorch state dicts.

The Real-ESRGAN weights we ship come from a registry package as ncnn files. The ``.param`` file is
text: a magic line, "layer_count blob_count", then one line per layer
``Type Name n_in n_out in_blobs… out_blobs… k=v …``. The ``.bin`` file holds, in layer order,
each layer's weights: for Convolution a 4-byte tag (0x01306B47 = fp16 follows, 0 = fp32) then
``6=`` weight values (aligned to 4 bytes), then ``0=`` fp32 biases when ``5=1``; for PReLU ``0=``
fp32 slopes. Layers such as Split, Concat, Interp, PixelShuffle or Eltwise carry no weights.

Conversion fills the parameters of a matching PyTorch module in module order and checks that every
shape matches and that the ``.bin`` file is consumed exactly, so a wrong architecture cannot slip by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genai_studio.core.errors import ModelError

PARAM_MAGIC = 7767517
TAG_FP16 = 0x01306B47
TAG_FP32 = 0
TAG_INT8 = 0x000D4B38
WEIGHTLESS_LAYERS = {
    "Input", "Split", "Concat", "Interp", "PixelShuffle", "BinaryOp", "Eltwise", "ReLU", "Sigmoid",
    "Crop", "Padding", "Reshape", "Permute", "Flatten", "Noop",
}


@dataclass(frozen=True)
class NcnnLayer:
    type: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)

    def int_param(self, key: str, default: int = 0) -> int:
        return int(self.params.get(key, default))


@dataclass(frozen=True)
class NcnnWeights:
    """Weights read from a ``.bin`` in file order: ("conv", weight, bias) or ("prelu", slopes)."""

    layer: NcnnLayer
    weight: np.ndarray  # Convolution: (out, in, kh, kw) float32; PReLU: (channels,) float32
    bias: np.ndarray | None = None  # (out,) float32


def parse_param(path: Path) -> list[NcnnLayer]:
    lines = [ln.strip() for ln in Path(path).read_text(encoding="ascii").splitlines() if ln.strip()]
    if not lines or lines[0] != str(PARAM_MAGIC):
        raise ModelError(f"{Path(path).name} is not an ncnn .param file (bad magic line)")
    layer_count = int(lines[1].split()[0])
    layers = []
    for line in lines[2:]:
        parts = line.split()
        kind, name, n_in, n_out = parts[0], parts[1], int(parts[2]), int(parts[3])
        blobs = parts[4:4 + n_in + n_out]
        params = dict(p.split("=", 1) for p in parts[4 + n_in + n_out:])
        layers.append(NcnnLayer(kind, name, tuple(blobs[:n_in]), tuple(blobs[n_in:]), params))
    if len(layers) != layer_count:
        raise ModelError(f"{Path(path).name}: header says {layer_count} layers, found {len(layers)}")
    return layers


class _BinReader:
    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.pos = 0
        self.name = name

    def _take(self, nbytes: int) -> bytes:
        if self.pos + nbytes > len(self.data):
            raise ModelError(f"{self.name} ends early: wanted {nbytes} bytes at offset {self.pos}")
        chunk = self.data[self.pos:self.pos + nbytes]
        self.pos += nbytes
        return chunk

    def raw_fp32(self, count: int) -> np.ndarray:
        return np.frombuffer(self._take(4 * count), dtype="<f4").copy()

    def tagged(self, count: int) -> np.ndarray:
        """A weight blob prefixed with its storage tag; returns float32."""
        tag = int(np.frombuffer(self._take(4), dtype="<u4")[0])
        if tag == TAG_FP16:
            values = np.frombuffer(self._take(2 * count), dtype="<f2").astype(np.float32)
            self._take((4 - (2 * count) % 4) % 4)  # fp16 blobs are padded to 4-byte alignment
            return values
        if tag == TAG_FP32:
            return self.raw_fp32(count)
        if tag == TAG_INT8:
            raise ModelError(f"{self.name}: int8-quantized ncnn weights are not supported")
        raise ModelError(f"{self.name}: unknown ncnn weight tag 0x{tag:08X} at offset {self.pos - 4}")

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos


def read_weights(layers: list[NcnnLayer], bin_path: Path) -> list[NcnnWeights]:
    reader = _BinReader(Path(bin_path).read_bytes(), Path(bin_path).name)
    out: list[NcnnWeights] = []
    for layer in layers:
        if layer.type == "Convolution":
            out_ch, kernel = layer.int_param("0"), layer.int_param("1")
            count = layer.int_param("6")
            in_ch = count // (out_ch * kernel * kernel)
            if in_ch * out_ch * kernel * kernel != count:
                raise ModelError(f"{layer.name}: weight count {count} does not fit {out_ch}x?x{kernel}x{kernel}")
            weight = reader.tagged(count).reshape(out_ch, in_ch, kernel, kernel)
            bias = reader.raw_fp32(out_ch) if layer.int_param("5") else None
            out.append(NcnnWeights(layer, weight, bias))
        elif layer.type == "PReLU":
            out.append(NcnnWeights(layer, reader.raw_fp32(layer.int_param("0"))))
        elif layer.type not in WEIGHTLESS_LAYERS:
            raise ModelError(f"{layer.name}: ncnn layer type {layer.type} is not supported by the converter")
    if reader.remaining:
        raise ModelError(f"{reader.name}: {reader.remaining} bytes left after the last layer — wrong .param?")
    return out


def fill_module(module: nn.Module, weights: list[NcnnWeights]) -> dict[str, torch.Tensor]:
    """Copy ncnn weights into ``module``'s Conv2d/PReLU parameters in module order; return its state dict."""
    targets = [m for m in module.modules() if isinstance(m, (nn.Conv2d, nn.PReLU))]
    if len(targets) != len(weights):
        raise ModelError(f"architecture has {len(targets)} conv/PReLU layers but the ncnn file has {len(weights)}")
    with torch.no_grad():
        for target, src in zip(targets, weights):
            expected_kind = "Convolution" if isinstance(target, nn.Conv2d) else "PReLU"
            if src.layer.type != expected_kind:
                raise ModelError(f"{src.layer.name} is a {src.layer.type}, expected {expected_kind}")
            if tuple(target.weight.shape) != src.weight.shape:
                raise ModelError(
                    f"{src.layer.name}: shape {src.weight.shape} does not match {tuple(target.weight.shape)}"
                )
            target.weight.copy_(torch.from_numpy(src.weight))
            if isinstance(target, nn.Conv2d):
                if (target.bias is None) != (src.bias is None):
                    raise ModelError(f"{src.layer.name}: bias presence differs from the architecture")
                if target.bias is not None:
                    target.bias.copy_(torch.from_numpy(src.bias))
    return {k: v.detach().clone().contiguous() for k, v in module.state_dict().items()}


def convert(param_path: Path, bin_path: Path, module: nn.Module) -> dict[str, torch.Tensor]:
    """Full conversion: parse, read, fill; raises ModelError on any mismatch."""
    layers = parse_param(param_path)
    return fill_module(module, read_weights(layers, bin_path))
