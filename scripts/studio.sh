#!/usr/bin/env bash
# Set up (first run) and launch GenAI Studio. Extra arguments are passed on, e.g. files to open.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
exec .venv/bin/genai-studio "$@"
