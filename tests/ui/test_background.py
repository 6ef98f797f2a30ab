"""run_in_background: the window keeps turning while a blocking call runs, results and errors come back."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton

from genai_studio.core.errors import ModelError
from genai_studio.ui.background import run_in_background


def test_event_loop_runs_and_widget_is_disabled_meanwhile(qtbot):
    button = QPushButton("Import")
    qtbot.addWidget(button)
    ticks, enabled_during = [], []
    timer = QTimer()
    timer.timeout.connect(lambda: (ticks.append(1), enabled_during.append(button.isEnabled())))
    timer.start(10)

    def slow(x):
        time.sleep(0.3)
        return x * 2

    assert run_in_background(button, slow, 21) == 42
    timer.stop()
    assert len(ticks) >= 10  # ~30 expected; a blocked GUI thread would give 0
    assert enabled_during and not any(enabled_during)
    assert button.isEnabled()


def test_errors_are_raised_in_the_caller(qtbot):
    def refuse():
        raise ModelError("evil.pth was refused")

    with pytest.raises(ModelError, match="refused"):
        run_in_background(None, refuse)
