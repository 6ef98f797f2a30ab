#!/usr/bin/env bash
# Build the one-folder Linux app with PyInstaller: DIST/genai-studio/genai-studio runs with no Python installed.
#
# Usage: packaging/build-linux.sh [--cuda] [--venv DIR] [--dist DIR] [--work DIR] [--no-install] [--self-test]
#   --cuda        CUDA torch 2.14.1 + torchvision 0.29.1 from PyPI (about 4.5 GB) instead of CPU torch 2.13.0
#   --venv DIR    build virtualenv (default: build/venv-cpu or build/venv-cuda in the repository)
#   --dist DIR    output folder (default: dist/ in the repository); the app lands in DIR/genai-studio
#   --work DIR    PyInstaller's work folder (default: build/pyinstaller-VARIANT)
#   --no-install  use the build venv as it is (skip pip)
#   --self-test   afterwards, run the built app's --self-test with no Python on PATH
#
# CPU torch: torch==2.13.0+cpu comes from PyTorch's CPU wheel index. Where pip does not already find it
# (this project's machines keep it in a local wheel folder), run with
#   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu packaging/build-linux.sh
# Python 3.11 is used (PYTHON=... to choose another interpreter of the same version).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VARIANT=cpu
VENV=""
DIST="$ROOT/dist"
WORK=""
INSTALL=1
SELF_TEST=0
PYTHON="${PYTHON:-python3.11}"
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) VARIANT=cuda ;;
    --venv) VENV="$2"; shift ;;
    --dist) DIST="$2"; shift ;;
    --work) WORK="$2"; shift ;;
    --no-install) INSTALL=0 ;;
    --self-test) SELF_TEST=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
VENV="${VENV:-$ROOT/build/venv-$VARIANT}"
WORK="${WORK:-$ROOT/build/pyinstaller-$VARIANT}"
PY="$VENV/bin/python"

if [ "$VARIANT" = cuda ]; then
  TORCH=("torch==2.14.1" "torchvision==0.29.1")  # the pair pyproject.toml pins; PyPI's Linux build is CUDA
else
  # PyPI has no CPU-only torchvision for Linux: 0.28.0 (built for torch 2.13.0) imports beside CPU torch with
  # the runtime hook pyinstaller/rthooks/pyi_rth_torchvision_cpu.py; from PyTorch's CPU index 0.28.0+cpu
  # also works (the hook then does nothing).
  TORCH=("torch==2.13.0+cpu")
  TORCHVISION="torchvision==0.28.0"
fi

started=$(date +%s)
if [ ! -x "$PY" ]; then
  echo "creating the build venv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
if [ "$INSTALL" = 1 ]; then
  echo "installing build requirements into $VENV ($VARIANT torch)"
  # The app's own dependencies, read from pyproject.toml, without torch/torchvision (chosen above).
  "$PY" - "$ROOT/pyproject.toml" > "$VENV/app-requirements.txt" <<'PY'
import re, sys, tomllib
for dep in tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]:
    if re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0].lower() not in ("torch", "torchvision"):
        print(dep)
PY
  # (stderr filtered of this machine's noisy find-links warnings; pip's exit status is kept)
  pip_quiet() { "$PY" -m pip install --quiet --disable-pip-version-check "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
  pip_quiet "${TORCH[@]}"
  if [ "$VARIANT" = cpu ]; then
    pip_quiet --no-deps "$TORCHVISION"
  fi
  pip_quiet -r "$VENV/app-requirements.txt" "pyinstaller==6.22.3" pyinstaller-hooks-contrib
  pip_quiet --no-deps basic-pitch==0.4.0  # only for its ONNX model file (its metadata pulls TensorFlow)
fi
"$PY" - <<'PY'
import runpy, sys
sys.path.insert(0, "packaging/pyinstaller/rthooks")
runpy.run_path("packaging/pyinstaller/rthooks/pyi_rth_torchvision_cpu.py")
import torch, torchvision, spandrel, PySide6, PyInstaller
print(f"build venv: torch {torch.__version__}, torchvision {torchvision.__version__}, spandrel {spandrel.__version__}, "
      f"PySide6 {PySide6.__version__}, PyInstaller {PyInstaller.__version__}")
PY
installed=$(date +%s)

echo "running PyInstaller (several minutes on 2 cores)"
cd "$ROOT"
PYTHONPATH="$ROOT" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/genai-studio.spec
built=$(date +%s)

APP="$DIST/genai-studio"
"$PY" - "$APP/BUILD-INFO.json" "$VARIANT" <<'PY'
import json, platform, subprocess, sys, time
import torch, genai_studio
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
info = {"app_version": genai_studio.__version__, "variant": sys.argv[2], "torch": torch.__version__,
        "python": platform.python_version(), "git_commit": commit, "built": time.strftime("%Y-%m-%d %H:%M:%S")}
open(sys.argv[1], "w").write(json.dumps(info, indent=2) + "\n")
PY
echo "built $APP in $((built - installed)) s (venv setup $((installed - started)) s); size $(du -sh "$APP" | cut -f1)"
"$APP/genai-studio" --version

if [ "$SELF_TEST" = 1 ]; then
  # No venv, no PYTHONPATH, a minimal PATH: what a user who never installed Python has.
  env -i HOME="$HOME" PATH=/usr/bin:/bin LANG=C.UTF-8 "$APP/genai-studio" --self-test
fi
