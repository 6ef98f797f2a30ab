"""Run a short blocking call (a model import, a hash check) off the GUI thread while the window stays live.

The caller waits in a local event loop, so the call reads as synchronous, but painting, progress and
other events keep flowing; the calling widget is disabled meanwhile so it cannot be re-entered.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QWidget

T = TypeVar("T")


class _Done(QObject):
    finished = Signal()


def run_in_background(widget: QWidget | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` on a worker thread; return its result or re-raise its exception here."""
    outcome: dict[str, Any] = {}
    done = _Done()
    loop = QEventLoop()
    done.finished.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

    def work() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread unchanged
            outcome["error"] = exc
        done.finished.emit()

    if widget is not None:
        widget.setEnabled(False)
    QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
    try:
        thread = threading.Thread(target=work, name="ui-background", daemon=True)
        thread.start()
        loop.exec()
        thread.join()
    finally:
        QApplication.restoreOverrideCursor()
        if widget is not None:
            widget.setEnabled(True)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
