"""Style transfer with the real bundled networks on small images: styles, strength, colours, masks, formats."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import data

from genai_studio.bench.art import chroma_difference
from genai_studio.core.art_jobs import STYLE_NAMES, StyleSpec, style_index
from genai_studio.core.errors import Cancelled, ModelError
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.engines.art.style import run_style
from genai_studio.paths import BUILTIN_MODELS_DIR
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore


@pytest.fixture(scope="module")
def models() -> dict:
    return {e.id: e.paths for e in ModelStore().by_task("style")}


def photo(h: int = 72, w: int = 96, name: str = "astronaut") -> ImageBuffer:
    import cv2

    return ImageBuffer(cv2.resize(getattr(data, name)()[..., :3], (w, h), interpolation=cv2.INTER_AREA), name=name)


def stylize(models, **kw) -> np.ndarray:
    kw.setdefault("image", photo())
    return run_style(StyleSpec(**kw), CancelToken(), models).image.pixels


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def test_every_named_style_changes_the_image_and_each_is_different(models):
    src = photo(48, 64)
    outs = [stylize(models, image=src, style=name) for name in STYLE_NAMES]
    for name, out in zip(STYLE_NAMES, outs):
        assert out.shape == src.pixels.shape and out.dtype == np.uint8
        assert diff(out, src.pixels) > 8, name
    pairwise = [diff(a, b) for i, a in enumerate(outs) for b in outs[i + 1:]]
    assert min(pairwise) > 2  # no two of the 26 styles are the same


def test_strength_zero_is_the_input_and_half_is_in_between(models):
    src = photo()
    assert np.array_equal(stylize(models, image=src, style="ember", strength=0.0), src.pixels)
    full = stylize(models, image=src, style="ember").astype(np.float64)
    half = stylize(models, image=src, style="ember", strength=0.5).astype(np.float64)
    assert np.abs(half - (src.pixels + full) / 2).max() <= 1.0


def test_preserve_colors_keeps_the_content_chroma(models):
    src = photo(96, 96, "coffee")
    plain = stylize(models, image=src, style="indigo-mosaic")
    kept = stylize(models, image=src, style="indigo-mosaic", preserve_colors=True)
    # what is left is gamut clipping: the content's a*b* cannot always be reached at the stylized lightness
    assert chroma_difference(plain, src.pixels) > 40
    assert chroma_difference(kept, src.pixels) < 0.12 * chroma_difference(plain, src.pixels)
    assert diff(kept, src.pixels) > 5  # the brightness pattern of the style is still there


def test_a_mask_limits_the_change_to_the_mask(models):
    src = photo()
    mask = np.zeros((72, 96), np.uint8)
    mask[20:50, 30:70] = 255
    out = stylize(models, image=src, style="bold-primaries", mask=mask)
    changed = np.any(out != src.pixels, axis=2)
    assert changed[25:45, 35:65].mean() > 0.9
    far = np.ones_like(changed)
    far[8:62, 18:82] = False  # more than 12 px (4 σ of the feather) away from the mask
    assert not changed[far].any()


def test_style_from_an_image(models):
    src = photo()
    coffee = stylize(models, image=src, style_image=ImageBuffer(data.coffee(), "coffee"))
    rocket = stylize(models, image=src, style_image=ImageBuffer(data.rocket(), "rocket"))
    assert coffee.shape == src.pixels.shape
    assert diff(coffee, src.pixels) > 8 and diff(coffee, rocket) > 3
    assert np.array_equal(stylize(models, image=src, style_image=ImageBuffer(data.coffee()), strength=0), src.pixels)


@pytest.mark.parametrize("h,w", [(37, 53), (17, 301), (129, 16)])
def test_odd_sizes_come_back_the_same_size(models, h, w):
    src = photo(h, w)
    assert stylize(models, image=src, style="pale-ink").shape == (h, w, 3)
    assert stylize(models, image=src, style_image=photo(40, 40, "chelsea")).shape == (h, w, 3)


def test_grayscale_rgba_and_16_bit_inputs(models):
    gray = np.repeat(data.camera()[::8, ::8, None], 3, axis=2)
    out = stylize(models, image=ImageBuffer(gray, "camera"), style="ember", preserve_colors=True)
    assert np.abs(out.astype(int) - out[..., :1]).max() <= 1  # no colour added to a gray photo
    assert diff(out, gray) > 3
    assert stylize(models, image=ImageBuffer(gray, "camera"), style="ember").std(axis=2).mean() > 3  # painted

    rgba = np.dstack([photo().pixels, np.tile(np.arange(96, dtype=np.uint8) * 2, (72, 1))])
    out = stylize(models, image=ImageBuffer(rgba), style="ember")
    assert out.shape == (72, 96, 4) and np.array_equal(out[..., 3], rgba[..., 3])

    deep = photo().pixels.astype(np.uint16) * 257 + 100
    out = stylize(models, image=ImageBuffer(deep), style="ember")
    assert out.dtype == np.uint16 and diff(out, deep) > 8 * 257
    assert np.array_equal(stylize(models, image=ImageBuffer(deep), style="ember", strength=0), deep)


def test_max_side_sets_the_working_resolution(models):
    src = photo(150, 200)
    low = stylize(models, image=src, style="starry-swirls", max_side=64)
    full = stylize(models, image=src, style="starry-swirls")
    assert low.shape == full.shape == (150, 200, 3)
    assert diff(low, full) > 5


def test_unknown_style_names_a_few_valid_ones():
    with pytest.raises(ValueError) as err:
        StyleSpec(image=photo(), style="starry-swirl")
    assert "did you mean starry-swirls?" in str(err.value) and "soft-pastel" in str(err.value)
    assert style_index("Starry Swirls") == style_index("19") == 19
    with pytest.raises(ValueError, match="exactly one"):
        StyleSpec(image=photo(), style="ember", style_image=photo())
    with pytest.raises(ValueError, match="strength"):
        StyleSpec(image=photo(), style="ember", strength=1.5)
    with pytest.raises(ValueError, match="at least 16"):
        StyleSpec(image=photo(), style_image=ImageBuffer(np.zeros((8, 40, 3), np.uint8)))
    with pytest.raises(ValueError, match="same size"):
        StyleSpec(image=photo(), style="ember", mask=np.full((10, 10), 255, np.uint8))


def test_missing_model_and_cancel(models):
    with pytest.raises(ModelError, match="style-arbitrary"):
        run_style(StyleSpec(image=photo(), style_image=photo()), CancelToken(), {})
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_style(StyleSpec(image=photo(), style="ember"), token, models)


def test_job_runner_runs_it_and_the_manifests_match():
    spec = StyleSpec(image=photo(), style="terracotta")
    result = JobRunner(ModelStore())(spec, CancelToken())
    assert result.image.pixels.shape == (72, 96, 3) and result.device.startswith("cpu")
    assert result.image.metadata["model"] == "style-multistyle26"
    json.dumps(spec.to_json())
    manifest = json.loads((BUILTIN_MODELS_DIR / "style-multistyle26.json").read_text())
    assert tuple(manifest["defaults"]["styles"]) == STYLE_NAMES
    assert dict((i, s) for i, s, _ in ModelStore().verify("style-arbitrary")) == {"style-arbitrary": "ok"}
