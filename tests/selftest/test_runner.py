"""The self-test runner: table, JSON lines and exit code, with failing checks injected."""

from __future__ import annotations

import io

import pytest

from genai_studio.cli import main as cli_main
from genai_studio.selftest import runner
from genai_studio.selftest.context import Check, SelfTestContext
from genai_studio.selftest.result import (
    FAIL, PASS, SKIP, WARN, CheckResult, Outcome, failed, parse_line, passed, skipped, warned,
)


def _boom(_ctx):
    raise RuntimeError("the engine exploded")


def _not_an_outcome(_ctx):
    return "pass"


CHECKS = [
    Check("app.ok", "works", lambda c: passed("fine")),
    Check("app.limited", "limited", lambda c: warned("no sound card")),
    Check("engine.absent", "absent", lambda c: skipped("not installed in this version")),
    Check("engine.broken", "broken", lambda c: failed("weights are damaged")),
    Check("engine.crash", "crash", _boom),
    Check("engine.optional", "optional", lambda c: failed("optional part missing"), required=False),
    Check("engine.bad_return", "bad return", _not_an_outcome),
]


@pytest.fixture
def ctx(tmp_path):
    context = SelfTestContext(workdir=tmp_path)
    yield context
    context.close()


def test_each_outcome_becomes_its_row(ctx):
    results = {r.name: r for r in runner.run_checks(CHECKS, ctx)}
    assert [results[n].status for n in ("app.ok", "app.limited", "engine.absent", "engine.broken")] == [
        PASS, WARN, SKIP, FAIL]
    assert results["engine.crash"].status == FAIL
    assert results["engine.crash"].detail == "RuntimeError: the engine exploded"
    # an optional check can report a problem but never fails the installation
    assert results["engine.optional"].status == WARN and results["engine.optional"].detail == "optional part missing"
    assert results["engine.bad_return"].status == FAIL and "not an Outcome" in results["engine.bad_return"].detail
    assert all(r.seconds >= 0 for r in results.values())


def test_table_and_exit_code_with_a_failure(ctx):
    out = io.StringIO()
    code = runner.run_text(CHECKS, ctx, out)
    text = out.getvalue()
    assert code == 1
    lines = text.splitlines()
    assert lines[0].startswith("GenAI Studio ") and "self-test" in lines[0]
    assert lines[1].split() == ["CHECK", "RESULT", "TIME", "DETAIL"]
    row = next(line for line in lines if line.startswith("broken"))
    assert row.split()[1] == "FAIL" and row.endswith("weights are damaged")
    assert lines[-1].startswith("7 checks: 1 passed, 2 warnings, 1 skipped, 3 failed in ")
    assert lines[-1].endswith("INSTALLATION HAS PROBLEMS")


def test_exit_zero_when_only_warnings_and_skips(ctx):
    out = io.StringIO()
    assert runner.run_text(CHECKS[:3] + [CHECKS[5]], ctx, out) == 0
    assert out.getvalue().rstrip().endswith("all required checks passed")


def test_json_lines_protocol(ctx):
    out = io.StringIO()
    code = runner.run_json(CHECKS, ctx, out)
    events = [parse_line(line) for line in out.getvalue().splitlines()]
    assert all(e is not None for e in events)
    assert [e["event"] for e in events] == ["plan"] + ["start", "result"] * len(CHECKS) + ["summary"]
    assert [c["name"] for c in events[0]["checks"]] == [c.name for c in CHECKS]
    assert events[0]["checks"][5]["required"] is False
    results = [CheckResult.from_event(e) for e in events if e["event"] == "result"]
    assert results[3] == CheckResult("engine.broken", "broken", FAIL, "weights are damaged", results[3].seconds, True)
    summary = events[-1]
    assert code == summary["exit_code"] == 1 and summary["ok"] is False
    assert summary["counts"] == {PASS: 1, WARN: 2, SKIP: 1, FAIL: 3}


def test_json_stream_stays_clean_when_a_check_prints(ctx):
    def noisy(_ctx):
        print("a library talking on stdout")
        return passed()

    out = io.StringIO()
    runner.run_json([Check("app.noisy", "noisy", noisy)], ctx, out)
    assert all(parse_line(line) is not None for line in out.getvalue().splitlines())


def test_parse_line_ignores_anything_but_events():
    assert parse_line("Qt: This plugin does not support propagateSizeHints()") is None
    assert parse_line("{not json") is None
    assert parse_line('{"no_event": 1}') is None
    assert parse_line('{"event": "start", "name": "x"}') == {"event": "start", "name": "x"}


def test_outcome_rejects_unknown_status():
    with pytest.raises(ValueError):
        Outcome("maybe")


def test_select_by_name_prefix():
    names = [c.name for c in runner.select(CHECKS, ["app", "engine.broken"])]
    assert names == ["app.ok", "app.limited", "engine.broken"]
    assert runner.select(CHECKS, []) == CHECKS
    assert runner.select(CHECKS, ["eng"]) == []  # whole name parts only


def test_cli_flag_runs_the_self_test(capsys):
    assert cli_main(["--self-test", "--only", "app.environment"]) == 0
    out = capsys.readouterr().out
    assert "app and user folders" in out and "1 checks: 1 passed" in out
    assert cli_main(["--json", "--self-test", "--only", "app.environment"]) == 0
    events = [parse_line(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "plan" and events[-1]["event"] == "summary" and events[-1]["ok"] is True


def test_cli_list_and_unknown_selection(capsys):
    assert cli_main(["--self-test", "--list"]) == 0
    names = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert names[:3] == ["app.environment", "app.qt", "app.window_system"]
    assert "model.melody-folk" in names and "engine.upscale" in names
    assert cli_main(["--self-test", "--only", "nothing.like.this"]) == 2
    assert "no check matches" in capsys.readouterr().err
