"""`bench restore`: every restoration method against its baseline on held-out photos, in one run (JSON).

Held-out images are skimage.data photos (bundled, offline; the trainer holds them out too), centre-cropped
to ``size`` (x4 upscaling is also measured on the whole photos). Degradations are synthetic and seeded: Gaussian noise σ = 15/25/50 (8-bit levels), JPEG at
q = 10/20/30, bicubic x4 downscale, square holes of several sizes, scratches and dust (``defects``),
grayscale conversion.
"""

from __future__ import annotations

import io
import time

import numpy as np

HELD_OUT = ("astronaut", "coffee", "chelsea", "rocket")


def _photo(name: str, size: int) -> np.ndarray:
    from skimage import data

    img = getattr(data, name)()[..., :3]
    h, w = img.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(img[y:y + size, x:x + size])


def _whole_photo(name: str) -> np.ndarray:
    """The whole photo, cropped to a multiple of 4 px so an x4 round trip gives back its size."""
    from skimage import data

    img = getattr(data, name)()[..., :3]
    return np.ascontiguousarray(img[:img.shape[0] // 4 * 4, :img.shape[1] // 4 * 4])


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=2 if a.ndim == 3 else None, data_range=255))


def _y(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma in [16, 235] as used for SR PSNR-Y."""
    f = rgb.astype(np.float64)
    return 16 + (65.481 * f[..., 0] + 128.553 * f[..., 1] + 24.966 * f[..., 2]) / 255


def _colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk colourfulness (0 for a gray image)."""
    f = rgb.astype(np.float64)
    rg, yb = f[..., 0] - f[..., 1], 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def _jpeg(img: np.ndarray, q: int) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=q)
    return np.asarray(Image.open(buf).convert("RGB"))


class _Runner:
    def __init__(self, store, device: str) -> None:
        self.store, self.device, self.timing = store, device, {}

    def restore(self, img: np.ndarray, task: str, model_id: str, mask: np.ndarray | None = None) -> np.ndarray:
        from genai_studio.core.media import ImageBuffer
        from genai_studio.core.progress import CancelToken
        from genai_studio.core.restore_jobs import RestoreSpec
        from genai_studio.engines.restore.recipes import resolve_restore_model
        from genai_studio.engines.restore.restore_run import run_restore

        planned = resolve_restore_model(self.store, task, model_id)
        spec = RestoreSpec(image=ImageBuffer(img), task=task, model_id=planned.model_id, mask=mask, device=self.device)
        started = time.perf_counter()
        out = run_restore(spec, CancelToken(), planned.manifest, planned.weights).image.pixels
        key = f"{task}:{planned.model_id or 'default'}"
        self.timing.setdefault(key, []).append((time.perf_counter() - started) / (img.shape[0] * img.shape[1] / 1e6))
        return out

    def inpainters(self) -> list[str]:
        return sorted(e.id for e in self.store.by_task("inpaint"))

    def model_for(self, task: str) -> str | None:
        entries = [e for e in self.store.by_task(task) if e.manifest.scale == 1]
        return entries[0].id if entries else None


def _mean(rows: list[dict], key: str) -> float:
    return round(float(np.mean([r[key] for r in rows])), 3)


def bench_restore(size: int = 256, device: str = "cpu", images: tuple[str, ...] = HELD_OUT) -> dict:
    from genai_studio.runtime.model_store import ModelStore

    store = ModelStore()
    run = _Runner(store, device)
    photos = {n: _photo(n, size) for n in images}
    rng = np.random.default_rng(0)
    report: dict = {"benchmark": "restore", "images": list(images), "crop_px": size, "device": device}

    methods = {"classical": "classical"}
    if (m := run.model_for("denoise")):
        methods["model"] = m
    denoise = {}
    for sigma in (15, 25, 50):
        rows = {k: [] for k in methods}
        for img in photos.values():
            noisy = np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).round().astype(np.uint8)
            for k, mid in methods.items():
                out = run.restore(noisy, "denoise", mid)
                rows[k].append({"psnr": _psnr(out, img), "ssim": _ssim(out, img),
                                "input_psnr": _psnr(noisy, img)})
        denoise[f"sigma_{sigma}"] = {k: {"model": methods[k], "psnr": _mean(r, "psnr"), "ssim": _mean(r, "ssim"),
                                         "input_psnr": _mean(r, "input_psnr")} for k, r in rows.items()}
    report["denoise"] = denoise

    methods = {"classical": "classical"}
    if (m := run.model_for("jpeg")):
        methods["model"] = m
    jpeg = {}
    for q in (10, 20, 30):
        rows = {k: [] for k in methods}
        for img in photos.values():
            comp = _jpeg(img, q)
            for k, mid in methods.items():
                out = run.restore(comp, "jpeg", mid)
                rows[k].append({"gain": _psnr(out, img) - _psnr(comp, img), "psnr": _psnr(out, img)})
        jpeg[f"q_{q}"] = {k: {"model": methods[k], "psnr": _mean(r, "psnr"), "psnr_gain_db": _mean(r, "gain")}
                          for k, r in rows.items()}
    report["jpeg"] = jpeg

    report["upscale_fidelity_x4"] = _bench_sr(store, photos, device, run.timing)
    # the centre crops above are the detailed middles; whole photos add their skies, fur and blur (lower gains)
    report["upscale_fidelity_x4_whole_photos"] = _bench_sr(store, {n: _whole_photo(n) for n in images}, device,
                                                           run.timing)
    inpaint = {}
    for side in (8, 24, 48):
        # the classical fills by their own ids ("" would pick an installed inpainting model), then every
        # installed inpainting model (a LaMa the user imported) under its id
        rows = {k: [] for k in ("membrane", "classical-telea", "classical-ns", *run.inpainters())}
        for img in photos.values():
            mask = np.zeros(img.shape[:2], np.uint8)
            for _ in range(3):
                y, x = rng.integers(4, size - side - 4, 2)
                mask[y:y + side, x:x + side] = 255
            for k in rows:
                out = run.restore(img, "inpaint", k, mask)
                sel = mask > 0
                rows[k].append({"psnr": _psnr(out[sel], img[sel]),
                                "ssim": _ssim(out, img)})  # whole-image SSIM: only the hole differs
        inpaint[f"holes_{side}px"] = {k: {"psnr_in_mask": _mean(r, "psnr"), "ssim": _mean(r, "ssim")}
                                      for k, r in rows.items()}
    report["inpaint"] = inpaint
    report["scratches"] = _bench_scratches(run, photos)
    report["colorize"] = _bench_colorize(run, photos)
    report["seconds_per_megapixel"] = {k: round(float(np.median(v)), 3) for k, v in run.timing.items()}
    return report


def _bench_sr(store, photos: dict, device: str, timing: dict) -> dict:
    import torch
    import torch.nn.functional as F

    from genai_studio.core.errors import ModelError
    from genai_studio.core.jobs import UpscaleSpec
    from genai_studio.core.media import ImageBuffer
    from genai_studio.core.progress import CancelToken
    from genai_studio.engines.restore.recipes import pick_upscaler
    from genai_studio.engines.restore.upscale import run_upscale

    rows: dict[str, list] = {"bicubic": [], "model": []}
    try:
        entry = pick_upscaler(store, "fidelity", "", 4)
    except ModelError as exc:
        entry, note = None, exc.message
    for img in photos.values():
        hr = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255  # (1, 3, H, W) in [0, 1]
        lr = F.interpolate(hr, scale_factor=0.25, mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)
        lr8 = (lr[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        bic = F.interpolate(torch.from_numpy(lr8).permute(2, 0, 1)[None].float() / 255, scale_factor=4,
                            mode="bicubic", align_corners=False).clamp(0, 1)
        bic8 = (bic[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        crop = (slice(4, -4), slice(4, -4))  # the usual border shave for x4 SR metrics
        rows["bicubic"].append({"psnr_y": _psnr(_y(bic8)[crop], _y(img)[crop]), "ssim": _ssim(bic8, img)})
        if entry is not None:
            started = time.perf_counter()
            out = run_upscale(UpscaleSpec(image=ImageBuffer(lr8), model_id=entry.id, scale=4, tile=256, device=device),
                              CancelToken(), entry.manifest, entry.weight_path).image.pixels
            timing.setdefault(f"upscale:{entry.id}", []).append(
                (time.perf_counter() - started) / (lr8.shape[0] * lr8.shape[1] / 1e6))
            rows["model"].append({"psnr_y": _psnr(_y(out)[crop], _y(img)[crop]), "ssim": _ssim(out, img)})
    result = {"bicubic": {"psnr_y": _mean(rows["bicubic"], "psnr_y"), "ssim": _mean(rows["bicubic"], "ssim")}}
    if entry is None:
        result["model"] = {"status": note}
    else:
        result["model"] = {"model": entry.id, "psnr_y": _mean(rows["model"], "psnr_y"),
                           "ssim": _mean(rows["model"], "ssim")}
        # the mean hides how unevenly detail is recovered (fur and foliage gain far less than edges)
        result["gain_db_per_image"] = {name: round(m["psnr_y"] - b["psnr_y"], 3)
                                       for name, b, m in zip(photos, rows["bicubic"], rows["model"])}
    return result


SENSITIVITIES = (0.25, 0.5, 0.75)


def _bench_scratches(run: _Runner, photos: dict) -> dict:
    """The defect detector on synthetic scratches and dust (seeded) at several sensitivities, how much of a clean
    photo it flags, and the whole repair (detect + fill, defaults): PSNR to the clean photo before and after."""
    from genai_studio.bench.defects import DESCRIPTION, add_defects, detection_scores
    from genai_studio.engines.restore.scratches import detect_scratches

    rng = np.random.default_rng(1)
    rows: dict[float, list] = {s: [] for s in SENSITIVITIES}
    clean_flagged, repair = [], []
    for img in photos.values():
        damaged, truth = add_defects(img, rng)
        for s in SENSITIVITIES:
            rows[s].append(detection_scores(detect_scratches(damaged.astype(np.float32) / 255, s) > 0, truth))
        clean_flagged.append({"fraction": float((detect_scratches(img.astype(np.float32) / 255) > 0).mean())})
        out = run.restore(damaged, "scratches", "")
        repair.append({"damaged": _psnr(damaged, img), "repaired": _psnr(out, img)})
    detection = {f"sensitivity_{s:g}": {k: _mean(r, k) for k in ("recall", "precision", "f1")}
                 for s, r in rows.items()}
    return {"defects": DESCRIPTION,
            "detection": detection,
            "clean_photo_flagged_fraction": _mean(clean_flagged, "fraction"),
            "repair_psnr": {"damaged_input": _mean(repair, "damaged"), "repaired": _mean(repair, "repaired")}}


def _bench_colorize(run: _Runner, photos: dict) -> dict:
    from genai_studio.core.errors import ModelError

    rows, out_rows = [], []
    for img in photos.values():
        gray = np.repeat(np.rint(img @ np.array([0.299, 0.587, 0.114]))[..., None], 3, axis=2).astype(np.uint8)
        rows.append({"psnr": _psnr(gray, img), "colorfulness": _colorfulness(gray),
                     "truth_colorfulness": _colorfulness(img)})
        try:
            out = run.restore(gray, "colorize", "")
        except ModelError as exc:
            status = exc.message
            continue
        out_rows.append({"psnr": _psnr(out, img), "colorfulness": _colorfulness(out)})
    result = {"grayscale_input": {"psnr": _mean(rows, "psnr"), "colorfulness": _mean(rows, "colorfulness")},
              "ground_truth_colorfulness": _mean(rows, "truth_colorfulness")}
    result["model"] = ({"psnr": _mean(out_rows, "psnr"), "colorfulness": _mean(out_rows, "colorfulness")}
                       if out_rows else {"status": status})
    return result
