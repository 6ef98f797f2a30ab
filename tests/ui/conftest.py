"""Fixtures shared by the window-level UI tests."""

from __future__ import annotations

import pytest

from genai_studio.app import create_main_window, ensure_application


@pytest.fixture
def window(qtbot, studio_home):
    """The real main window (real controller, store and engines), shown offscreen and shut down after."""
    ensure_application()
    w = create_main_window()
    qtbot.addWidget(w)
    w.project.ask_save_changes = lambda: "discard"  # closing at teardown must not wait on a modal prompt
    w.show()
    yield w
    w.controller.shutdown()
    w.project.shutdown()
