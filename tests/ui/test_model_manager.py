"""Model manager dialog against a real store, offscreen."""

from __future__ import annotations

import os

import pytest
import torch
from spandrel.architectures.Compact import Compact

from genai_studio.runtime.model_store import ModelStore
from genai_studio.ui.dialogs.model_manager import COLUMNS, STATUS_COLUMN, ModelManagerDialog


@pytest.fixture
def dialog(qtbot, studio_home, tmp_path):
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    dlg = ModelManagerDialog(ModelStore(builtin_dir=builtin))
    errors: list[tuple[str, str]] = []
    dlg.show_error = lambda title, message: errors.append((title, message))  # no modal boxes in tests
    dlg.confirm = lambda text: True
    dlg.errors = errors
    qtbot.addWidget(dlg)
    return dlg


def _model(path):
    torch.manual_seed(0)
    torch.save(Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=1, upscale=2).state_dict(), path)
    return str(path)


def _row(dlg, row):
    return {COLUMNS[c]: dlg.table.item(row, c).text() for c in range(len(COLUMNS))}


def test_import_verify_remove(dialog, tmp_path):
    assert dialog.table.rowCount() == 0
    assert not dialog.remove_button.isEnabled()

    assert dialog.import_path(_model(tmp_path / "tiny.pth"))
    assert dialog.table.rowCount() == 1
    row = _row(dialog, 0)
    assert row["ID"] == "tiny" and row["Scale"] == "x2" and row["Status"] == "ok"
    assert row["Architecture"] == "RealESRGAN Compact" and row["License"] == "user-supplied (unknown)"
    assert dialog.remove_button.isEnabled()  # the new model is selected

    weight = dialog.selected_entry().weight_path
    data = bytearray(weight.read_bytes())
    data[-1] ^= 0x01
    weight.write_bytes(bytes(data))
    dialog.verify_button.click()
    assert dialog.table.item(0, STATUS_COLUMN).text() == "sha256 mismatch"

    dialog.table.selectRow(0)
    dialog.remove_button.click()
    assert dialog.table.rowCount() == 0
    assert dialog.errors == []


def test_refused_import_shows_message_and_dialog_stays(dialog, tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch '{tmp_path / 'MARKER'}'",))

    evil = tmp_path / "evil.pth"
    torch.save({"x": Payload()}, evil)
    dialog.show()
    assert not dialog.import_path(str(evil))
    [(title, message)] = dialog.errors
    assert "none of its code ran" in message
    assert dialog.isVisible() and dialog.table.rowCount() == 0
    assert not (tmp_path / "MARKER").exists()
