"""Recognise a restoration model from its weights alone, with spandrel.

Files are always read through :mod:`genai_studio.engines.loading` (safetensors or the weights-only
unpickler), never through spandrel's own file loader, so there is exactly one place that decides what
is safe to open.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genai_studio.core.errors import ModelError
from genai_studio.engines.loading import load_state_dict

if TYPE_CHECKING:
    import torch
    from spandrel import ImageModelDescriptor, ModelDescriptor

# spandrel purpose → the task a model serves in this app
_TASK_BY_PURPOSE = {"SR": "upscale", "FaceSR": "upscale", "Restoration": "restore", "Inpainting": "inpaint"}


def describe_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What a weight file is, as plain JSON-able data (no tensors, nothing torch-specific).

    Keys: architecture, architecture_id, purpose, task, scale, input_channels, output_channels,
    size_requirements {minimum, multiple_of, square}, tiling ("supported" | "discouraged" | "internal"),
    supports_half, supports_bfloat16, tags, parameters (count).
    """
    descriptor = _load_descriptor(path)
    return describe_descriptor(descriptor)


def describe_descriptor(descriptor: ModelDescriptor) -> dict[str, Any]:
    size = descriptor.size_requirements
    purpose = str(descriptor.purpose)
    # Inpainting models have no scale of their own; spandrel reports 1 for them.
    scale = int(getattr(descriptor, "scale", 1))
    return {
        "architecture": descriptor.architecture.name,
        "architecture_id": str(descriptor.architecture.id),
        "purpose": purpose,
        "task": "upscale" if scale > 1 else _TASK_BY_PURPOSE.get(purpose, "restore"),
        "scale": scale,
        "input_channels": int(descriptor.input_channels),
        "output_channels": int(descriptor.output_channels),
        "size_requirements": {
            "minimum": int(size.minimum),
            "multiple_of": int(size.multiple_of),
            "square": bool(size.square),
        },
        "tiling": descriptor.tiling.name.lower(),
        "supports_half": bool(descriptor.supports_half),
        "supports_bfloat16": bool(descriptor.supports_bfloat16),
        "tags": [str(t) for t in descriptor.tags],
        "parameters": int(sum(p.numel() for p in descriptor.model.parameters())),
    }


def load_spandrel_model(source: str | os.PathLike[str] | Mapping[str, torch.Tensor]) -> ImageModelDescriptor:
    """A CPU, eval-mode spandrel image model (image in, image out) from a file or a state dict, for inference:
    re-parameterised convolutions (SPAN) are folded once here instead of on every call.

    Inpainting models, which need a mask as a second input, are refused with a ModelError.
    """
    from spandrel import ImageModelDescriptor

    from genai_studio.engines.restore.reparam import fold_reparameterized_convs

    descriptor = _load_descriptor(source)
    if not isinstance(descriptor, ImageModelDescriptor):
        raise ModelError(
            f"{_label(source)} is a {descriptor.architecture.name} {descriptor.purpose} model, which needs a "
            "mask as well as an image; it cannot be used for upscaling or restoration."
        )
    fold_reparameterized_convs(descriptor.model)
    return descriptor


class RgbMaskInpainter:
    """A same-size network with 4 channels in (RGB with the hole prefilled classically, then the hole mask) whose
    channels 0–2 out are the fill: how the project's own inpainting model is called (``train restore --task
    inpaint``). Called like a spandrel masked-image model, (image (1, 3, H, W), mask (1, 1, H, W), 1 = fill) →
    (1, 3, H, W) with the known pixels kept from ``image``, except that ``image`` must already hold the prefill
    inside the hole (``prefill = True``; the engine does it with the membrane fill)."""

    prefill = True

    input_channels = output_channels = 3

    def __init__(self, descriptor: ImageModelDescriptor) -> None:
        self.descriptor = descriptor
        self.model = descriptor.model
        self.architecture = descriptor.architecture

    def __call__(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        import torch

        fill = self.descriptor(torch.cat([image, mask], dim=1))[:, :3]
        return fill * mask + image * (1 - mask)


def load_inpainting_model(source: str | os.PathLike[str] | Mapping[str, torch.Tensor]):
    """A CPU, eval-mode inpainting model called as ``model(image, mask)``: a spandrel masked-image model (e.g.
    LaMa) or a 4-channel same-size one (:class:`RgbMaskInpainter`).

    Other image-to-image models (upscalers, denoisers) are refused with a ModelError: they cannot be told where
    the hole is.
    """
    from spandrel import ImageModelDescriptor, MaskedImageModelDescriptor

    descriptor = _load_descriptor(source)
    if isinstance(descriptor, MaskedImageModelDescriptor):
        return descriptor
    if isinstance(descriptor, ImageModelDescriptor) and descriptor.scale == 1 and descriptor.input_channels == 4 \
            and descriptor.output_channels in (3, 4):
        return RgbMaskInpainter(descriptor)
    raise ModelError(
        f"{_label(source)} is a {descriptor.architecture.name} {descriptor.purpose} model, not an inpainting "
        "model: it takes no mask, so it cannot fill a hole."
    )


def _load_descriptor(source: str | os.PathLike[str] | Mapping[str, torch.Tensor]) -> ModelDescriptor:
    from spandrel import ModelLoader, UnsupportedModelError

    if isinstance(source, Mapping):
        state = dict(source)
    else:
        state = load_state_dict(source)
    try:
        descriptor = ModelLoader(device="cpu").load_from_state_dict(state)
    except UnsupportedModelError as exc:
        raise ModelError(
            f"{_label(source)} is not a restoration model spandrel recognises "
            f"(no known architecture matches its {len(state)} weight tensors)."
        ) from exc
    except (RuntimeError, KeyError, ValueError, TypeError, AssertionError, IndexError) as exc:
        # Detection matched on key names but the shapes do not fit: a damaged or hand-edited file.
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"{_label(source)} looks like a known architecture but its weights do not fit it ({detail})."
        ) from exc
    return descriptor.eval()


def _label(source: object) -> str:
    if isinstance(source, Mapping):
        return "This state dict"
    return f"'{Path(os.fspath(source)).name}'"  # type: ignore[arg-type]
