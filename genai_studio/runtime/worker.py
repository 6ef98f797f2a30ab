"""A device worker: one QThread that runs queued jobs one at a time and reports through signals.

Every exception is caught here — the single error boundary — and classified into a JobEvent, so a
failed job can never take the app down. Full tracebacks of unexpected errors go to the log file.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from genai_studio.core.errors import (
    OUT_OF_MEMORY_ADVICE, Cancelled, OutOfMemory, StudioError, looks_like_out_of_memory,
)
from genai_studio.core.jobs import JobEvent, JobSpec, JobState
from genai_studio.core.progress import CancelToken

log = logging.getLogger(__name__)

JobRunner = Callable[[JobSpec, CancelToken], Any]
PROGRESS_INTERVAL_S = 1 / 30  # plain progress events are throttled; previews are throttled by the token


@dataclass
class QueuedJob:
    job_id: int
    spec: JobSpec
    runner: JobRunner
    token: CancelToken = field(default_factory=CancelToken)


class DeviceWorker(QThread):
    """Runs jobs for one compute device. ``event`` is emitted from this thread; Qt queues it to receivers."""

    event = Signal(object)  # JobEvent

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"worker-{name}")
        self.device_name = name
        self._queue: queue.Queue[QueuedJob | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending: dict[int, QueuedJob] = {}
        self.current: QueuedJob | None = None

    def enqueue(self, job: QueuedJob) -> None:
        with self._lock:
            self._pending[job.job_id] = job
        self._queue.put(job)

    def cancel(self, job_id: int) -> bool:
        """Cancel a queued job (removed before it starts) or the running one (its token is set)."""
        with self._lock:
            job = self._pending.pop(job_id, None)
            if job is not None:
                job.token.cancel()
                self.event.emit(JobEvent(job_id, JobState.CANCELLED, message="Cancelled before it started"))
                return True
            if self.current is not None and self.current.job_id == job_id:
                self.current.token.cancel()
                return True
        return False

    def cancel_all(self) -> None:
        with self._lock:
            ids = list(self._pending)
            running = self.current
        for job_id in ids:
            self.cancel(job_id)
        if running is not None:
            running.token.cancel()

    def stop(self) -> None:
        self._queue.put(None)

    def run(self) -> None:  # worker thread
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                if self._pending.pop(job.job_id, None) is None:
                    continue  # cancelled while queued
                self.current = job
            try:
                self._execute(job)
            finally:
                with self._lock:
                    self.current = None

    def _execute(self, job: QueuedJob) -> None:
        last_emit = 0.0

        def on_progress(fraction: float, message: str, preview: np.ndarray | None) -> None:
            nonlocal last_emit
            now = time.monotonic()
            if preview is None and now - last_emit < PROGRESS_INTERVAL_S and fraction < 1.0:
                return
            last_emit = now
            self.event.emit(JobEvent(job.job_id, JobState.RUNNING, fraction, message, preview))

        job.token.set_listener(on_progress)
        self.event.emit(JobEvent(job.job_id, JobState.RUNNING, 0.0, "starting"))
        try:
            result = job.runner(job.spec, job.token)
        except Cancelled:
            self.event.emit(JobEvent(job.job_id, JobState.CANCELLED, job.token.fraction, "Cancelled"))
        except StudioError as exc:
            log.info("job %d (%s) failed: %s", job.job_id, job.spec.title, exc.message)
            self.event.emit(JobEvent(job.job_id, JobState.FAILED, job.token.fraction, exc.message, error_kind=exc.kind))
        except Exception as exc:  # noqa: BLE001 - the one boundary where anything unexpected is contained
            if looks_like_out_of_memory(exc):  # NumPy's MemoryError, torch's allocator RuntimeErrors
                log.exception("job %d ran out of memory", job.job_id)
                message, kind = OUT_OF_MEMORY_ADVICE, OutOfMemory.kind
            else:
                log.exception("job %d (%s) crashed", job.job_id, job.spec.title)
                message = f"Unexpected error: {type(exc).__name__}: {exc}. The full report is in the log file."
                kind = "unexpected"
            self.event.emit(JobEvent(job.job_id, JobState.FAILED, job.token.fraction, message, error_kind=kind))
        else:
            self.event.emit(JobEvent(job.job_id, JobState.DONE, 1.0, "Done", result=result))
