"""`bench style`: style-transfer speed on CPU and how well "preserve colours" keeps the photo's colour (JSON).

Content photos are skimage.data images (bundled, offline), centre-cropped to a square and resized to
``size``; the style image is another skimage photo. Speed is the median of warm runs (the first run, which
loads the networks, is reported separately). Colour fidelity is the mean CIE a*b* distance (ΔE in the
chroma plane, 0 = identical colour) between the result and the content, with and without preserve colours.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

CONTENT = ("astronaut", "coffee", "chelsea")
STYLE_PHOTO = "rocket"
BENCH_STYLES = ("starry-swirls", "ember", "pencil-sketch")


def _square(name: str, size: int) -> np.ndarray:
    import cv2
    from skimage import data

    img = getattr(data, name)()[..., :3]
    h, w = img.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    return cv2.resize(np.ascontiguousarray(img[y:y + side, x:x + side]), (size, size), interpolation=cv2.INTER_AREA)


def _ab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[..., 1:]  # (H, W, 2)


def chroma_difference(result: np.ndarray, content: np.ndarray) -> float:
    """Mean Euclidean a*b* distance between two (H, W, 3) uint8 RGB images."""
    return float(np.linalg.norm(_ab(result) - _ab(content), axis=2).mean())


def bench_style(size: int = 512, repeats: int = 5, device: str = "cpu") -> dict:
    from genai_studio.core.art_jobs import StyleSpec
    from genai_studio.core.media import ImageBuffer
    from genai_studio.core.progress import CancelToken
    from genai_studio.runtime.job_runner import JobRunner
    from genai_studio.runtime.model_store import ModelStore

    runner = JobRunner(ModelStore())
    content = ImageBuffer(_square(CONTENT[0], size), CONTENT[0])
    style_image = ImageBuffer(_square(STYLE_PHOTO, 512), STYLE_PHOTO)
    megapixels = size * size / 1e6

    def timed(spec: StyleSpec) -> tuple[float, float]:
        first = time.perf_counter()
        runner(spec, CancelToken())
        first = time.perf_counter() - first
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            runner(spec, CancelToken())
            runs.append(time.perf_counter() - started)
        return first, statistics.median(runs)

    speed = {}
    for label, spec in (("named", StyleSpec(image=content, style=BENCH_STYLES[0], device=device)),
                        ("style_image", StyleSpec(image=content, style_image=style_image, device=device))):
        first, warm = timed(spec)
        speed[label] = {"first_run_s": round(first, 4), "seconds": round(warm, 4),
                        "seconds_per_megapixel": round(warm / megapixels, 4)}

    fidelity = []
    for name in CONTENT:
        photo = ImageBuffer(_square(name, 256), name)
        for style in BENCH_STYLES:
            row = {"content": name, "style": style}
            for preserve in (False, True):
                out = runner(StyleSpec(image=photo, style=style, preserve_colors=preserve, device=device),
                             CancelToken()).image.pixels
                row["preserve_colors" if preserve else "plain"] = round(chroma_difference(out, photo.pixels), 3)
            fidelity.append(row)
    return {
        "benchmark": "style",
        "device": device,
        "size": [size, size],
        "repeats": repeats,
        "speed": speed,
        "chroma_difference_to_content": {
            "unit": "mean CIE a*b* distance",
            "plain_mean": round(float(np.mean([r["plain"] for r in fidelity])), 3),
            "preserve_colors_mean": round(float(np.mean([r["preserve_colors"] for r in fidelity])), 3),
            "cases": fidelity,
        },
    }
