"""Time from Play to first sound: the timeline pane's play() (mixing a 16-bar MIDI clip included) until
the audio stream has delivered its first samples, measured in a child whose ALSA default device writes to
a file (so it works on machines without a sound card)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ASOUNDRC = """pcm.!default {{ type plug slave.pcm "cap" }}
pcm.cap {{ type file slave.pcm "nul" file "{out}" format "raw" }}
pcm.nul {{ type null }}
"""

CHILD = """
import json, sys, time
from PySide6.QtCore import QTimer
from genai_studio.app import create_main_window, ensure_application
from genai_studio.engines.music.generate import generate
app = ensure_application()
w = create_main_window()
w.project.ask_save_changes = lambda: "discard"
melody = generate(None, "D major", "4/4", 16, 120, "reel", 1.0, 1)
w.timeline_state.add_midi_clip(melody)
samples = []
def measure():
    if len(samples) == int(sys.argv[1]):
        print(json.dumps({"samples_ms": samples}), flush=True)
        w.controller.shutdown(); w.project.shutdown(); app.quit(); return
    w.timeline.stop()
    w.timeline_state.set_playhead(0.0)
    t0 = time.perf_counter()
    w.timeline.play()
    def poll():
        if w.player.position_s > 0:
            samples.append(round((time.perf_counter() - t0) * 1000, 1))
            QTimer.singleShot(50, measure)
        else:
            QTimer.singleShot(1, poll)
    poll()
QTimer.singleShot(200, measure)
app.exec()
"""


def bench_play_latency(repeats: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as home:
        (Path(home) / ".asoundrc").write_text(ASOUNDRC.format(out=Path(home) / "out.raw"))
        env = dict(os.environ, HOME=home, QT_QPA_PLATFORM="offscreen", GENAI_STUDIO_HOME=str(Path(home) / "studio"))
        proc = subprocess.run([sys.executable, "-c", CHILD, str(repeats)], capture_output=True, text=True,
                              timeout=300, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": (proc.stderr or "no output")[-500:]}
    samples = json.loads(lines[-1])["samples_ms"]
    return {"clip": "16 bars of MIDI, built-in synth", "device": "ALSA file sink (no sound card here)",
            "median_ms": statistics.median(samples), "max_ms": max(samples), "samples_ms": samples}
