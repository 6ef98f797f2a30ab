"""`bench upscale`: speed and peak memory per model against bicubic, GUI event-loop gaps, 4096² output memory.

Every measurement runs in a fresh child process so its peak RSS (ru_maxrss) belongs to it alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD_COMMON = """
import json, resource, sys, time
import numpy as np
def test_image(h, w):
    # deterministic photo-like content: smooth shading, edges and fine texture (uint8 RGB)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 0.5 + 0.4 * np.sin(xx / 23.0) * np.cos(yy / 31.0)
    g = 0.5 + 0.3 * np.sign(np.sin(xx / 17.0 + yy / 29.0))
    b = 0.5 + 0.2 * np.random.default_rng(0).standard_normal((h, w)).astype(np.float32)
    return (np.clip(np.stack([r, g, b], 2), 0, 1) * 255).astype(np.uint8)
def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

MODEL_CHILD = CHILD_COMMON + """
from genai_studio.core.jobs import UpscaleSpec
from genai_studio.core.media import ImageBuffer
from genai_studio.core.progress import CancelToken
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore
model, scale, size, tile, device = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
runner = JobRunner(ModelStore())
t0 = time.perf_counter()
runner(UpscaleSpec(image=ImageBuffer(test_image(32, 32)), model_id=model, scale=scale, tile=0, device=device), CancelToken())
load_s = time.perf_counter() - t0
image = ImageBuffer(test_image(size, size), "bench")
t0 = time.perf_counter()
result = runner(UpscaleSpec(image=image, model_id=model, scale=scale, tile=tile, device=device), CancelToken())
seconds = time.perf_counter() - t0
out_mp = result.image.width * result.image.height / 1e6
print(json.dumps({"seconds": seconds, "load_and_warmup_s": load_s, "output_megapixels": out_mp,
                  "peak_rss_mb": peak_rss_mb(), "device": result.device}))
"""

BICUBIC_CHILD = CHILD_COMMON + """
import torch, torch.nn.functional as F
scale, size = int(sys.argv[1]), int(sys.argv[2])
x = torch.from_numpy(test_image(size, size)).permute(2, 0, 1)[None].float() / 255
F.interpolate(x[..., :32, :32], scale_factor=scale, mode="bicubic")
t0 = time.perf_counter()
repeats = 20
for _ in range(repeats):
    y = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)
seconds = (time.perf_counter() - t0) / repeats
print(json.dumps({"seconds": seconds, "output_megapixels": y.shape[-1] * y.shape[-2] / 1e6, "peak_rss_mb": peak_rss_mb()}))
"""

GUI_CHILD = CHILD_COMMON + """
import os
from PySide6.QtCore import QElapsedTimer, QTimer
from genai_studio.app import create_main_window, ensure_application, start_warmup
from genai_studio.core.media import ImageBuffer
from genai_studio.core.jobs import JobState
model, size, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = ensure_application()
window = create_main_window()
window.show()
window.canvas_state.load_document(ImageBuffer(test_image(size, size), "bench"))
window.upscale_panel.select_model(model)
gaps, clock, last = [], QElapsedTimer(), [0]
clock.start()
def tick():
    now = clock.elapsed()
    gaps.append(now - last[0])
    last[0] = now
timer = QTimer()
timer.setInterval(5)
timer.timeout.connect(tick)
def on_event(ev):
    if ev.state.finished:
        timer.stop()
        print(json.dumps({"state": ev.state.value, "message": ev.message, "ticks": len(gaps),
                          "max_gap_ms": max(gaps[1:]) if len(gaps) > 1 else None,
                          "p99_gap_ms": sorted(gaps[1:])[int(0.99 * (len(gaps) - 2))] if len(gaps) > 2 else None}))
        app.quit()
window.controller.event.connect(on_event)
def start():
    if mode == "warm" and not warmup.done.is_set():
        QTimer.singleShot(50, start)  # as in the app: the job comes after the background warm-up
        return
    last[0] = clock.elapsed()
    timer.start()
    window.upscale_panel.submit()
warmup = start_warmup(window, 0) if mode == "warm" else None
QTimer.singleShot(200, start)
app.exec()
"""


def _child(code: str, *args: object, timeout: int = 3600) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def bench_upscale(models: list[str], size: int = 192, device: str = "auto", tile: int = 192,
                  gui_model: str = "realesr-animevideov3-x4", big_model: str = "realesr-animevideov3-x4",
                  skip_big: bool = False) -> dict:
    from genai_studio.runtime.model_store import ModelStore

    store = ModelStore()
    report: dict = {"benchmark": "upscale", "input_px": [size, size], "device_requested": device, "models": []}
    baselines: dict[int, dict] = {}
    for model_id in models:
        scale = store.get(model_id).manifest.effective_scale
        if scale not in baselines:
            baselines[scale] = _child(BICUBIC_CHILD, scale, size)
        run = _child(MODEL_CHILD, model_id, scale, size, tile, device)
        base = baselines[scale]
        mps = run["output_megapixels"] / run["seconds"]
        base_mps = base["output_megapixels"] / base["seconds"]
        report["models"].append({
            "model": model_id, "scale": scale, "device": run["device"], "tile": tile,
            "seconds": round(run["seconds"], 3), "output_megapixels_per_s": round(mps, 4),
            "peak_rss_mb": round(run["peak_rss_mb"], 1), "load_and_warmup_s": round(run["load_and_warmup_s"], 2),
            "bicubic_output_megapixels_per_s": round(base_mps, 2), "bicubic_peak_rss_mb": round(base["peak_rss_mb"], 1),
            "speed_ratio_vs_bicubic": round(mps / base_mps, 5),
        })
    # "warm": the app's normal path, the job starts after the background engine warm-up;
    # "cold": the job starts at once, so torch's library loading (GIL held) happens during the job.
    report["gui_event_loop"] = {
        mode: {"model": gui_model, "input_px": [256, 256], **_child(GUI_CHILD, gui_model, 256, mode),
               "target_max_gap_ms": 50}
        for mode in ("warm", "cold")
    }
    if not skip_big:
        big = _child(MODEL_CHILD, big_model, 4, 1024, tile, device)
        report["output_4096x4096"] = {
            "model": big_model, "tile": tile, "seconds": round(big["seconds"], 2),
            "peak_rss_mb": round(big["peak_rss_mb"], 1), "target_peak_rss_mb": 3072,
            "meets_target": big["peak_rss_mb"] <= 3072,
        }
    return report
