"""Model manager dialog: see every model, import a restoration model file, verify hashes, remove imports.

Import and Verify run on a background thread (ui/background.py) while the dialog waits disabled with
a busy cursor, so the window keeps painting even when an import loads torch for the first time.

The dialog talks to the store through the small :class:`ModelStoreLike` protocol and never imports
the runtime's store module, because that module reaches the engines (the ui must not, even indirectly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genai_studio.core.errors import StudioError
from genai_studio.ui.background import run_in_background

COLUMNS = ("Name", "ID", "Task", "Architecture", "Scale", "Size", "Source", "License", "Status")
STATUS_COLUMN = COLUMNS.index("Status")
FILE_FILTER = ("Models (*.safetensors *.pth *.pt *.ckpt *.onnx manifest.json);;"
               "Restoration weights (*.safetensors *.pth *.pt *.ckpt);;Piper voices (*.onnx);;"
               "Generators trained here (manifest.json *.safetensors);;All files (*)")
# Statuses that mean the weights cannot be trusted or used as they are.
_BAD_STATUSES = {"missing", "sha256 mismatch"}


class ModelStoreLike(Protocol):
    """What the dialog needs from genai_studio.runtime.model_store.ModelStore."""

    def list(self) -> Sequence[Any]: ...

    def verify(self, model_id: str | None = None) -> list[tuple[str, str, str]]: ...

    def import_file(self, path: str, name: str | None = None) -> Any: ...

    def remove(self, model_id: str) -> None: ...


class ModelManagerDialog(QDialog):
    def __init__(self, store: ModelStoreLike, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(980, 420)
        self._store = store
        self._entries: list[Any] = []

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.summary = QLabel(self)
        self.import_button = QPushButton("Import…", self)
        self.verify_button = QPushButton("Verify", self)
        self.remove_button = QPushButton("Remove", self)
        self.close_button = QPushButton("Close", self)
        self.import_button.setToolTip("Add a restoration model (.safetensors, .pth, .pt, .ckpt) or a Piper voice "
                                      "(.onnx with its .onnx.json beside it)")
        self.verify_button.setToolTip("Check the sha256 of every model file on disk")
        self.remove_button.setToolTip("Delete the selected imported model (built-in models stay)")
        self.import_button.clicked.connect(self._on_import)
        self.verify_button.clicked.connect(self._on_verify)
        self.remove_button.clicked.connect(self._on_remove)
        self.close_button.clicked.connect(self.accept)

        buttons = QHBoxLayout()
        for b in (self.import_button, self.verify_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.refresh()

    # ----- table ---------------------------------------------------------------------------------
    def refresh(self, select_id: str | None = None) -> None:
        self._entries = list(self._store.list())
        self.table.setRowCount(len(self._entries))
        for row, e in enumerate(self._entries):
            m = e.manifest
            cells = (
                m.name,
                m.id,
                m.task,
                m.architecture,
                f"x{m.effective_scale}",
                _human_size(e.size_bytes),
                "built-in" if e.builtin else m.source.kind,
                m.license,
                e.status,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, m.id)
                if col == STATUS_COLUMN:
                    item.setToolTip(e.detail or text)
                self.table.setItem(row, col, item)
            self._paint_status(row, e.status)
            if m.id == select_id:
                self.table.selectRow(row)
        self.summary.setText(f"{len(self._entries)} model{'s' if len(self._entries) != 1 else ''}")
        self._update_buttons()

    def _paint_status(self, row: int, status: str) -> None:
        item = self.table.item(row, STATUS_COLUMN)
        if item is not None and status in _BAD_STATUSES:
            item.setForeground(QColor("#c0392b"))

    def selected_entry(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return self._entries[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        self.remove_button.setEnabled(bool(entry is not None and entry.removable))

    # ----- actions -------------------------------------------------------------------------------
    def _on_import(self) -> None:
        path = self.ask_import_path()
        if path:
            self.import_path(path)

    def import_path(self, path: str) -> bool:
        """Import one file; a refusal is explained in a message box and the dialog stays open."""
        try:
            entry = run_in_background(self, self._store.import_file, path)
        except (StudioError, OSError) as exc:
            self.show_error("Could not import model", _message(exc))
            return False
        self.refresh(select_id=entry.id)
        self.summary.setText(f"Imported '{entry.id}' ({entry.manifest.architecture} x{entry.manifest.scale}).")
        return True

    def _on_verify(self) -> None:
        try:
            results = run_in_background(self, self._store.verify)
        except (StudioError, OSError) as exc:
            self.show_error("Could not verify models", _message(exc))
            return
        selected = self.selected_entry()
        self.refresh(select_id=selected.id if selected else None)
        # verify's verdicts are authoritative (list() may say "unverified" for files not hashed yet).
        by_id = {model_id: (status, detail) for model_id, status, detail in results}
        for row, e in enumerate(self._entries):
            if e.id in by_id:
                status, detail = by_id[e.id]
                item = self.table.item(row, STATUS_COLUMN)
                item.setText(status)
                item.setToolTip(detail or status)
                self._paint_status(row, status)
        bad = sum(1 for s, _ in by_id.values() if s in _BAD_STATUSES)
        self.summary.setText(f"Verified {len(results)} models: " + (f"{bad} with problems." if bad else "all fine."))

    def _on_remove(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.removable:
            return
        if not self.confirm(f"Delete the imported model '{entry.id}' and its weight file?"):
            return
        try:
            self._store.remove(entry.id)
        except (StudioError, OSError) as exc:
            self.show_error("Could not remove model", _message(exc))
            self.refresh()
            return
        self.refresh()

    # ----- prompts (methods so tests can replace them) -------------------------------------------
    def ask_import_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Import model", str(Path.home()), FILE_FILTER)
        return path

    def confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Remove model", text)
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)


def _human_size(n: int) -> str:
    if n <= 0:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _message(exc: Exception) -> str:
    """What went wrong, for a person: a StudioError's message, or an OS error with the file it concerns."""
    if isinstance(exc, StudioError):
        return exc.message
    where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
    return f"{exc.strerror or exc}{where}"
