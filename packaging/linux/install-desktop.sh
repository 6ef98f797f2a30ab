#!/usr/bin/env bash
# Add GenAI Studio to the desktop for this user: menu entry, icons, AppStream metainfo, the .gstudio file type
# and "open .gstudio files with GenAI Studio". Nothing needs root; everything goes under ~/.local.
#
# Usage: packaging/linux/install-desktop.sh [--app DIR] [--data-dir DIR] [--bin-dir DIR] [--uninstall]
#   --app DIR       a one-folder build (DIR/genai-studio); linked as BIN-DIR/genai-studio. Without it the
#                   `genai-studio` already on PATH (e.g. a source install's venv) is used.
#   --data-dir DIR  default ${XDG_DATA_HOME:-~/.local/share}
#   --bin-dir DIR   default ~/.local/bin
#   --uninstall     remove what this script installed
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PACKAGING="$(dirname "$HERE")"
APP_ID=io.genaistudio.GenAIStudio
APP_DIR=""
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="$HOME/.local/bin"
UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --app) APP_DIR="$(cd "$2" && pwd)"; shift ;;
    --data-dir) DATA="$2"; shift ;;
    --bin-dir) BIN="$2"; shift ;;
    --uninstall) UNINSTALL=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

SIZES=(16 24 32 48 64 128 256 512)
refresh() {
  # Each tool is optional: desktops pick the files up at next login without them.
  if command -v update-mime-database >/dev/null; then update-mime-database "$DATA/mime" >/dev/null 2>&1 || true; fi
  if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$DATA/applications" || true; fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$DATA/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
  fi
}

if [ "$UNINSTALL" = 1 ]; then
  rm -f "$DATA/applications/$APP_ID.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml" \
        "$DATA/mime/packages/genai-studio-mime.xml" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
  for size in "${SIZES[@]}"; do rm -f "$DATA/icons/hicolor/${size}x${size}/apps/$APP_ID.png"; done
  if [ -L "$BIN/genai-studio" ]; then rm -f "$BIN/genai-studio"; fi
  refresh
  echo "GenAI Studio removed from the desktop (the app folder and your projects are untouched)"
  exit 0
fi

if [ -n "$APP_DIR" ]; then
  [ -x "$APP_DIR/genai-studio" ] || { echo "$APP_DIR/genai-studio is not an executable" >&2; exit 1; }
  mkdir -p "$BIN"
  ln -sfn "$APP_DIR/genai-studio" "$BIN/genai-studio"
  EXEC="$APP_DIR/genai-studio"
else
  EXEC="$(command -v genai-studio || true)"
  [ -n "$EXEC" ] || { echo "genai-studio is not on PATH; pass --app DIR (a one-folder build)" >&2; exit 1; }
fi

mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/mime/packages" "$DATA/icons/hicolor/scalable/apps"
# Absolute Exec/TryExec: the menu entry works even when BIN is not on the desktop session's PATH.
sed -e "s|^Exec=genai-studio|Exec=\"$EXEC\"|" -e "s|^TryExec=.*|TryExec=$EXEC|" \
  "$HERE/$APP_ID.desktop" > "$DATA/applications/$APP_ID.desktop"
cp "$HERE/$APP_ID.metainfo.xml" "$DATA/metainfo/"
cp "$HERE/genai-studio-mime.xml" "$DATA/mime/packages/"
cp "$PACKAGING/icons/genai-studio.svg" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
for size in "${SIZES[@]}"; do
  mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
  cp "$PACKAGING/icons/hicolor/${size}x${size}/apps/$APP_ID.png" "$DATA/icons/hicolor/${size}x${size}/apps/"
done
refresh
if command -v xdg-mime >/dev/null; then
  XDG_DATA_HOME="$DATA" xdg-mime default "$APP_ID.desktop" application/x-gstudio || true
fi
echo "GenAI Studio added to the desktop: menu entry, icons and .gstudio files open with $EXEC"
