#!/usr/bin/env bash
# Set up GenAI Studio in ./.venv: system libraries (Debian/Ubuntu, when we may install them), then the
# Python package. Usage: scripts/setup.sh [app|test]. Safe to re-run: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-app}"
PYTHON="${PYTHON:-python3}"

# PortAudio for sound, FluidSynth + a small General MIDI SoundFont for instruments; the xcb/EGL libraries
# Qt needs for a real window.
SYSTEM_PACKAGES=(libportaudio2 libsndfile1 libfluidsynth3 timgm6mb-soundfont libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
                 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libdbus-1-3
                 libfontconfig1)
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    if [ -z "$SUDO" ] || sudo -n true 2>/dev/null; then
      echo "Installing system libraries: ${missing[*]}"
      $SUDO apt-get update -qq >/dev/null || true
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
        || echo "warning: could not install ${missing[*]}; sound or the window may not work" >&2
    else
      echo "note: please install these system packages: ${missing[*]}" >&2
    fi
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
EXTRA=""
[ "$MODE" = "test" ] && EXTRA="[test]"
# Reinstall only when pyproject.toml changed since the last successful install.
STAMP=".venv/.genai-studio-installed-$MODE"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install --quiet -e ".$EXTRA" 2>&1 | grep -vE "is ignored: it is neither|BuildBackendWarning|^ *(!!|\*+|Please be careful|name as your package|with strategy)|^ *$" || true
  .venv/bin/python -m pip install --quiet --no-deps basic-pitch==0.4.0 2>&1 | grep -v "is ignored: it is neither" || true
  .venv/bin/python -c "import importlib.util, genai_studio, torch, spandrel, PySide6, piper, pyworld, pedalboard; assert importlib.util.find_spec('basic_pitch')" || { echo "install failed" >&2; exit 1; }
  if [ "$MODE" = "app" ]; then
    # Convert the bundled Real-ESRGAN weights now, so the first upscale does not wait for it.
    .venv/bin/genai-studio models prepare >/dev/null || echo "warning: model conversion failed; it will be retried on first use" >&2
  fi
  touch "$STAMP"
fi
