"""The architecture's import rules: import-linter contracts plus the PySide6-submodule rules it cannot express."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "genai_studio"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _layer_imports(layer: str) -> dict[str, set[str]]:
    return {str(p.relative_to(ROOT)): _imports(p) for p in (PACKAGE / layer).rglob("*.py")}


def test_import_linter_contracts_hold():
    exe = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("layer,allowed", [("runtime", {"PySide6.QtCore"}), ("state", {"PySide6.QtCore", "PySide6.QtGui"})])
def test_runtime_and_state_use_only_their_qt_modules(layer, allowed):
    bad = {
        f: sorted(n for n in names if n.startswith("PySide6") and n not in allowed)
        for f, names in _layer_imports(layer).items()
    }
    assert not {f: n for f, n in bad.items() if n}, bad


def test_importing_the_app_does_not_import_torch():
    code = (
        "import sys; import genai_studio.app, genai_studio.cli; "
        "bad = [m for m in ('torch', 'spandrel', 'torchvision') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
