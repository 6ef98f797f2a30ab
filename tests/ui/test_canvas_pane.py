"""CanvasPane end to end under offscreen Qt: open, errors, zoom, compare rendering, paste, drop, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage, QKeySequence, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from genai_studio.core.media import ImageBuffer
from genai_studio.mediaio.images import load_image
from genai_studio.state.canvas_state import CanvasState
from genai_studio.ui.canvas import geometry
from genai_studio.ui.canvas.pane import CanvasPane

RED, BLUE = (220, 30, 30), (30, 40, 220)


def write_png(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def solid(color: tuple[int, int, int], w: int, h: int, name: str) -> ImageBuffer:
    return ImageBuffer(np.full((h, w, 3), color, np.uint8), name=name)


class Recorder:
    def __init__(self, pane: CanvasPane) -> None:
        self.errors: list[tuple[str, str]] = []
        self.statuses: list[str] = []
        pane.error.connect(lambda title, message: self.errors.append((title, message)))
        pane.status.connect(self.statuses.append)


@pytest.fixture
def pane(qtbot) -> CanvasPane:
    widget = CanvasPane(CanvasState())
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def rec(pane) -> Recorder:
    return Recorder(pane)


def color_at(pane: CanvasPane, point: QPointF) -> tuple[int, int, int]:
    shot = pane.view.grab().toImage()
    c = QColor(shot.pixel(int(point.x()), int(point.y())))
    return c.red(), c.green(), c.blue()


def close(actual: tuple[int, int, int], expected: tuple[int, int, int], tol: int = 12) -> bool:
    return all(abs(a - e) <= tol for a, e in zip(actual, expected))


# ----------------------------------------------------------------------------------------- open


def test_open_files_first_is_document_rest_are_layers(pane, rec, tmp_path):
    a = write_png(tmp_path / "a.png", RED)
    b = write_png(tmp_path / "b.png", BLUE)
    assert pane.open_files([a, str(b)]) == 2
    assert [layer.name for layer in pane.state.layers] == ["a.png", "b.png"]
    assert rec.statuses[-1] == "Opened a.png — 40×30, 8-bit (+1 more as layers)"
    assert rec.errors == []
    pane.open_files([b])  # opening again replaces the document
    assert [layer.name for layer in pane.state.layers] == ["b.png"]


def test_bad_file_emits_error_and_leaves_state_unchanged(pane, rec, tmp_path):
    pane.open_files([write_png(tmp_path / "ok.png", RED)])
    before = (pane.state.layers, pane.state.undo_stack.count())
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "bomb.txt").write_text("not an image")
    assert pane.open_files([tmp_path / "empty.png", tmp_path / "bomb.txt", tmp_path / "missing.png"]) == 0
    assert (pane.state.layers, pane.state.undo_stack.count()) == before
    assert len(rec.errors) == 1  # one report for the whole batch, not one dialog per file
    title, message = rec.errors[0]
    assert title == "Could not open 3 images"
    assert "empty.png is empty (0 bytes)" in message and "bomb.txt is not an image" in message
    assert "does not exist" in message


def test_open_16bit_reports_depth(pane, rec, tmp_path):
    Image.fromarray(np.full((5, 7), 50000, np.uint16)).save(tmp_path / "deep.png")
    pane.open_files([tmp_path / "deep.png"])
    assert rec.statuses[-1] == "Opened deep.png — 7×5, 16-bit"
    assert pane.state.active_layer().image.bit_depth == 16


def test_open_dialog_uses_file_filter(pane, tmp_path, monkeypatch):
    path = write_png(tmp_path / "a.png", RED)
    seen = {}

    def fake_dialog(parent, caption, directory, file_filter):
        seen["filter"] = file_filter
        return [str(path)], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_dialog))
    pane.actions["open"].trigger()
    assert seen["filter"].startswith("Images (") and pane.state.layers[0].name == "a.png"


# ------------------------------------------------------------------------------------------ view


def test_empty_canvas_shows_hint(pane):
    assert pane.state.is_empty and pane.view.hint_text == "Open, drop or paste an image"
    assert not pane.actions["export"].isEnabled()
    shot = pane.view.grab().toImage()
    # The hint is drawn: the centre row is not a single flat background colour.
    row = {shot.pixel(x, shot.height() // 2) for x in range(shot.width())}
    assert len(row) > 2


def test_zoom_fit_and_actual_size_change_scale(pane):
    pane.state.load_document(solid(RED, 2000, 1000, "big"))
    view = pane.view
    fitted = view.scale
    assert view.is_fit and fitted == pytest.approx(geometry.fit_scale(view.canvas_size, view.size().toSizeF()))
    pane.zoom_in()
    assert view.scale == pytest.approx(fitted * geometry.ZOOM_STEP) and not view.is_fit
    pane.zoom_out()
    pane.zoom_out()
    assert view.scale == pytest.approx(fitted / geometry.ZOOM_STEP)
    pane.actual_size()
    assert view.scale == pytest.approx(1.0)
    pane.fit()
    assert view.scale == pytest.approx(fitted) and view.is_fit


def test_wheel_zooms_about_the_cursor(pane):
    pane.state.load_document(solid(RED, 400, 300, "img"))
    view = pane.view
    cursor = QPointF(200, 150)
    under = view.map_to_canvas(cursor)
    event = QWheelEvent(cursor, view.mapToGlobal(cursor), QPoint(), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    old = view.scale
    QApplication.sendEvent(view, event)
    assert view.scale == pytest.approx(old * geometry.ZOOM_STEP**2)
    new_under = view.map_to_canvas(cursor)
    assert (new_under.x(), new_under.y()) == pytest.approx((under.x(), under.y()))


def send_mouse(view, kind, pos: QPointF, button=Qt.MouseButton.LeftButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(kind, pos, view.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, event)


def test_drag_pans(pane):
    pane.state.load_document(solid(RED, 400, 300, "img"))
    view = pane.view
    start = view.offset
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, QPointF(100, 100), Qt.MouseButton.MiddleButton)
    send_mouse(view, QMouseEvent.Type.MouseMove, QPointF(130, 90), Qt.MouseButton.MiddleButton)
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, QPointF(130, 90), Qt.MouseButton.MiddleButton)
    assert (view.offset.x() - start.x(), view.offset.y() - start.y()) == pytest.approx((30, -10))


# --------------------------------------------------------------------------------------- compare


def setup_compare_pair(pane: CanvasPane) -> None:
    base = pane.state.load_document(solid(RED, 40, 30, "before"))
    pane.state.add_layer(solid(BLUE, 160, 120, "after ×4"), kind="result", source_id=base)


def image_point(pane: CanvasPane, fx: float, fy: float) -> QPointF:
    size = pane.view.canvas_size
    return pane.view.map_from_canvas(QPointF(size.width() * fx, size.height() * fy))


def test_compare_renders_before_left_and_after_right(pane):
    setup_compare_pair(pane)
    # Without compare the top (blue) layer covers the canvas.
    assert close(color_at(pane, image_point(pane, 0.25, 0.5)), BLUE)
    pane.set_compare(True)
    assert pane.compare_enabled and pane.actions["compare"].isChecked()
    # The 40×30 "before" is stretched onto the 160×120 "after", so both halves fill the same rect.
    for fy in (0.1, 0.5, 0.9):
        assert close(color_at(pane, image_point(pane, 0.05, fy)), RED)
        assert close(color_at(pane, image_point(pane, 0.25, fy)), RED)
        assert close(color_at(pane, image_point(pane, 0.75, fy)), BLUE)
        assert close(color_at(pane, image_point(pane, 0.95, fy)), BLUE)
    pane.set_compare(False)
    assert close(color_at(pane, image_point(pane, 0.25, 0.5)), BLUE)


def test_dragging_the_divider_moves_the_split(pane):
    setup_compare_pair(pane)
    pane.actions["compare"].trigger()
    view = pane.view
    divider = image_point(pane, 0.5, 0.5)
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, divider)
    send_mouse(view, QMouseEvent.Type.MouseMove, image_point(pane, 0.85, 0.5))
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, image_point(pane, 0.85, 0.5))
    assert view.divider == pytest.approx(0.85, abs=0.01)
    assert close(color_at(pane, image_point(pane, 0.75, 0.3)), RED)
    assert close(color_at(pane, image_point(pane, 0.95, 0.3)), BLUE)


def test_compare_needs_two_layers(pane, rec):
    pane.state.load_document(solid(RED, 10, 10, "only"))
    pane.set_compare(True)
    assert not pane.compare_enabled and not pane.actions["compare"].isChecked()
    assert rec.statuses[-1].startswith("Compare needs two layers")


def test_compare_turns_off_when_pair_disappears(pane):
    setup_compare_pair(pane)
    pane.set_compare(True)
    pane.state.remove_layer(pane.state.active_id)
    assert not pane.compare_enabled and not pane.actions["compare"].isChecked()


# ------------------------------------------------------------------------------------ paste/drop


def test_paste_image_from_clipboard(pane, rec):
    qimage = QImage(12, 8, QImage.Format.Format_RGB32)
    qimage.fill(QColor(*BLUE))
    QApplication.clipboard().setImage(qimage)
    assert pane.paste_from_clipboard()
    layer = pane.state.active_layer()
    assert layer.image.pixels.shape == (8, 12, 3)
    assert tuple(layer.image.pixels[4, 6]) == BLUE
    assert rec.statuses[-1] == "Pasted image — 12×8, 8-bit"
    assert layer.name == "Pasted image"
    # A second paste goes on top as a new layer instead of replacing the document.
    assert pane.paste_from_clipboard() and len(pane.state.layers) == 2


def test_paste_file_urls_from_clipboard(pane, tmp_path):
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(write_png(tmp_path / "c.png", RED)))])
    QApplication.clipboard().setMimeData(data)
    assert pane.paste_from_clipboard()
    assert pane.state.layers[0].name == "c.png"


def test_paste_without_image(pane, rec):
    QApplication.clipboard().setText("just words")
    assert not pane.paste_from_clipboard()
    assert pane.state.is_empty and rec.statuses[-1].startswith("Nothing to paste")


def drop(pane: CanvasPane, data: QMimeData) -> QDropEvent:
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    pane.dropEvent(event)
    return event


def test_drop_files_opens_then_adds_layers(pane, rec, tmp_path):
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(write_png(tmp_path / "a.png", RED))),
                  QUrl.fromLocalFile(str(write_png(tmp_path / "b.png", BLUE)))])
    assert drop(pane, data).isAccepted()
    assert [layer.name for layer in pane.state.layers] == ["a.png", "b.png"]
    more = QMimeData()
    more.setUrls([QUrl.fromLocalFile(str(write_png(tmp_path / "c.png", RED)))])
    drop(pane, more)
    assert [layer.name for layer in pane.state.layers] == ["a.png", "b.png", "c.png"]
    assert rec.errors == []


def test_drop_bad_file_reports_error(pane, rec, tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(tmp_path / "x.png"))])
    drop(pane, data)
    assert pane.state.is_empty
    assert rec.errors and "x.png" in rec.errors[0][1] and "damaged" in rec.errors[0][1]


def test_drop_image_data(pane):
    data = QMimeData()
    qimage = QImage(6, 4, QImage.Format.Format_ARGB32)
    qimage.fill(QColor(10, 200, 30, 128))
    data.setImageData(qimage)
    drop(pane, data)
    px = pane.state.active_layer().image.pixels
    assert px.shape == (4, 6, 4) and px[0, 0, 3] == 128


# ---------------------------------------------------------------------------------------- export


def test_export_writes_a_readable_file(pane, rec, tmp_path):
    pixels = np.random.default_rng(3).integers(0, 256, (20, 30, 4), dtype=np.uint8)
    pane.state.load_document(ImageBuffer(pixels, name="art.png"))
    assert pane.export_active(tmp_path / "out.png")
    np.testing.assert_array_equal(load_image(tmp_path / "out.png").pixels, pixels)
    assert rec.statuses[-1] == "Exported out.png — 30×20, 8-bit"
    assert pane.export_active(tmp_path / "out.jpg")
    assert load_image(tmp_path / "out.jpg").pixels.shape == (20, 30, 3)


def test_export_failure_reports_error(pane, rec, tmp_path):
    pane.state.load_document(solid(RED, 4, 4, "x"))
    assert not pane.export_active(tmp_path / "no" / "such" / "dir.png")
    assert rec.errors[-1][0] == "Could not export image" and "does not exist" in rec.errors[-1][1]
    assert not pane.export_active(tmp_path / "bad.xyz")
    assert "not a supported image type" in rec.errors[-1][1]


def test_export_dialog_adds_png_extension(pane, tmp_path, monkeypatch):
    pane.state.load_document(solid(RED, 4, 4, "photo.jpg"))
    suggested = {}

    def fake_dialog(parent, caption, directory, file_filter):
        suggested["name"] = Path(directory).name
        return str(tmp_path / "chosen"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    pane.export_dialog()
    assert suggested["name"] == "photo.png"
    assert (tmp_path / "chosen.png").exists()


# --------------------------------------------------------------------------------- actions/panel


def test_actions_and_shortcuts(pane):
    expected = {"open", "export", "paste", "zoom_in", "zoom_out", "fit", "actual_size", "compare", "undo", "redo"}
    assert expected <= set(pane.actions)
    shortcut = {key: action.shortcut() for key, action in pane.actions.items()}
    assert shortcut["open"] == QKeySequence(QKeySequence.StandardKey.Open)
    assert shortcut["paste"] == QKeySequence(QKeySequence.StandardKey.Paste)
    assert shortcut["fit"] == QKeySequence("Ctrl+0") and shortcut["actual_size"] == QKeySequence("Ctrl+1")
    assert shortcut["compare"] == QKeySequence(Qt.Key.Key_Backslash) and pane.actions["compare"].isCheckable()
    assert shortcut["undo"] == QKeySequence(QKeySequence.StandardKey.Undo)


def test_undo_action_reverts_open(pane, tmp_path):
    pane.open_files([write_png(tmp_path / "a.png", RED)])
    assert pane.actions["undo"].isEnabled()
    pane.actions["undo"].trigger()
    assert pane.state.is_empty
    pane.actions["redo"].trigger()
    assert not pane.state.is_empty


def test_layers_panel_edits_go_through_state(pane):
    base = pane.state.load_document(solid(RED, 4, 4, "base"))
    top = pane.state.add_layer(solid(BLUE, 4, 4, "top"))
    panel = pane.layers_panel
    assert [panel.list.item(r).text() for r in range(panel.list.count())] == ["top", "base"]
    panel.list.setCurrentRow(1)
    assert pane.state.active_id == base
    panel.list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert pane.state.layer(top).visible is False
    panel.list.item(1).setText("renamed")
    assert pane.state.layer(base).name == "renamed"
    panel.delete_button.click()
    assert [layer.name for layer in pane.state.layers] == ["top"]
    pane.state.undo_stack.undo()
    assert panel.list.count() == 2


def test_export_suggests_a_name_that_is_not_the_source_file():
    from genai_studio.ui.canvas.pane import export_stem

    assert export_stem("rgba.png pale-ink") == "rgba pale-ink"  # was "rgba": the original file itself
    assert export_stem("photo.JPG x4") == "photo x4"
    assert export_stem("a/b:c.png") == "a-b-c" and export_stem(".png") == "image"


def test_deleting_a_layer_names_the_undo_key(pane, rec):
    pane.state.load_document(ImageBuffer(np.zeros((8, 8, 3), np.uint8), name="base"))
    pane.layers_panel.delete_requested.emit(pane.state.active_id)
    assert rec.statuses[-1] == "Deleted layer base (undo with Ctrl+Z)"
