"""Help ▸ Check Installation: a live table fed by the self-test child process, offscreen."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from PySide6.QtGui import QGuiApplication

from genai_studio.ui.dialogs.check_installation import RUNNING, CheckInstallationDialog, self_test_command

# A stand-in self-test: two checks; the second waits until the test creates the file named in argv[1].
STAGED_CHILD = textwrap.dedent("""
    import json, os, sys, time
    def emit(**event):
        print(json.dumps(event), flush=True)
    emit(event="plan", app_version="9.9", python="3.x", platform="Test OS", install="test",
         checks=[{"name": "a", "title": "first check", "required": True},
                 {"name": "b", "title": "second check", "required": True}])
    emit(event="start", name="a")
    emit(event="result", name="a", title="first check", status="pass", detail="all good", seconds=0.5, required=True)
    print("a library printing to stdout", flush=True)
    emit(event="start", name="b")
    deadline = time.monotonic() + 30
    while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline:
        time.sleep(0.02)
    emit(event="result", name="b", title="second check", status="fail", detail="weights damaged", seconds=1.25,
         required=True)
    emit(event="summary", ok=False, exit_code=1, seconds=1.75, counts={"pass": 1, "warn": 0, "fail": 1, "skip": 0},
         text="2 checks: 1 passed, 0 warnings, 0 skipped, 1 failed in 1.8 s — INSTALLATION HAS PROBLEMS")
    sys.exit(1)
""")

CRASHING_CHILD = textwrap.dedent("""
    import json, sys
    print(json.dumps({"event": "plan", "checks": [{"name": "a", "title": "first check", "required": True}]}),
          flush=True)
    print(json.dumps({"event": "start", "name": "a"}), flush=True)
    sys.stderr.write("Traceback (most recent call last):\\nRuntimeError: boom\\n")
    sys.exit(3)
""")

SLEEPING_CHILD = "import json, time; print(json.dumps({'event': 'plan', 'checks': []}), flush=True); time.sleep(60)"


@pytest.fixture
def make_dialog(qtbot):
    def make(command):
        dlg = CheckInstallationDialog(command=command, autostart=False)
        qtbot.addWidget(dlg)
        dlg.start()
        return dlg

    return make


def test_rows_fill_in_live_and_report_copies(make_dialog, qtbot, tmp_path):
    release = tmp_path / "release"
    dlg = make_dialog([sys.executable, "-c", STAGED_CHILD, str(release)])
    # The GUI thread is free while the child works: the first row is done, the second still running.
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 2 and dlg.row_text(1)["Result"] == RUNNING, timeout=15000)
    assert dlg.running
    assert dlg.row_text(0) == {"Check": "first check", "Result": "PASS", "Time": "0.5 s", "Detail": "all good"}
    assert not dlg.rerun_button.isEnabled()
    release.touch()
    qtbot.waitUntil(lambda: dlg.finished_code is not None, timeout=15000)
    assert dlg.finished_code == 1
    assert dlg.row_text(1) == {"Check": "second check", "Result": "FAIL", "Time": "1.2 s", "Detail": "weights damaged"}
    assert "INSTALLATION HAS PROBLEMS" in dlg.status_label.text()
    assert dlg.rerun_button.isEnabled()

    dlg.copy_button.click()
    report = QGuiApplication.clipboard().text()
    assert report == dlg.report_text()
    lines = report.splitlines()
    assert lines[0] == "GenAI Studio 9.9 installation check — Python 3.x, Test OS, test"
    assert lines[1].split() == ["CHECK", "RESULT", "TIME", "DETAIL"]
    assert lines[2].split()[:3] == ["first", "check", "PASS"] and lines[3].endswith("weights damaged")
    assert lines[4].startswith("2 checks: 1 passed, 0 warnings, 0 skipped, 1 failed")


def test_child_that_dies_is_reported_with_its_error(make_dialog, qtbot):
    dlg = make_dialog([sys.executable, "-c", CRASHING_CHILD])
    qtbot.waitUntil(lambda: dlg.finished_code is not None, timeout=15000)
    assert dlg.finished_code == 3
    assert "stopped early (exit code 3)" in dlg.status_label.text()
    report = dlg.report_text()
    assert "not finished: first check" in report and "RuntimeError: boom" in report


def test_closing_stops_the_child(make_dialog, qtbot):
    dlg = make_dialog([sys.executable, "-c", SLEEPING_CHILD])
    qtbot.waitUntil(lambda: dlg.plan != {}, timeout=15000)
    assert dlg.running
    dlg.reject()
    assert not dlg.running


def test_a_command_that_cannot_start(make_dialog, qtbot, tmp_path):
    dlg = make_dialog([str(tmp_path / "no-such-program")])
    qtbot.waitUntil(lambda: dlg.finished_code is not None, timeout=15000)
    assert "could not be started" in dlg.status_label.text()
    assert dlg.rerun_button.isEnabled()


def test_real_self_test_subset(make_dialog, qtbot):
    dlg = make_dialog(self_test_command() + ["--only", "app.environment,sound"])
    qtbot.waitUntil(lambda: dlg.finished_code is not None, timeout=60000)
    assert dlg.finished_code == 0 and dlg.summary["ok"] is True
    assert [dlg.row_text(r)["Check"] for r in range(dlg.table.rowCount())] == [
        "app and user folders", "audio output", "MIDI instruments"]
    assert dlg.row_text(0)["Result"] == "PASS"
    assert dlg.row_text(1)["Result"] in ("PASS", "WARN")  # WARN with the reason on machines without sound


def test_command_for_source_and_frozen_installs(monkeypatch, tmp_path):
    assert self_test_command() == [sys.executable, "-m", "genai_studio", "--self-test", "--json"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "genai-studio.exe"))
    assert self_test_command() == [str(tmp_path / "genai-studio.exe"), "--self-test", "--json"]
    (tmp_path / "genai-studio-cli.exe").touch()  # a Windows build's console twin is preferred
    assert self_test_command() == [str(tmp_path / "genai-studio-cli.exe"), "--self-test", "--json"]


def test_dialog_module_imports_no_engine():
    code = ("import sys, genai_studio.ui.dialogs.check_installation; "
            "bad = [m for m in sys.modules if m.startswith(('torch', 'spandrel', 'genai_studio.engines'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
