"""Time a built app's start: `--version`, and launch → main window shown (offscreen), as JSON.

Usage: python3 packaging/measure_startup.py dist/genai-studio/genai-studio [--repeats 5] [--drop-caches]

Any Python 3 runs this (the built app needs none). "Window shown" is the moment the app logs
"GenAI Studio … started in" — written right after ``window.show()`` — to the log in a fresh
GENAI_STUDIO_HOME; the app is then stopped with SIGTERM, which it handles by quitting cleanly.
``--drop-caches`` (root on Linux) empties the page cache before the first sample, for a true cold start.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

STARTED_MARKER = " started in "


def _env(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "GENAI_STUDIO_HOME": str(home / "studio"),
            "QT_QPA_PLATFORM": "offscreen"}


def time_version(app: Path, home: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(app), "--version"], env=_env(home), check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def time_window(app: Path, home: Path, timeout_s: float = 120.0) -> float:
    log = home / "studio" / "logs" / "genai-studio.log"
    log.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen([str(app)], env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < timeout_s:
            if log.is_file() and STARTED_MARKER in log.read_text(encoding="utf-8", errors="replace"):
                return time.perf_counter() - started
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with code {proc.returncode} before showing its window")
            time.sleep(0.005)
        raise RuntimeError(f"no window after {timeout_s} s")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def drop_page_cache() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--drop-caches", action="store_true")
    args = parser.parse_args()
    app = args.app.resolve()
    with tempfile.TemporaryDirectory(prefix="genai-studio-startup-") as tmp:
        home = Path(tmp)
        result: dict = {"app": str(app)}
        if args.drop_caches:
            result["page_cache_dropped"] = drop_page_cache()
            result["cold_version_s"] = round(time_version(app, home), 3)
            drop_page_cache()
            result["cold_window_shown_s"] = round(time_window(app, home), 3)
        versions = [time_version(app, home) for _ in range(args.repeats)]
        windows = [time_window(app, home) for _ in range(args.repeats)]
        result["warm_version_s"] = {"median": round(statistics.median(versions), 3), "min": round(min(versions), 3)}
        result["warm_window_shown_s"] = {"median": round(statistics.median(windows), 3), "min": round(min(windows), 3),
                                         "max": round(max(windows), 3)}
        result["repeats"] = args.repeats
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
