"""The job controller: queues specs onto device workers and republishes their events on the GUI thread."""

from __future__ import annotations

import atexit
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from genai_studio.core.jobs import JobEvent, JobSpec, JobState
from genai_studio.runtime.device_probe import worker_for
from genai_studio.runtime.worker import DeviceWorker, JobRunner, QueuedJob

log = logging.getLogger(__name__)


@dataclass
class JobRecord:
    job_id: int
    spec: JobSpec
    worker: str
    state: JobState = JobState.QUEUED
    fraction: float = 0.0
    message: str = "Queued"
    error_kind: str = ""
    result: Any = None
    submitted_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None


KEPT_RESULTS = 8  # finished jobs whose result objects stay reachable from their records


class JobController(QObject):
    """Owns the device workers. ``event`` fires on the GUI thread for every job change."""

    event = Signal(object)  # JobEvent
    submitted = Signal(object)  # JobRecord

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._ids = itertools.count(1)
        self._workers: dict[str, DeviceWorker] = {}
        self.jobs: dict[int, JobRecord] = {}

    def _worker(self, name: str) -> DeviceWorker:
        if name not in self._workers:
            worker = DeviceWorker(name)
            worker.event.connect(self._on_worker_event, Qt.ConnectionType.QueuedConnection)
            worker.start()
            _keep_alive_until_finished(worker)
            self._workers[name] = worker
        return self._workers[name]

    def submit(self, spec: JobSpec, runner: JobRunner | None = None) -> int:
        job_id = next(self._ids)
        worker_name = worker_for(spec.device)
        if getattr(spec, "long_running", False):
            # Training runs for hours: its own queue, so generating or restoring never waits behind it.
            worker_name += "-training"
        record = JobRecord(job_id, spec, worker_name)
        self.jobs[job_id] = record
        self.submitted.emit(record)
        self._worker(worker_name).enqueue(QueuedJob(job_id, spec, runner or self._runner))
        return job_id

    def cancel(self, job_id: int) -> bool:
        record = self.jobs.get(job_id)
        if record is None or record.state.finished:
            return False
        return self._workers[record.worker].cancel(job_id)

    def cancel_all(self) -> None:
        for worker in self._workers.values():
            worker.cancel_all()

    def forget(self, job_ids) -> None:
        """Drop finished jobs' records (Clear finished): their results and inputs are freed."""
        for job_id in job_ids:
            record = self.jobs.get(job_id)
            if record is not None and record.state.finished:
                del self.jobs[job_id]

    def active_count(self) -> int:
        return sum(1 for r in self.jobs.values() if not r.state.finished)

    @Slot(object)
    def _on_worker_event(self, ev: JobEvent) -> None:
        record = self.jobs.get(ev.job_id)
        if record is None or record.state.finished:
            return
        if ev.state is JobState.RUNNING and record.started_at is None:
            record.started_at = time.monotonic()
        record.state, record.fraction = ev.state, ev.fraction
        record.message = ev.message or record.message
        record.error_kind = ev.error_kind
        if ev.state.finished:
            record.finished_at = time.monotonic()
            record.result = ev.result
        self.event.emit(ev)
        if ev.state.finished:
            self._release_old_results()

    def _release_old_results(self) -> None:
        """Results are delivered by the event; records keep only the newest few, so a long session of big
        upscales does not hold every result image in memory until Clear finished."""
        holding = [r for r in self.jobs.values() if r.state.finished and r.result is not None]
        for record in holding[:-KEPT_RESULTS]:
            record.result = None

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and join the workers; True when all stopped in time."""
        self.cancel_all()
        for worker in self._workers.values():
            worker.stop()
        stopped = all([worker.wait(timeout_ms) for worker in self._workers.values()])
        self._workers.clear()
        return stopped


# Every started worker stays referenced here until its thread has ended: Qt aborts the process when a
# running QThread is destroyed, which would otherwise happen if a controller were garbage-collected
# without shutdown(), or shut down while a step that cannot be interrupted (model loading) outlived
# the timeout. At interpreter exit the survivors are stopped and joined.
_LIVE_WORKERS: set[DeviceWorker] = set()


def _keep_alive_until_finished(worker: DeviceWorker) -> None:
    if not _LIVE_WORKERS:
        atexit.register(_stop_live_workers)
    _LIVE_WORKERS.add(worker)
    worker.finished.connect(lambda: _LIVE_WORKERS.discard(worker))


def _stop_live_workers() -> None:
    for worker in list(_LIVE_WORKERS):
        worker.cancel_all()
        worker.stop()
    for worker in list(_LIVE_WORKERS):
        worker.wait(60_000)
