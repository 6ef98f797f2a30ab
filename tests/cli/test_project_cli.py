"""`genai-studio project info FILE [--json]`, run in-process through the real CLI entry point."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from genai_studio.cli import main
from genai_studio.core.media import AudioBuffer, ImageBuffer
from genai_studio.core.project import SCHEMA_VERSION, ClipDoc, LayerDoc, ProjectDoc, TimelineDoc, TrackDoc
from genai_studio.mediaio.project_file import save_project


@pytest.fixture
def project(tmp_path):
    rgba = ImageBuffer(np.full((48, 64, 4), 200, np.uint8))
    deep = ImageBuffer(np.arange(16 * 16 * 3, dtype=np.uint16).reshape(16, 16, 3))
    stereo = AudioBuffer(np.zeros((48000, 2), np.float32), 48000)
    mono = AudioBuffer(np.ones((11025, 1), np.float32) * 0.25, 22050)
    doc = ProjectDoc(
        (LayerDoc(1, "Photo", rgba), LayerDoc(2, "Upscaled", deep, "result", False, 1, {"type": "UpscaleSpec"})),
        2,
        TimelineDoc((TrackDoc("t1", "Drums", (ClipDoc("c1", "Beat", stereo, 1.0),), True, 0.5),
                     TrackDoc("t2", "Voix été", (ClipDoc("c2", "Chant", mono, 0.0),))),
                    48000, 90.0, "D minor", "6/8"),
        {"title": "demo"},
    )
    path = tmp_path / "my song.gstudio"
    save_project(doc, path)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_text_summary(project, capsys):
    code, out, err = run(capsys, "project", "info", str(project))
    assert code == 0 and err == ""
    assert f"project format  {SCHEMA_VERSION} (current)" in out
    assert "layers          2" in out
    assert "Photo  [image]  64×48 RGBA 8-bit" in out
    assert "Upscaled  [result, hidden, made by UpscaleSpec]  16×16 RGB 16-bit  (active)" in out
    assert "48000 Hz, 90 BPM, D minor, 6/8" in out
    assert "tracks          2, 2 clips, 1.50 s of audio" in out
    assert "Drums  [gain 0.5, muted]  1 clip" in out
    assert "Voix été" in out
    assert "audio/c1.wav" in out and "layers/2.png" in out and "project.json" in out


def test_info_json(project, capsys):
    code, out, err = run(capsys, "project", "info", str(project), "--json")
    assert code == 0 and err == ""
    info = json.loads(out)
    assert info["schema_version"] == SCHEMA_VERSION and info["needs_migration"] is False
    assert (info["layer_count"], info["track_count"], info["clip_count"]) == (2, 2, 2)
    assert info["audio_duration_s"] == pytest.approx(1.5)
    assert [(l["width"], l["height"], l["bit_depth"]) for l in info["layers"]] == [(64, 48, 8), (16, 16, 16)]
    assert info["tracks"][0]["clips"][0]["sample_rate"] == 48000
    assert {a["name"] for a in info["assets"]} == {"project.json", "layers/1.png", "layers/2.png",
                                                    "audio/c1.wav", "audio/c2.wav"}


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-200])


def _corrupt_json(path):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["project.json"] = b"{ this is not json"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def _newer(path):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    data = json.loads(entries["project.json"])
    data["schema_version"] = SCHEMA_VERSION + 1
    entries["project.json"] = json.dumps(data).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def _garbage(path):
    path.write_bytes(b"\x00\x01 definitely not a project")


@pytest.mark.parametrize("damage,message", [
    (_truncate, "'my song.gstudio' is damaged or incomplete (truncated zip)"),
    (_corrupt_json, "'my song.gstudio' is damaged: project.json is not valid JSON"),
    (_newer, f"'my song.gstudio' was saved by a newer GenAI Studio (project format {SCHEMA_VERSION + 1}"),
    (_garbage, "'my song.gstudio' is not a GenAI Studio project (it is not a zip archive)"),
    (lambda p: p.unlink(), "Cannot open 'my song.gstudio': the file does not exist"),
])
@pytest.mark.parametrize("as_json", [False, True])
def test_bad_file_exits_2_with_one_line(project, capsys, damage, message, as_json):
    damage(project)
    before = project.read_bytes() if project.exists() else None
    code, out, err = run(capsys, "project", "info", str(project), *(["--json"] if as_json else []))
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1
    assert message in err
    assert (project.read_bytes() if project.exists() else None) == before


def test_project_without_action_prints_usage(capsys):
    code, out, err = run(capsys, "project")
    assert code == 2 and "info" in err
