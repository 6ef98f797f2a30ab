"""Runs the checks in order, times each, and prints a pass/fail table or JSON lines (``--json``).

`genai-studio --self-test [--json] [--only PREFIX,…] [--list]`; exit 0 only when no required check failed.
Order: the cheap shell checks first (folders, Qt, sound), then every model's hash, then one tiny job per
engine family, so the first rows appear at once and torch loads only when a check needs it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import platform
import sys
import time
from typing import Callable, Sequence, TextIO

from genai_studio import __version__
from genai_studio.selftest.checks_app import APP_CHECKS, SOUND_CHECKS, install_kind
from genai_studio.selftest.checks_engines import ENGINE_CHECKS
from genai_studio.selftest.checks_models import model_checks
from genai_studio.selftest.context import Check, SelfTestContext
from genai_studio.selftest.result import (
    FAIL, WARN, CheckResult, Outcome, counts, encode, exit_code, failed, format_table, summary_line,
)

log = logging.getLogger(__name__)


def default_checks(ctx: SelfTestContext) -> list[Check]:
    try:
        models = model_checks(ctx)
    except Exception as exc:  # the store itself is broken: one row says so instead of a crash
        log.exception("self-test: listing models failed")
        message = f"the model list cannot be read: {_describe(exc)}"
        models = [Check("model.store", "model store", lambda _ctx: failed(message))]
    return [*APP_CHECKS, *SOUND_CHECKS, *models, *ENGINE_CHECKS]


def select(checks: Sequence[Check], only: Sequence[str]) -> list[Check]:
    """Checks whose name equals or starts with one of ``only`` ("engine" matches "engine.upscale")."""
    if not only:
        return list(checks)
    return [c for c in checks if any(c.name == p or c.name.startswith(p.rstrip(".") + ".") for p in only)]


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message if getattr(exc, "message", None) else f"{type(exc).__name__}: {message}"


def run_check(check: Check, ctx: SelfTestContext) -> CheckResult:
    started = time.perf_counter()
    try:
        outcome = check.run(ctx)
        if not isinstance(outcome, Outcome):
            raise TypeError(f"check {check.name} returned {type(outcome).__name__}, not an Outcome")
    except Exception as exc:  # any error is this check's failure; the next check still runs
        log.exception("self-test check %s failed", check.name)
        outcome = failed(_describe(exc))
    seconds = time.perf_counter() - started
    status = WARN if outcome.status == FAIL and not check.required else outcome.status
    return CheckResult(check.name, check.title, status, outcome.detail, seconds, check.required)


def run_checks(checks: Sequence[Check], ctx: SelfTestContext,
               on_start: Callable[[Check], None] | None = None,
               on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    results = []
    for check in checks:
        if on_start is not None:
            on_start(check)
        result = run_check(check, ctx)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def header() -> str:
    return (f"GenAI Studio {__version__} self-test — Python {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}, {install_kind()}")


def _emit(stream: TextIO, event: dict) -> None:
    stream.write(encode(event) + "\n")
    stream.flush()


def run_json(checks: Sequence[Check], ctx: SelfTestContext, out: TextIO) -> int:
    started = time.perf_counter()
    _emit(out, {"event": "plan", "app_version": __version__, "python": platform.python_version(),
                "platform": f"{platform.system()} {platform.machine()}", "frozen": bool(getattr(sys, "frozen", False)),
                "install": install_kind(),
                "checks": [{"name": c.name, "title": c.title, "required": c.required} for c in checks]})
    # Libraries that print would corrupt the stream: while checks run, print() goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        results = run_checks(checks, ctx, on_start=lambda c: _emit(out, {"event": "start", "name": c.name}),
                             on_result=lambda r: _emit(out, r.to_event()))
    code = exit_code(results)
    _emit(out, {"event": "summary", "ok": code == 0, "exit_code": code, "counts": counts(results),
                "seconds": round(time.perf_counter() - started, 3), "text": summary_line(results, time.perf_counter() - started)})
    return code


def run_text(checks: Sequence[Check], ctx: SelfTestContext, out: TextIO) -> int:
    started = time.perf_counter()
    out.write(header() + "\n")
    out.flush()
    interactive = sys.stderr.isatty()

    def show_start(check: Check) -> None:
        if interactive:
            sys.stderr.write(f"\rchecking {check.title}…\x1b[K")
            sys.stderr.flush()

    results = run_checks(checks, ctx, on_start=show_start)
    if interactive:
        sys.stderr.write("\r\x1b[K")
    out.write(format_table(results) + "\n")
    out.write(summary_line(results, time.perf_counter() - started) + "\n")
    out.flush()
    return exit_code(results)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genai-studio --self-test",
                                description="Check this installation offline; exit 0 when every required check passes.")
    p.add_argument("--json", action="store_true", help="JSON lines (plan, start, result…, summary) instead of a table")
    p.add_argument("--only", default="", metavar="PREFIX,…",
                   help="run only checks whose name starts with one of these (e.g. app,engine.upscale)")
    p.add_argument("--list", action="store_true", help="list the check names and exit")
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    out = out or sys.stdout
    ctx = SelfTestContext()
    try:
        checks = select(default_checks(ctx), [p.strip() for p in args.only.split(",") if p.strip()])
        if args.list:
            for c in checks:
                out.write(f"{c.name}\t{c.title}{'' if c.required else '  (optional)'}\n")
            return 0
        if not checks:
            print(f"error: no check matches --only {args.only!r}; see --list", file=sys.stderr)
            return 2
        return run_json(checks, ctx, out) if args.json else run_text(checks, ctx, out)
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return 130
    finally:
        ctx.close()
