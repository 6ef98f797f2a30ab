"""Self-test rows and the JSON-lines protocol between `genai-studio --self-test --json` and its readers.

Standard library only: the GUI's Check Installation dialog imports this module to read the child
process's output, and must not pull in the engines.

Protocol (``--json``): one JSON object per line, flushed as it happens, so a reader can show a live table:

* ``{"event": "plan", "app_version", "python", "platform", "frozen", "checks": [{"name", "title", "required"}]}``
* ``{"event": "start", "name"}`` when a check begins
* ``{"event": "result", "name", "title", "status", "detail", "seconds", "required"}`` when it ends
* ``{"event": "summary", "ok", "exit_code", "seconds", "counts": {"pass", "warn", "fail", "skip"}, "text"}`` last
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Iterable

PASS = "pass"
WARN = "warn"  # works, with a limitation the user should know (e.g. no sound card); never fails the run
FAIL = "fail"  # a required part is broken: exit code 1
SKIP = "skip"  # not part of this version or not applicable here
STATUSES = (PASS, WARN, FAIL, SKIP)

EXIT_OK = 0
EXIT_FAILED = 1


@dataclass(frozen=True)
class Outcome:
    """What a check function returns: a status and one sentence a user can act on."""

    status: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


def passed(detail: str = "") -> Outcome:
    return Outcome(PASS, detail)


def warned(detail: str) -> Outcome:
    return Outcome(WARN, detail)


def failed(detail: str) -> Outcome:
    return Outcome(FAIL, detail)


def skipped(detail: str) -> Outcome:
    return Outcome(SKIP, detail)


@dataclass(frozen=True)
class CheckResult:
    """One row of the table."""

    name: str  # stable id, e.g. "engine.upscale" or "model.melody-folk"
    title: str  # what the table shows
    status: str
    detail: str
    seconds: float
    required: bool = True

    def to_event(self) -> dict[str, Any]:
        return {"event": "result", **asdict(self), "seconds": round(self.seconds, 3)}

    @staticmethod
    def from_event(event: dict[str, Any]) -> "CheckResult":
        status = str(event.get("status", FAIL))
        return CheckResult(
            name=str(event.get("name", "")),
            title=str(event.get("title", event.get("name", ""))),
            status=status if status in STATUSES else FAIL,
            detail=str(event.get("detail", "")),
            seconds=float(event.get("seconds", 0.0)),
            required=bool(event.get("required", True)),
        )


def counts(results: Iterable[CheckResult]) -> dict[str, int]:
    out = {s: 0 for s in STATUSES}
    for r in results:
        out[r.status] += 1
    return out


def exit_code(results: Iterable[CheckResult]) -> int:
    """0 only when no check failed (warnings and skips are fine)."""
    return EXIT_FAILED if any(r.status == FAIL for r in results) else EXIT_OK


def summary_line(results: list[CheckResult], seconds: float) -> str:
    c = counts(results)
    verdict = "all required checks passed" if exit_code(results) == EXIT_OK else "INSTALLATION HAS PROBLEMS"
    warnings = f"{c[WARN]} warning{'s' if c[WARN] != 1 else ''}"
    return (f"{len(results)} checks: {c[PASS]} passed, {warnings}, {c[SKIP]} skipped, {c[FAIL]} failed "
            f"in {seconds:.1f} s — {verdict}")


def format_table(results: list[CheckResult]) -> str:
    """Plain-text table: CHECK, RESULT, TIME, DETAIL (detail unwrapped so the report copies cleanly)."""
    header = ("CHECK", "RESULT", "TIME", "DETAIL")
    rows = [(r.title, r.status.upper(), f"{r.seconds:.1f} s", r.detail) for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def encode(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def parse_line(line: str) -> dict[str, Any] | None:
    """The event on one output line, or None for anything else (a library that printed to stdout)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None
