"""The CLI's one way of turning a user-facing failure into one `error: …` line and exit code 2."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from genai_studio.core.errors import StudioError


def run_reporting_errors(action: Callable[[], int]) -> int:
    try:
        return action()
    except StudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        return 2


def print_usage(parser: argparse.ArgumentParser) -> int:
    """A command group run without its action: show what it takes, exit 2."""
    parser.print_help(sys.stderr)
    return 2
