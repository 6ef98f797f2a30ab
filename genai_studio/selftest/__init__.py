"""`genai-studio --self-test`: an offline check of this installation, as a pass/fail table or JSON lines.

Kept light on purpose: importing this package (or :mod:`genai_studio.selftest.result`, which the Help ▸
Check Installation dialog uses to read the JSON lines) imports no engine, no torch and no Qt widgets.
The checks themselves live in ``checks_*.py`` and are imported by :mod:`genai_studio.selftest.runner`.
"""

from genai_studio.selftest.result import FAIL, PASS, SKIP, WARN, CheckResult, Outcome

__all__ = ["CheckResult", "Outcome", "PASS", "WARN", "FAIL", "SKIP"]
