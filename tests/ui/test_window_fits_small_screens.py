"""The window fits a 1024×640 screen, piano roll open included: tall tool panels scroll, and the transport and
piano-roll tool strips wrap onto more rows instead of widening the window."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton

from genai_studio.ui.flow_layout import ToolStrip


def test_the_whole_window_fits_1024_by_640(qtbot, window):
    clip = window.timeline.new_midi_clip()
    window.open_piano_roll(clip)
    for index in range(window.tools.count()):  # the tallest panel (Train) included
        window.tools.setCurrentIndex(index)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 640, (window.tools.tabText(index), hint)
    window.tools.setCurrentWidget(window.train_panel)  # callers still deal in panels, not their scroll areas
    assert window.tools.currentWidget() is window.train_panel
    assert window.tools.indexOf(window.train_panel) == window.tools.currentIndex()


def test_a_tool_strip_wraps_its_groups_onto_rows_that_never_overlap(qtbot):
    strip = ToolStrip()
    qtbot.addWidget(strip)
    groups = [strip.add_group(QLabel(f"Label {i}"), QPushButton(f"Button number {i}")) for i in range(4)]
    strip.show()
    one_row = strip.sizeHint()
    strip.resize(one_row)
    qtbot.waitUntil(lambda: len({g.geometry().top() for g in groups}) == 1)
    narrow = max(g.sizeHint().width() for g in groups) + 20
    assert strip.flow.heightForWidth(narrow) > 3 * groups[0].sizeHint().height()  # four rows
    strip.resize(narrow, strip.flow.heightForWidth(narrow))
    qtbot.waitUntil(lambda: len({g.geometry().top() for g in groups}) == 4)
    assert strip.minimumHeight() == strip.flow.heightForWidth(narrow)  # claimed, so nothing covers a row
    rects = [g.geometry() for g in groups]
    assert all(not a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    assert all(strip.rect().contains(r) for r in rects)
