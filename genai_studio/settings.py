"""The user's preferences: a frozen, versioned ``Settings`` record stored as JSON in the config folder.

Loading never fails: a missing file gives the defaults, a corrupt one is kept aside and replaced by the
defaults, an older file is migrated step by step, a newer one is read leniently (the fields this version
knows), and each invalid value falls back to its own default without disturbing the others. Saving is
atomic, so a crash mid-save leaves the previous file intact.

Standard library only (plus our paths and atomic writes): the CLI and the GUI both read it before Qt or
torch are loaded.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from genai_studio import paths
from genai_studio.mediaio.atomic import write_bytes_atomic

log = logging.getLogger(__name__)

SETTINGS_SCHEMA_VERSION = 2
SETTINGS_FILE_NAME = "settings.json"
DEVICES = ("auto", "cpu", "cuda")
THEMES = ("dark", "light")
MAX_RECENT = 10
AUTOSAVE_MIN_MINUTES = 0.25  # below this, autosaving a big project would run back to back
AUTOSAVE_MAX_MINUTES = 120.0
SOUNDFONT_SUFFIXES = (".sf2", ".sf3")


@dataclass(frozen=True)
class Settings:
    schema_version: int = SETTINGS_SCHEMA_VERSION
    device: str = "auto"  # default compute device for new jobs: "auto" | "cpu" | "cuda"
    models_dir: str = ""  # "" = paths.user_models_dir()
    autosave_minutes: float = 2.0  # 0 = off; otherwise AUTOSAVE_MIN_MINUTES..AUTOSAVE_MAX_MINUTES
    theme: str = "dark"  # "dark" | "light"
    audio_output_device: str = ""  # PortAudio device name; "" = the system default
    soundfont_path: str = ""  # .sf2/.sf3 for FluidSynth melody rendering; "" = none
    recent_projects: tuple[str, ...] = field(default=())  # absolute paths, most recent first, ≤ MAX_RECENT

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["recent_projects"] = list(self.recent_projects)
        return data


DEFAULTS = Settings()


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE_NAME


# ----- migration ------------------------------------------------------------------------------------------
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 stored autosave in whole seconds and the theme as a bool; v2 uses minutes and a theme name,
    and adds the audio output device and SoundFont (their defaults fill in)."""
    out = {k: v for k, v in data.items() if k not in ("autosave_seconds", "dark_theme")}
    seconds = data.get("autosave_seconds")
    if _is_number(seconds) and seconds >= 0:
        minutes = seconds / 60.0
        if minutes > 0:
            # v1 allowed intervals v2 does not (e.g. 10 s): keep the user's intent of "often"/"rarely".
            minutes = min(max(minutes, AUTOSAVE_MIN_MINUTES), AUTOSAVE_MAX_MINUTES)
        out["autosave_minutes"] = minutes
    dark = data.get("dark_theme")
    if isinstance(dark, bool):
        out["theme"] = "dark" if dark else "light"
    out["schema_version"] = 2
    return out


# from-version → step that returns the next version's dict
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings dict up to SETTINGS_SCHEMA_VERSION; the input is not modified.

    A dict without ``schema_version`` is the oldest format (1). A dict from a newer version is returned
    as it is (the caller reads the fields it knows); so is one whose version is not a whole number.
    """
    out = dict(data)
    version = out.get("schema_version", 1)
    if not _is_int(version) or version > SETTINGS_SCHEMA_VERSION:
        return out
    version = max(int(version), 1)
    while version < SETTINGS_SCHEMA_VERSION:
        out = _MIGRATIONS[version](out)
        version += 1
    out["schema_version"] = SETTINGS_SCHEMA_VERSION
    return out


# ----- field checks: each returns the clean value or raises ValueError ---------------------------------
def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in options:
            return value.strip().lower()
        raise ValueError(f"expected one of {', '.join(options)}")

    return check


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    raise ValueError("expected text")


def _autosave(value: Any) -> float:
    if _is_number(value) and (value == 0 or AUTOSAVE_MIN_MINUTES <= value <= AUTOSAVE_MAX_MINUTES):
        return float(value)
    raise ValueError(f"expected 0 (off) or {AUTOSAVE_MIN_MINUTES:g} to {AUTOSAVE_MAX_MINUTES:g} minutes")


def _recent(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise ValueError("expected a list of paths")
    # Odd entries (not text, empty) are dropped one by one rather than losing the whole list.
    return _dedupe_recent(v for v in value if isinstance(v, str) and v.strip())


_FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "device": _choice(DEVICES),
    "models_dir": _text,
    "autosave_minutes": _autosave,
    "theme": _choice(THEMES),
    "audio_output_device": _text,
    "soundfont_path": _text,
    "recent_projects": _recent,
}


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Settings from an already-migrated dict: unknown keys ignored, each bad value → its default."""
    values: dict[str, Any] = {}
    for name, check in _FIELD_CHECKS.items():
        if name not in data:
            continue
        try:
            values[name] = check(data[name])
        except ValueError as exc:
            log.warning("settings: %s=%r is invalid (%s); using the default %r",
                        name, data[name], exc, getattr(DEFAULTS, name))
    return Settings(**values)


# ----- load / save -----------------------------------------------------------------------------------------
def load_settings(path: str | os.PathLike[str] | None = None, problems: list[str] | None = None) -> Settings:
    """The saved settings, or the defaults; never raises (a bad file must not stop the app starting).

    When the file cannot be used, a sentence for the user saying so (and where the bad file went) is appended
    to ``problems``; the app shows it at startup, so preferences never vanish without a word.
    """
    path = Path(path) if path is not None else settings_path()
    problems = problems if problems is not None else []
    try:
        if not path.exists():
            return Settings()
    except OSError as exc:  # an unreadable config folder (Python 3.11 raises on "permission denied")
        log.warning("cannot read the settings folder of %s (%s); using the defaults", path, exc)
        problems.append(f"Your preferences could not be read ({exc.strerror or exc}: {path.parent}); "
                        "the defaults are used this time.")
        return Settings()
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        aside = _keep_aside(path, "bad")
        where = f"kept as {aside.name}" if aside else "left in place"
        log.warning("settings file %s is unreadable (%s); using the defaults (the bad file is %s)",
                    path, exc, where)
        problems.append(f"Your preferences file {path} is damaged ({exc}), so the defaults are used; "
                        f"the damaged file is {where}.")
        return Settings()
    version = data.get("schema_version", 1)
    if _is_int(version) and version > SETTINGS_SCHEMA_VERSION:
        log.warning("settings file %s is from a newer GenAI Studio (schema %d, this version knows %d); "
                    "reading the settings this version understands", path, version, SETTINGS_SCHEMA_VERSION)
    elif "schema_version" in data and not _is_int(version):
        log.warning("settings file %s has an odd schema_version %r; reading it as the current version",
                    path, version)
    return settings_from_dict(migrate_settings(data))


def save_settings(settings: Settings, path: str | os.PathLike[str] | None = None) -> None:
    """Write ``settings`` atomically as JSON with the current schema version.

    Raises DiskFull/BadInput (from mediaio.atomic) when the folder cannot be written. If the file on
    disk came from a newer app version, it is first kept aside so the settings only that version knows
    are not lost for good.
    """
    path = Path(path) if path is not None else settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = _schema_version_on_disk(path)
    if existing is not None and existing > SETTINGS_SCHEMA_VERSION:
        aside = _keep_aside(path, f"v{existing}", copy=True)
        log.warning("settings from a newer version (schema %d) kept as %s before saving schema %d",
                    existing, aside.name if aside else "(copy failed)", SETTINGS_SCHEMA_VERSION)
    data = dataclasses.replace(settings, schema_version=SETTINGS_SCHEMA_VERSION).to_dict()
    write_bytes_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _schema_version_on_disk(path: Path) -> int | None:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("schema_version") if isinstance(data, dict) else None
    return int(version) if _is_int(version) else None


def _keep_aside(path: Path, tag: str, copy: bool = False) -> Path | None:
    """Move (or copy) ``path`` to ``<name>.<tag>-<timestamp>`` beside it; None when that fails."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{tag}-{stamp}")
    n = 1
    while target.exists():  # two bad loads in the same second must not overwrite each other
        n += 1
        target = path.with_name(f"{path.name}.{tag}-{stamp}-{n}")
    try:
        if copy:
            write_bytes_atomic(target, path.read_bytes())
        else:
            os.replace(path, target)
    except Exception:  # OSError or our DiskFull/BadInput: best effort, loading must go on
        log.warning("could not keep %s aside as %s", path, target.name, exc_info=True)
        return None
    return target


# ----- helpers for the app ---------------------------------------------------------------------------------
def with_recent(settings: Settings, path: str | os.PathLike[str]) -> Settings:
    """``settings`` with ``path`` first in the recent projects (deduplicated, at most MAX_RECENT)."""
    first = os.path.abspath(os.fspath(path))
    return dataclasses.replace(settings, recent_projects=_dedupe_recent([first, *settings.recent_projects]))


def without_recent(settings: Settings, path: str | os.PathLike[str]) -> Settings:
    """``settings`` without ``path`` in the recent projects (e.g. the file was deleted)."""
    key = _path_key(os.path.abspath(os.fspath(path)))
    kept = tuple(p for p in settings.recent_projects if _path_key(p) != key)
    return dataclasses.replace(settings, recent_projects=kept)


def _dedupe_recent(items: Any) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = _path_key(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out[:MAX_RECENT])


def _path_key(p: str) -> str:
    # Same file, different spelling (Windows case, "a/../b"): one entry.
    return os.path.normcase(os.path.normpath(p))


def effective_models_dir(settings: Settings) -> Path:
    """The folder user models live in: the chosen one, or the default user models folder."""
    if settings.models_dir:
        return Path(settings.models_dir).expanduser()
    return paths.user_models_dir()


def validate(settings: Settings) -> list[str]:
    """Problems with ``settings``, each a sentence a person can act on; [] when all is well.

    Checks the filesystem (models folder creatable, SoundFont readable) but changes nothing.
    """
    problems: list[str] = []
    if settings.device not in DEVICES:
        problems.append(f"The compute device must be Auto, CPU or CUDA, not “{settings.device}”.")
    if settings.theme not in THEMES:
        problems.append(f"The theme must be Dark or Light, not “{settings.theme}”.")
    try:
        _autosave(settings.autosave_minutes)
    except ValueError:
        problems.append(f"Autosave must be Off or every {AUTOSAVE_MIN_MINUTES:g} to {AUTOSAVE_MAX_MINUTES:g} "
                        f"minutes, not {settings.autosave_minutes:g}.")
    if settings.models_dir:
        problem = _models_dir_problem(Path(settings.models_dir).expanduser())
        if problem:
            problems.append(problem)
    if settings.soundfont_path:
        problem = _soundfont_problem(Path(settings.soundfont_path).expanduser())
        if problem:
            problems.append(problem)
    return problems


def _models_dir_problem(folder: Path) -> str | None:
    try:
        return _models_dir_check(folder)
    except OSError as exc:  # a parent folder that cannot even be looked into
        return f"The models folder “{folder}” cannot be used: {exc.strerror or exc}."


def _models_dir_check(folder: Path) -> str | None:
    if not folder.is_absolute():
        return f"The models folder “{folder}” must be a full path (for example {paths.user_models_dir()})."
    if folder.exists():
        if not folder.is_dir():
            return f"The models folder “{folder}” is a file, not a folder."
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"The models folder “{folder}” is not writable, so imported models could not be stored there."
        return None
    # It will be created on first use: the nearest existing ancestor must be a writable folder.
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return f"The models folder “{folder}” cannot be created: {parent} is not a writable folder."
    return None


def _soundfont_problem(sf: Path) -> str | None:
    if not sf.exists():
        return f"The SoundFont file “{sf}” does not exist."
    if not sf.is_file():
        return f"The SoundFont “{sf}” is a folder, not a .sf2 or .sf3 file."
    try:
        with open(sf, "rb") as fh:
            header = fh.read(12)
    except OSError as exc:
        return f"The SoundFont file “{sf}” cannot be read ({exc.strerror or exc})."
    # SF2 and SF3 are both RIFF files of form type "sfbk" (SF3 only compresses the samples).
    if header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        return f"“{sf.name}” is not a SoundFont (.sf2 or .sf3) file."
    return None


def _is_number(value: Any) -> bool:
    # bool is an int subclass, but "autosave_minutes": true is a mistake, not 1 minute.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
