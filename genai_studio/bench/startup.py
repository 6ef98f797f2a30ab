"""`bench startup`: launch → main window shown, against a bare Qt window in the same run.

Each sample is a fresh interpreter (what a user waits for). The child prints a marker once the
window is exposed and the event loop has turned; the parent times from spawn to that marker.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

MARKER = "WINDOW-SHOWN"

APP_CHILD = f"""
import sys
from PySide6.QtCore import QTimer
from genai_studio.app import create_main_window, ensure_application
app = ensure_application()
window = create_main_window()
window.show()
def done():
    print("{MARKER}", "torch" in sys.modules, flush=True)
    app.quit()
QTimer.singleShot(0, done)
app.exec()
"""

BASELINE_CHILD = f"""
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1400, 900)
window.show()
def done():
    print("{MARKER}", False, flush=True)
    app.quit()
QTimer.singleShot(0, done)
app.exec()
"""


def _time_child(code: str, env: dict[str, str]) -> tuple[float, bool]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None
    torch_loaded = False
    for line in proc.stdout:
        if line.startswith(MARKER):
            elapsed = time.perf_counter() - started
            torch_loaded = line.split()[1] == "True"
            break
    else:
        raise RuntimeError(f"child never showed its window: {proc.stderr.read() if proc.stderr else ''}")
    proc.wait(timeout=60)
    return elapsed, torch_loaded


def bench_startup(repeats: int = 5) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    _time_child(APP_CHILD, env)  # warm the OS file cache once, as on a user's second launch
    app_times, torch_flags = [], []
    base_times = []
    for _ in range(repeats):
        t, torch_loaded = _time_child(APP_CHILD, env)
        app_times.append(t)
        torch_flags.append(torch_loaded)
        base_times.append(_time_child(BASELINE_CHILD, env)[0])
    app_median, base_median = statistics.median(app_times), statistics.median(base_times)
    return {
        "benchmark": "startup",
        "platform": env["QT_QPA_PLATFORM"],
        "repeats": repeats,
        "app_window_shown_s": {"median": round(app_median, 3), "min": round(min(app_times), 3),
                               "max": round(max(app_times), 3)},
        "baseline_bare_qt_window_s": {"median": round(base_median, 3), "min": round(min(base_times), 3)},
        "ratio_vs_baseline": round(app_median / base_median, 2),
        "torch_imported_at_startup": any(torch_flags),
        "target_s": 1.5,
        "meets_target": app_median <= 1.5,
    }
