"""Checks of the application shell: where it runs, its user folders, Qt, the window system and sound."""

from __future__ import annotations

import os
import platform
import sys
import uuid
from pathlib import Path

from genai_studio import __version__, paths
from genai_studio.selftest.context import Check, SelfTestContext
from genai_studio.selftest.result import Outcome, failed, passed, warned

# Qt platform plugin that draws real windows, per OS (file name stem without the "libq"/"q" prefix).
WINDOW_PLUGINS = {"linux": ("xcb", "wayland"), "win32": ("windows",), "darwin": ("cocoa",)}


def install_kind() -> str:
    if getattr(sys, "frozen", False):
        return f"one-folder build at {Path(sys.executable).parent}"
    return f"Python package at {paths.PACKAGE_DIR}"


def check_environment(ctx: SelfTestContext) -> Outcome:
    """The user folders exist and are writable (settings, logs, converted and imported models)."""
    paths.ensure_dirs()
    for folder in (paths.config_dir(), paths.cache_dir(), paths.converted_models_dir(), paths.user_models_dir()):
        probe = folder / f".selftest-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            return failed(f"cannot write in {folder} ({exc.strerror or exc}); settings and models need it")
    return passed(f"GenAI Studio {__version__}, Python {platform.python_version()}, {platform.system()} "
                  f"{platform.machine()}; {install_kind()}; user data in {paths.data_dir()}")


def _ensure_qt_app(ctx: SelfTestContext):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        # "-platform offscreen" for this process only: the check must work without a display.
        app = QApplication(["genai-studio", "-platform", "offscreen"])
    ctx.qt_app = app
    return app


def check_qt_window(ctx: SelfTestContext) -> Outcome:
    """Qt starts and the real main window (every panel) is built and shown offscreen, without loading torch."""
    torch_before = "torch" in sys.modules
    app = _ensure_qt_app(ctx)
    from genai_studio.app import create_main_window

    window = create_main_window()
    try:
        window.show()
        app.processEvents()
        shown = window.isVisible()
        title = window.windowTitle()
    finally:
        # Not close(): closeEvent would store this offscreen geometry as the user's window layout.
        window.hide()
        window.player.stop()
        window.controller.shutdown()
        window.project.shutdown()
        window.deleteLater()
        app.processEvents()
    if not shown:
        return failed("the main window was built but did not show")
    from PySide6 import __version__ as pyside_version

    detail = f"main window '{title}' shown on Qt {pyside_version} ({app.platformName()})"
    if not torch_before and "torch" in sys.modules:
        return warned(detail + "; building it imported torch, which slows every start (a bug: report it)")
    return passed(detail)


def _platform_plugins() -> dict[str, Path]:
    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    found = {}
    for f in sorted(folder.glob("*")) if folder.is_dir() else []:
        stem = f.name.split(".")[0]
        name = stem[4:] if stem.startswith("libq") else stem[1:] if stem.startswith("q") else stem
        found[name] = f
    return found


def check_window_system(ctx: SelfTestContext) -> Outcome:
    """A plugin that draws real windows is present and its system libraries load."""
    from PySide6.QtCore import QPluginLoader

    wanted = WINDOW_PLUGINS.get(sys.platform, ())
    plugins = _platform_plugins()
    if not wanted:
        return passed(f"platform plugins: {', '.join(plugins) or 'none found'}")
    loaded, problems = [], []
    for name in wanted:
        if name not in plugins:
            problems.append(f"{name}: not installed")
            continue
        loader = QPluginLoader(str(plugins[name]))
        if loader.load():
            loaded.append(name)
        else:
            problems.append(f"{name}: {loader.errorString()}")
    if loaded:
        return passed(f"window plugins that load: {', '.join(loaded)}" + (f" ({'; '.join(problems)})" if problems else ""))
    hint = (" On Debian/Ubuntu: sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 "
            "libegl1" if sys.platform == "linux" else "")
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform != "linux"
    message = f"no window-system plugin loads, so the app cannot open a window ({'; '.join(problems)}).{hint}"
    return failed(message) if has_display else warned(message + " (no display here, so only offscreen use works)")


def check_audio_output(ctx: SelfTestContext) -> Outcome:
    """Playback needs PortAudio and an output device; without them everything except listening still works."""
    from genai_studio.runtime.playback import audio_output_status, list_output_devices

    available, sentence = audio_output_status()
    if not available:
        return warned(sentence)
    names, _reason = list_output_devices()
    return passed(f"{sentence.rstrip('.')}; {len(names)} output device{'s' if len(names) != 1 else ''}")


def check_instruments(ctx: SelfTestContext) -> Outcome:
    """MIDI clips play through FluidSynth with a SoundFont when present, else the built-in synth."""
    from genai_studio.dsp.synth import soundfont_status

    ready, sentence = soundfont_status()
    return passed(sentence) if ready else warned(sentence)


APP_CHECKS = (
    Check("app.environment", "app and user folders", check_environment),
    Check("app.qt", "Qt main window (offscreen)", check_qt_window),
    Check("app.window_system", "Qt window system", check_window_system),
)

SOUND_CHECKS = (
    Check("sound.output", "audio output", check_audio_output, required=False),
    Check("sound.instruments", "MIDI instruments", check_instruments, required=False),
)
