"""Help ▸ Check Installation: runs `genai-studio --self-test --json` in a child process and shows a live table.

The checks load torch and every engine, which the GUI process must not do on its own thread; a QProcess
keeps the window responsive and the GUI free of engine imports. The child prints one JSON object per
line (protocol in :mod:`genai_studio.selftest.result`); rows fill in as checks finish. Copy Report puts a
plain-text table on the clipboard for a bug report.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QTimer
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genai_studio.selftest.result import (
    FAIL, PASS, SKIP, WARN, CheckResult, format_table, parse_line, summary_line,
)

COLUMNS = ("Check", "Result", "Time", "Detail")
RESULT_COLUMN = COLUMNS.index("Result")
PENDING = "…"
RUNNING = "running…"
STATUS_COLORS = {PASS: "#27ae60", WARN: "#d68910", FAIL: "#c0392b", SKIP: "#7f8c8d"}
TIMEOUT_MS = 5 * 60 * 1000  # the self-test takes well under a minute; a hung child is stopped after this
STDERR_TAIL_LINES = 30


def self_test_command() -> list[str]:
    """The self-test of this very installation: the frozen app's executable, or this interpreter's package.

    A Windows build's GUI executable has no usable stdout; it ships a console twin, genai-studio-cli.exe."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        console_twin = exe.with_name(f"{exe.stem}-cli{exe.suffix}")
        return [str(console_twin if console_twin.is_file() else exe), "--self-test", "--json"]
    return [sys.executable, "-m", "genai_studio", "--self-test", "--json"]


class CheckInstallationDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, command: list[str] | None = None,
                 autostart: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check Installation")
        self.resize(1000, 560)
        self._command = list(command or self_test_command())
        self._process: QProcess | None = None
        self._buffer = b""
        self._stderr: list[str] = []
        self._rows: dict[str, int] = {}
        self.results: dict[str, CheckResult] = {}
        self.plan: dict = {}
        self.summary: dict | None = None
        self.finished_code: int | None = None

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.status_label = QLabel("Starting the self-test…", self)
        self.status_label.setWordWrap(True)
        self.rerun_button = QPushButton("Run Again", self)
        self.copy_button = QPushButton("Copy Report", self)
        self.close_button = QPushButton("Close", self)
        self.copy_button.setToolTip("Copy the results as plain text, e.g. for a bug report")
        self.rerun_button.clicked.connect(self.start)
        self.copy_button.clicked.connect(self.copy_report)
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.rerun_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._on_timeout)
        self._copied = QTimer(self)  # "Copied" shows on the button for a moment
        self._copied.setSingleShot(True)
        self._copied.timeout.connect(lambda: self.copy_button.setText("Copy Report"))
        self.finished.connect(lambda _code: self.stop())
        if autostart:
            QTimer.singleShot(0, self.start)

    # ----- process ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning

    def start(self) -> None:
        if self.running:
            return
        self.table.setRowCount(0)
        self._rows.clear()
        self.results.clear()
        self.plan, self.summary, self.finished_code = {}, None, None
        self._buffer, self._stderr = b"", []
        process = QProcess(self)
        process.setProgram(self._command[0])
        process.setArguments(self._command[1:])
        process.readyReadStandardOutput.connect(self._on_stdout)
        process.readyReadStandardError.connect(self._on_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        self.rerun_button.setEnabled(False)
        self.status_label.setText("Checking the installation: every model loads and every engine runs one tiny job "
                                  "(usually well under a minute)…")
        process.start()
        self._timeout.start(TIMEOUT_MS)

    def stop(self) -> None:
        """Stop a running self-test (closing the dialog does this); nothing is left running."""
        self._timeout.stop()
        if self.running:
            assert self._process is not None
            self._process.kill()
            self._process.waitForFinished(3000)

    def _on_stdout(self) -> None:
        assert self._process is not None
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            event = parse_line(line.decode("utf-8", errors="replace"))
            if event is not None:
                self.handle_event(event)

    def _on_stderr(self) -> None:
        assert self._process is not None
        text = bytes(self._process.readAllStandardError().data()).decode("utf-8", errors="replace")
        self._stderr = (self._stderr + text.splitlines())[-STDERR_TAIL_LINES:]

    def _on_finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._timeout.stop()
        if self._buffer.strip():
            event = parse_line(self._buffer.decode("utf-8", errors="replace"))
            self._buffer = b""
            if event is not None:
                self.handle_event(event)
        self.finished_code = code
        self.rerun_button.setEnabled(True)
        if self.summary is None:
            tail = "\n".join(self._stderr[-5:])
            self._set_status(FAIL, f"The self-test stopped early (exit code {code}).{' ' + tail if tail else ''}")

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._timeout.stop()
            self.rerun_button.setEnabled(True)
            self.finished_code = -1
            self._set_status(FAIL, f"The self-test could not be started ({' '.join(self._command)}).")

    def _on_timeout(self) -> None:
        self.stop()
        self._set_status(FAIL, f"The self-test took longer than {TIMEOUT_MS // 60000} minutes and was stopped.")

    # ----- events → table ---------------------------------------------------------------------------
    def handle_event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "plan":
            self.plan = event
            for check in event.get("checks", []):
                self._add_row(str(check.get("name", "")), str(check.get("title", "")))
        elif kind == "start":
            row = self._row(str(event.get("name", "")), str(event.get("name", "")))
            self._set_cell(row, RESULT_COLUMN, RUNNING)
            self.table.scrollToItem(self.table.item(row, 0))
        elif kind == "result":
            result = CheckResult.from_event(event)
            self.results[result.name] = result
            row = self._row(result.name, result.title)
            self._set_cell(row, 1, result.status.upper(), STATUS_COLORS.get(result.status))
            self._set_cell(row, 2, f"{result.seconds:.1f} s")
            self._set_cell(row, 3, result.detail)
            self.table.resizeRowToContents(row)
        elif kind == "summary":
            self.summary = event
            failed = not event.get("ok", False)
            self._set_status(FAIL if failed else PASS, str(event.get("text", "")))

    def _add_row(self, name: str, title: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._rows[name] = row
        self._set_cell(row, 0, title)
        self._set_cell(row, RESULT_COLUMN, PENDING)
        for column in (2, 3):
            self._set_cell(row, column, "")
        self.table.resizeRowToContents(row)
        return row

    def _row(self, name: str, title: str) -> int:
        return self._rows[name] if name in self._rows else self._add_row(name, title)

    def _set_cell(self, row: int, column: int, text: str, color: str | None = None) -> None:
        item = QTableWidgetItem(text)
        if color:
            item.setForeground(QColor(color))
        self.table.setItem(row, column, item)

    def _set_status(self, status: str, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {STATUS_COLORS[status]};" if status in (PASS, FAIL) else "")

    def row_text(self, row: int) -> dict[str, str]:
        return {COLUMNS[c]: (self.table.item(row, c).text() if self.table.item(row, c) else "")
                for c in range(len(COLUMNS))}

    # ----- report -----------------------------------------------------------------------------------
    def report_text(self) -> str:
        """The plain-text report Copy Report puts on the clipboard."""
        results = [self.results[n] for n in self._rows if n in self.results]
        plan = self.plan
        lines = [f"GenAI Studio {plan.get('app_version', '?')} installation check — Python {plan.get('python', '?')}, "
                 f"{plan.get('platform', '?')}, {plan.get('install', '?')}"]
        if results:
            lines.append(format_table(results))
        pending = [self.row_text(r)["Check"] for n, r in self._rows.items() if n not in self.results]
        if pending:
            lines.append(f"not finished: {', '.join(pending)}")
        if self.summary is not None:
            lines.append(summary_line(results, float(self.summary.get("seconds", 0.0))))
        else:
            lines.append(self.status_label.text())
        if self._stderr and (self.summary is None or not self.summary.get("ok", False)):
            lines.append("last error output:")
            lines.extend(f"  {line}" for line in self._stderr)
        return "\n".join(lines) + "\n"

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())
        self.copy_button.setText("Copied")
        self._copied.start(2000)
