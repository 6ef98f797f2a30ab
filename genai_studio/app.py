"""Composition root: the one module that wires store, runtime, state and widgets together.

Importing this module must not import torch (checked by tests): the window appears first and torch
loads on the worker thread when the first job needs it.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from genai_studio import __version__, paths
from genai_studio.logs import setup_logging
from genai_studio.runtime.controller import JobController
from genai_studio.runtime.device_probe import describe_default_device
from genai_studio.runtime.job_runner import JobRunner
from genai_studio.runtime.model_store import ModelStore
from genai_studio.runtime.warmup import EngineWarmup
from genai_studio.ui.main_window import MainWindow
from genai_studio.settings import Settings, effective_models_dir, load_settings
from genai_studio.ui.theme import apply_theme

log = logging.getLogger(__name__)


def ensure_application(argv: list[str] | None = None, theme: str = "dark") -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("GenAI Studio")
    app.setOrganizationName("genai-studio")
    app.setApplicationVersion(__version__)
    # Lets GNOME/KDE on Wayland match windows to packaging/linux/io.genaistudio.GenAIStudio.desktop and its icon.
    app.setDesktopFileName("io.genaistudio.GenAIStudio")
    app.setWindowIcon(QIcon(str(Path(__file__).parent / "resources" / "icon-256.png")))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(paths.config_dir()))
    apply_theme(app, theme)
    return app


def create_main_window(store: ModelStore | None = None, settings: Settings | None = None,
                       settings_problems: list[str] | None = None) -> MainWindow:
    """Build the whole app (without showing it); tests and benchmarks use this too. ``settings_problems``: what
    loading the given ``settings`` found wrong (see load_settings), shown with the other startup problems."""
    problems = paths.ensure_dirs() + list(settings_problems or [])
    settings = settings or load_settings(problems=problems)
    store = store or ModelStore(user_dir=effective_models_dir(settings))
    controller = JobController(JobRunner(store))
    window = MainWindow(controller, store, describe_default_device(), str(paths.log_dir()), settings)
    controller.setParent(window)
    problems += store.scan_problems  # building the window's panels scanned the store once already
    if problems:
        QTimer.singleShot(0, lambda: window.show_error(
            "Some settings, models or folders cannot be used", "\n".join(problems) + "\nThe app works without "
            "them; fix them (permissions, the broken file) or choose other folders in Preferences."))
    return window


def start_warmup(window: MainWindow, delay_ms: int = 300) -> EngineWarmup:
    """Load torch and the engines in the background once the window is on screen."""
    warmup = EngineWarmup(window)
    warmup.finished.connect(window.engine_ready)
    warmup.failed.connect(lambda message: window.show_error("AI engine unavailable", message))
    QTimer.singleShot(delay_ms, warmup.start)
    return warmup


def install_termination_handler(window: MainWindow) -> None:
    """SIGTERM (logout, shutdown, `kill`): autosave and quit without prompts; the next launch recovers.

    Python runs signal handlers only between bytecodes, so a light timer gives the interpreter a turn
    while Qt's event loop is waiting.
    """
    def on_terminate(_signum, _frame) -> None:
        QTimer.singleShot(0, window.quit_for_system)

    signal.signal(signal.SIGTERM, on_terminate)
    heartbeat = QTimer(window)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)


def run_app(files: list[str] | None = None) -> int:
    started = time.perf_counter()
    log_path = setup_logging()
    settings_problems: list[str] = []
    settings = load_settings(problems=settings_problems)
    app = ensure_application(theme=settings.theme)
    window = create_main_window(settings=settings, settings_problems=settings_problems)
    window.show()
    start_warmup(window)
    QTimer.singleShot(0, window.project.offer_recovery)  # a crashed or killed session left an autosave?
    install_termination_handler(window)
    log.info("GenAI Studio %s started in %.2f s (log: %s)", __version__, time.perf_counter() - started, log_path)
    if files:
        QTimer.singleShot(0, lambda: window.open_paths([str(Path(f)) for f in files]))
    return app.exec()
