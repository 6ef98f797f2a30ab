"""Where the app keeps its files: platformdirs user dirs, or everything under $GENAI_STUDIO_HOME (tests)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "genai-studio"
PACKAGE_DIR = Path(__file__).resolve().parent
BUILTIN_MODELS_DIR = PACKAGE_DIR / "models"  # manifests shipped with the app


def _home_override() -> Path | None:
    home = os.environ.get("GENAI_STUDIO_HOME")
    return Path(home) if home else None


def data_dir() -> Path:
    home = _home_override()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    home = _home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    home = _home_override()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    home = _home_override()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def converted_models_dir() -> Path:
    """Weights converted from registry packages on first use (reproducible, so a cache).

    $GENAI_STUDIO_MODEL_CACHE moves it (tests share one across runs so conversion happens once)."""
    override = os.environ.get("GENAI_STUDIO_MODEL_CACHE")
    return Path(override) if override else cache_dir() / "models"


def user_models_dir() -> Path:
    """Models the user imported: their manifests and files."""
    return data_dir() / "models"


def ensure_dirs() -> list[str]:
    """Create the app's folders; returns a sentence for each one that cannot be created (the app still starts:
    only what needs that folder fails, with its own message)."""
    problems = []
    for d in (data_dir(), config_dir(), cache_dir(), log_dir(), converted_models_dir(), user_models_dir()):
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problems.append(f"cannot create {d}: {exc.strerror or exc}")
    return problems
