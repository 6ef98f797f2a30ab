"""The background engine warm-up loads torch off the GUI thread and reports the device."""

from __future__ import annotations

from genai_studio.runtime.warmup import EngineWarmup


def test_warmup_reports_the_default_device(qtbot):
    warmup = EngineWarmup()
    with qtbot.waitSignal(warmup.finished, timeout=60000) as blocker:
        warmup.start()
    description, cuda_usable = blocker.args
    assert description.startswith("cuda" if cuda_usable else "cpu")
    assert warmup.done.is_set()
