"""The desktop-integration and build files in packaging/ stay valid: parsable, consistent with each other."""

from __future__ import annotations

import configparser
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
APP_ID = "io.genaistudio.GenAIStudio"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / "linux" / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_opens_projects():
    entry = _desktop_entry()
    assert entry["Type"] == "Application" and entry["Icon"] == APP_ID
    assert entry["Exec"].split()[0] == "genai-studio" and "%F" in entry["Exec"]
    assert "application/x-gstudio" in entry["MimeType"].split(";")


def test_mime_type_matches_the_desktop_entry():
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(PACKAGING / "linux" / "genai-studio-mime.xml").getroot()
    mime = root.find("m:mime-type", ns)
    assert mime.get("type") == "application/x-gstudio"
    assert mime.find("m:glob", ns).get("pattern") == "*.gstudio"
    assert mime.find("m:sub-class-of", ns).get("type") == "application/zip"  # a project is a zip


def test_metainfo_names_the_desktop_file():
    root = ET.parse(PACKAGING / "linux" / f"{APP_ID}.metainfo.xml").getroot()
    assert root.get("type") == "desktop-application" and root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.findtext("project_license") == "GPL-3.0-or-later"
    assert root.find("provides/mediatype").text == "application/x-gstudio"


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512])
def test_png_icons_have_their_sizes(size):
    data = (PACKAGING / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (size, size)  # IHDR width, height


def test_svg_icon_is_well_formed():
    root = ET.parse(PACKAGING / "icons" / "genai-studio.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 512 512"


def test_spec_hooks_and_scripts_parse():
    for path in [PACKAGING / "genai-studio.spec", PACKAGING / "make_icons.py",
                 *sorted((PACKAGING / "pyinstaller").rglob("*.py"))]:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    for script in ("build-linux.sh", "linux/install-desktop.sh"):
        result = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_install_desktop_script_installs_and_removes(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "genai-studio").write_text("#!/bin/sh\n")
    (app / "genai-studio").chmod(0o755)
    share, bin_dir = tmp_path / "share", tmp_path / "bin"
    script = str(PACKAGING / "linux" / "install-desktop.sh")
    args = ["--data-dir", str(share), "--bin-dir", str(bin_dir)]
    subprocess.run(["bash", script, "--app", str(app), *args], check=True, capture_output=True, text=True)
    desktop = (share / "applications" / f"{APP_ID}.desktop").read_text()
    assert f'Exec="{app / "genai-studio"}" %F' in desktop
    assert (share / "mime" / "packages" / "genai-studio-mime.xml").is_file()
    assert (share / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (bin_dir / "genai-studio").resolve() == app / "genai-studio"
    subprocess.run(["bash", script, "--uninstall", *args], check=True, capture_output=True, text=True)
    assert not (share / "applications" / f"{APP_ID}.desktop").exists() and not (bin_dir / "genai-studio").exists()
