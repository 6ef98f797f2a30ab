"""The job controller and device workers, with fake runners: queueing, progress, cancel, failure containment."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.core.jobs import JobSpec, JobState
from genai_studio.runtime.controller import JobController


def _steps_runner(steps: int = 5, delay: float = 0.02):
    def run(spec, token):
        for i in range(steps):
            time.sleep(delay)
            token.report(i + 1, steps, np.zeros((4, 4, 3), np.uint8), f"step {i + 1}")
        return "result"

    return run


@pytest.fixture
def controller(qtbot):
    c = JobController(_steps_runner())
    yield c
    c.shutdown()


def _wait_finished(qtbot, controller, job_id, timeout=5000):
    qtbot.waitUntil(lambda: controller.jobs[job_id].state.finished, timeout=timeout)
    return controller.jobs[job_id]


def test_job_runs_reports_progress_and_finishes(qtbot, controller):
    events = []
    controller.event.connect(events.append)
    job_id = controller.submit(JobSpec(device="cpu"))
    record = _wait_finished(qtbot, controller, job_id)
    assert record.state is JobState.DONE and record.result == "result"
    fractions = [e.fraction for e in events if e.state is JobState.RUNNING]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert any(e.preview is not None for e in events)
    assert all(threading.current_thread() is threading.main_thread() for _ in events)


def test_events_arrive_on_the_gui_thread(qtbot, controller):
    threads = []
    controller.event.connect(lambda e: threads.append(threading.current_thread()))
    _wait_finished(qtbot, controller, controller.submit(JobSpec(device="cpu")))
    assert threads and all(t is threading.main_thread() for t in threads)


def test_cancel_queued_job_never_runs(qtbot):
    started = []
    gate = threading.Event()

    def run(spec, token):
        started.append(spec)
        gate.wait(5)
        return "x"

    c = JobController(run)
    first = c.submit(JobSpec(device="cpu"))
    second_spec = JobSpec(device="cpu")
    second = c.submit(second_spec)
    assert c.cancel(second)
    gate.set()
    _wait_finished(qtbot, c, first)
    assert _wait_finished(qtbot, c, second).state is JobState.CANCELLED
    assert second_spec not in started
    c.shutdown()


def test_cancel_running_job_stops_it_promptly(qtbot):
    def run(spec, token):
        for i in range(1000):
            time.sleep(0.01)
            token.report(i, 1000)
        return "never"

    c = JobController(run)
    job_id = c.submit(JobSpec(device="cpu"))
    qtbot.waitUntil(lambda: c.jobs[job_id].state is JobState.RUNNING, timeout=3000)
    t0 = time.monotonic()
    assert c.cancel(job_id)
    record = _wait_finished(qtbot, c, job_id)
    assert record.state is JobState.CANCELLED
    assert time.monotonic() - t0 < 1.0
    c.shutdown()


def test_failures_are_classified_and_the_worker_survives(qtbot):
    def run(spec, token):
        if spec.device == "cpu" and getattr(run, "calls", 0) == 0:
            run.calls = 1
            raise BadInput("photo.png is empty (0 bytes)")
        if getattr(run, "calls", 0) == 1:
            run.calls = 2
            raise ZeroDivisionError("boom")
        return "fine"

    c = JobController(run)
    bad = _wait_finished(qtbot, c, c.submit(JobSpec(device="cpu")))
    assert bad.state is JobState.FAILED and bad.error_kind == "bad-input"
    assert bad.message == "photo.png is empty (0 bytes)"
    crash = _wait_finished(qtbot, c, c.submit(JobSpec(device="cpu")))
    assert crash.state is JobState.FAILED and crash.error_kind == "unexpected"
    assert "ZeroDivisionError: boom" in crash.message and "log file" in crash.message
    ok = _wait_finished(qtbot, c, c.submit(JobSpec(device="cpu")))
    assert ok.state is JobState.DONE and ok.result == "fine"
    c.shutdown()


def test_an_allocator_failure_is_reported_as_out_of_memory(qtbot):
    """torch raises RuntimeErrors for a failed CPU allocation, NumPy a MemoryError: both read as memory."""
    failures = iter([RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory"),
                     MemoryError("Unable to allocate 1.12 GiB")])

    def run(spec, token):
        raise next(failures)

    c = JobController(run)
    for _ in range(2):
        record = _wait_finished(qtbot, c, c.submit(JobSpec(device="cpu")))
        assert record.error_kind == "out-of-memory" and "smaller tile size" in record.message
    c.shutdown()


def test_event_loop_keeps_turning_while_a_job_runs(qtbot):
    def run(spec, token):
        end = time.monotonic() + 0.6
        x = 0
        while time.monotonic() < end:  # CPU-bound work on the worker thread
            x += 1
            if x % 10000 == 0:
                token.check()
        return x

    c = JobController(run)
    ticks = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    job_id = c.submit(JobSpec(device="cpu"))
    _wait_finished(qtbot, c, job_id)
    timer.stop()
    # A blocked GUI thread would tick once or not at all; 10 of ~60 possible ticks leaves room for a busy CI host.
    assert len(ticks) >= 10
    c.shutdown()


def test_shutdown_cancels_and_joins(qtbot):
    def run(spec, token):
        while True:
            time.sleep(0.01)
            token.check()

    c = JobController(run)
    job_id = c.submit(JobSpec(device="cpu"))
    qtbot.waitUntil(lambda: c.jobs[job_id].state is JobState.RUNNING, timeout=3000)
    assert c.shutdown(timeout_ms=3000)


def test_a_controller_dropped_without_shutdown_does_not_abort_the_process():
    """Qt aborts when a running QThread is destroyed; a forgotten controller must not do that."""
    import subprocess
    import sys

    code = (
        "import gc, time\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from genai_studio.core.jobs import JobSpec\n"
        "from genai_studio.runtime.controller import JobController\n"
        "app = QCoreApplication([])\n"
        "c = JobController(lambda spec, token: time.sleep(0.2))\n"
        "c.submit(JobSpec(device='cpu'))\n"
        "time.sleep(0.05)\n"
        "del c\n"
        "gc.collect()\n"
        "print('survived', flush=True)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "survived" in result.stdout and "Destroyed while thread" not in result.stderr


def test_finished_results_are_released_and_clear_forgets_the_records(qtbot):
    """A long session of big results must not keep every one in memory: records hold only the newest few
    results (each was already delivered by its event), and Clear finished drops the records altogether."""
    from genai_studio.runtime.controller import KEPT_RESULTS

    controller = JobController(lambda spec, token: bytearray(1024))
    delivered = []
    controller.event.connect(lambda e: delivered.append(e.result) if e.state.finished else None)
    try:
        ids = [controller.submit(JobSpec(device="cpu")) for _ in range(KEPT_RESULTS + 3)]
        qtbot.waitUntil(lambda: all(controller.jobs[j].state.finished for j in ids), timeout=10000)
        assert len(delivered) == len(ids) and all(r is not None for r in delivered)
        held = [j for j in ids if controller.jobs[j].result is not None]
        assert held == ids[-KEPT_RESULTS:]
        controller.forget(ids[:5])
        assert sorted(controller.jobs) == ids[5:]
    finally:
        controller.shutdown()
