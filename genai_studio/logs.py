"""Logging: a rotating log file in the user log dir gets every traceback; the user sees one sentence."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from genai_studio import paths

LOG_FILE_NAME = "genai-studio.log"


def log_file() -> Path:
    return paths.log_dir() / LOG_FILE_NAME


def setup_logging(level: int = logging.INFO) -> Path:
    """Attach the rotating file handler once (1 MB x 5 files); returns the log file path."""
    target = log_file()
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(target) for h in root.handlers):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()  # unwritable log dir: still log somewhere, never fail to start
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return target
