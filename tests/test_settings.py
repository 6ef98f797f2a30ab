"""Settings: defaults, atomic round trip, migration, and every way a settings file can be wrong."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from genai_studio import paths
from genai_studio.settings import (
    MAX_RECENT, SETTINGS_SCHEMA_VERSION, Settings, effective_models_dir, load_settings, migrate_settings,
    save_settings, validate, with_recent, without_recent,
)

SF2_HEADER = b"RIFF\x04\x00\x00\x00sfbk"


def _write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_defaults():
    s = Settings()
    assert SETTINGS_SCHEMA_VERSION == 2
    assert (s.schema_version, s.device, s.models_dir, s.autosave_minutes, s.theme) == (2, "auto", "", 2.0, "dark")
    assert (s.audio_output_device, s.soundfont_path, s.recent_projects) == ("", "", ())
    assert validate(s) == []


def test_missing_file_gives_defaults_in_the_config_dir(studio_home):
    assert load_settings() == Settings()
    assert not (paths.config_dir() / "settings.json").exists()


def test_save_load_round_trip_with_unicode(studio_home, tmp_path):
    s = Settings(device="cuda", models_dir=str(tmp_path / "mödels dir"), autosave_minutes=0.25, theme="light",
                 audio_output_device="USB Audio Ünit: Out (hw:1,0)", soundfont_path=str(tmp_path / "piano.sf2"),
                 recent_projects=(str(tmp_path / "a b.gstudio"), str(tmp_path / "ç.gstudio")))
    save_settings(s)  # creates the config folder
    path = paths.config_dir() / "settings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SETTINGS_SCHEMA_VERSION
    assert data["recent_projects"] == list(s.recent_projects)
    assert load_settings() == s
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp files left behind


def test_save_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    from genai_studio.core.errors import StudioError
    from genai_studio.mediaio import atomic

    path = tmp_path / "settings.json"
    save_settings(Settings(theme="light"), path)
    before = path.read_bytes()

    def broken_fsync(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(StudioError, match="Not enough disk space"):
        save_settings(Settings(theme="dark"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_migrates_a_hand_written_v1_file(tmp_path):
    path = _write_json(tmp_path / "settings.json", {
        "schema_version": 1, "device": "cpu", "models_dir": "/opt/models", "autosave_seconds": 300,
        "dark_theme": False, "recent_projects": ["/p/one.gstudio"],
    })
    s = load_settings(path)
    assert s == Settings(device="cpu", models_dir="/opt/models", autosave_minutes=5.0, theme="light",
                         recent_projects=("/p/one.gstudio",))
    assert json.loads(path.read_text())["schema_version"] == 1  # loading does not rewrite the file


@pytest.mark.parametrize("seconds,minutes", [(0, 0.0), (120, 2.0), (10, 0.25), (86400, 120.0)])
def test_v1_autosave_seconds_become_valid_minutes(seconds, minutes):
    out = migrate_settings({"schema_version": 1, "autosave_seconds": seconds, "dark_theme": True})
    assert out == {"schema_version": 2, "autosave_minutes": minutes, "theme": "dark"}


def test_migration_does_not_modify_its_input_and_no_version_means_v1():
    data = {"autosave_seconds": 60, "dark_theme": False}
    out = migrate_settings(data)
    assert data == {"autosave_seconds": 60, "dark_theme": False}
    assert out == {"schema_version": 2, "autosave_minutes": 1.0, "theme": "light"}
    assert migrate_settings(out) == out  # current version: unchanged


def test_corrupt_file_gives_defaults_and_is_kept_aside(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_bytes(b'{"device": "cpu", "theme": ')  # truncated mid-write by some other program
    problems: list[str] = []
    with caplog.at_level(logging.WARNING, logger="genai_studio.settings"):
        assert load_settings(path, problems=problems) == Settings()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(aside) == 1 and aside[0].read_bytes() == b'{"device": "cpu", "theme": '
    assert len(problems) == 1 and "damaged" in problems[0] and aside[0].name in problems[0]  # told, not silent
    assert not path.exists()
    assert "unreadable" in caplog.text and aside[0].name in caplog.text
    save_settings(Settings(theme="light"), path)  # the app can save again afterwards
    assert load_settings(path).theme == "light"


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"[1, 2, 3]", b"", b"null"])
def test_other_unreadable_contents_never_raise(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    assert load_settings(path) == Settings()
    assert len(list(tmp_path.glob("settings.json.bad-*"))) == 1


def test_two_bad_files_in_the_same_second_are_both_kept(tmp_path):
    path = tmp_path / "settings.json"
    for text in (b"{", b"}"):
        path.write_bytes(text)
        load_settings(path)
    assert sorted(p.read_bytes() for p in tmp_path.glob("settings.json.bad-*")) == [b"{", b"}"]


def test_newer_schema_is_read_leniently_with_a_warning(tmp_path, caplog):
    path = _write_json(tmp_path / "settings.json", {
        "schema_version": 99, "device": "cuda", "theme": "light", "autosave_minutes": 10,
        "audio_output_device": "Speakers", "recent_projects": ["/x.gstudio"], "hologram_mode": True,
    })
    with caplog.at_level(logging.WARNING, logger="genai_studio.settings"):
        s = load_settings(path)
    assert s == Settings(device="cuda", theme="light", autosave_minutes=10.0, audio_output_device="Speakers",
                         recent_projects=("/x.gstudio",))
    assert "newer" in caplog.text
    assert path.exists() and not list(tmp_path.glob("settings.json.bad-*"))


def test_saving_over_a_newer_file_keeps_that_file_aside(tmp_path):
    newer = {"schema_version": 3, "theme": "light", "hologram_mode": True}
    path = _write_json(tmp_path / "settings.json", newer)
    save_settings(load_settings(path), path)
    kept = list(tmp_path.glob("settings.json.v3-*"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == newer
    assert json.loads(path.read_text())["schema_version"] == SETTINGS_SCHEMA_VERSION
    save_settings(Settings(), path)  # now the file on disk is ours: no second copy
    assert len(list(tmp_path.glob("settings.json.v3-*"))) == 1


@pytest.mark.parametrize("field,bad", [
    ("device", "tpu"), ("device", 3), ("models_dir", ["a"]), ("autosave_minutes", 0.1),
    ("autosave_minutes", 500), ("autosave_minutes", -1), ("autosave_minutes", "2"), ("autosave_minutes", True),
    ("theme", "purple"), ("theme", None), ("audio_output_device", 7), ("soundfont_path", {"a": 1}),
    ("recent_projects", "/one/file.gstudio"),
])
def test_an_invalid_value_falls_back_alone(tmp_path, field, bad):
    good = {"schema_version": 2, "device": "cpu", "models_dir": "/m", "autosave_minutes": 5.0, "theme": "light",
            "audio_output_device": "Out", "soundfont_path": "/sf.sf2", "recent_projects": ["/r.gstudio"]}
    path = _write_json(tmp_path / "settings.json", {**good, field: bad})
    s = load_settings(path).to_dict()
    expected = {**good, field: Settings().to_dict()[field]}
    assert s == expected


def test_values_are_normalized_and_odd_recent_entries_dropped(tmp_path):
    path = _write_json(tmp_path / "settings.json", {
        "schema_version": 2, "device": " CUDA ", "theme": "Light", "autosave_minutes": 0,
        "recent_projects": ["/a.gstudio", 5, "", "/a.gstudio", None, "/b.gstudio"],
    })
    s = load_settings(path)
    assert (s.device, s.theme, s.autosave_minutes) == ("cuda", "light", 0.0)
    assert s.recent_projects == ("/a.gstudio", "/b.gstudio")


def test_recent_list_dedupes_moves_to_front_and_caps(tmp_path):
    s = Settings()
    for i in range(12):
        s = with_recent(s, tmp_path / f"p{i}.gstudio")
    assert len(s.recent_projects) == MAX_RECENT
    assert s.recent_projects[0] == str(tmp_path / "p11.gstudio")
    assert s.recent_projects[-1] == str(tmp_path / "p2.gstudio")
    s = with_recent(s, str(tmp_path / "sub" / ".." / "p5.gstudio"))  # same file, other spelling
    assert s.recent_projects[0] == str(tmp_path / "p5.gstudio")
    assert s.recent_projects.count(str(tmp_path / "p5.gstudio")) == 1 and len(s.recent_projects) == MAX_RECENT
    s = without_recent(s, tmp_path / "p5.gstudio")
    assert str(tmp_path / "p5.gstudio") not in s.recent_projects and len(s.recent_projects) == MAX_RECENT - 1


def test_with_recent_makes_paths_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = with_recent(Settings(), "rel.gstudio")
    assert s.recent_projects == (str(tmp_path / "rel.gstudio"),)


def test_effective_models_dir(studio_home, tmp_path):
    assert effective_models_dir(Settings()) == paths.user_models_dir()
    assert effective_models_dir(Settings(models_dir=str(tmp_path / "m"))) == tmp_path / "m"


def test_validate_soundfont(tmp_path):
    missing = tmp_path / "nope.sf2"
    assert validate(Settings(soundfont_path=str(missing))) == [f"The SoundFont file “{missing}” does not exist."]
    assert "is a folder" in validate(Settings(soundfont_path=str(tmp_path)))[0]
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"MThd not a soundfont")
    assert validate(Settings(soundfont_path=str(fake))) == ["“fake.sf2” is not a SoundFont (.sf2 or .sf3) file."]
    real = tmp_path / "real.sf3"
    real.write_bytes(SF2_HEADER + b"LIST")
    assert validate(Settings(soundfont_path=str(real))) == []


def test_validate_models_dir(tmp_path):
    assert validate(Settings(models_dir=str(tmp_path / "new" / "deeper"))) == []  # creatable
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert validate(Settings(models_dir=str(a_file))) == [f"The models folder “{a_file}” is a file, not a folder."]
    assert "cannot be created" in validate(Settings(models_dir=str(a_file / "below")))[0]
    assert "full path" in validate(Settings(models_dir="relative/models"))[0]
    assert not (tmp_path / "new").exists()  # validating changes nothing


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_validate_read_only_models_parent(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert "cannot be created" in validate(Settings(models_dir=str(locked / "models")))[0]
        assert "not writable" in validate(Settings(models_dir=str(locked)))[0]
    finally:
        locked.chmod(0o755)


def test_validate_other_fields():
    problems = validate(Settings(device="tpu", theme="pink", autosave_minutes=0.1))
    assert len(problems) == 3
    assert any("Auto, CPU or CUDA" in p for p in problems)
    assert any("Autosave must be Off or every 0.25 to 120 minutes" in p for p in problems)


def test_settings_module_needs_no_qt_or_torch():
    import subprocess
    import sys

    code = ("import sys, genai_studio.settings; "
            "print([m for m in ('PySide6', 'torch', 'numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_validate_unwritable_models_folder_even_as_root(tmp_path, monkeypatch):
    from genai_studio import settings as settings_module

    monkeypatch.setattr(settings_module.os, "access", lambda path, mode: False)  # as if not our folder
    assert validate(Settings(models_dir=str(tmp_path))) == [
        f"The models folder “{tmp_path}” is not writable, so imported models could not be stored there."]
    assert "cannot be created" in validate(Settings(models_dir=str(tmp_path / "new")))[0]


def test_an_unreadable_file_gives_defaults_and_is_kept_aside(tmp_path, monkeypatch):
    path = _write_json(tmp_path / "settings.json", {"theme": "light"})
    real_read = Path.read_bytes

    def denied(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert load_settings(path) == Settings()
    assert len(list(tmp_path.glob("settings.json.bad-*"))) == 1
