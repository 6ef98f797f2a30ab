"""Atomic file writes: the file at a path is either the old one or the complete new one, never a partial.

Write a temp file in the same folder (same filesystem, so the rename is atomic), fsync it, rename it over
the target, then fsync the folder. OS errors become DiskFull/BadInput with a message a person can act on.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Iterator

from genai_studio.core.errors import BadInput, DiskFull, StudioError


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temp file beside ``path`` for writing; on success it replaces ``path`` atomically.

    Streams, so large files (audio) never need to sit in memory. On any failure the old file (if any)
    is untouched and no temp file is left behind. OS errors become DiskFull (disk full, folder not
    writable) or BadInput (folder missing) with a message a person can act on.
    """
    path = Path(path)
    folder = path.parent
    temp = folder / f".{path.name}.{secrets.token_hex(4)}.part"
    try:
        # 0o666 lets the process umask decide the final permissions, as for any newly created file.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _write_error(exc, path, 0) from exc
    try:
        with os.fdopen(fd, "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))  # overwriting keeps the old file's mode
        os.replace(temp, path)
    except BaseException as exc:
        size = temp.stat().st_size if temp.exists() else 0
        _remove_quietly(temp)
        if isinstance(exc, OSError):
            raise _write_error(exc, path, size) from exc
        raise
    _fsync_folder(folder)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path) as fh:
        fh.write(data)


def _write_error(exc: OSError, path: Path, size: int) -> StudioError:
    folder = path.parent
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return DiskFull(
            f"Not enough disk space to save {path.name} ({size / 1e6:.1f} MB) in {folder}; "
            "free some space or choose another folder."
        )
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return DiskFull(f"Cannot save {path.name}: the folder {folder} is not writable; choose another folder.")
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return BadInput(f"Cannot save {path.name}: {folder} does not exist.")
    return DiskFull(f"Could not save {path.name} in {folder}: {exc.strerror or exc}.")


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; POSIX only (Windows cannot open a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
