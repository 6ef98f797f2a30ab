"""The Tools dock's tabs. Each panel sits in a scroll area, so a tall panel (Train, Melody) scrolls instead of
making the window taller than a laptop screen. Callers still deal in panels: ``setCurrentWidget(panel)``,
``currentWidget()`` and ``widget(i)`` see through the scroll areas."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget


class ToolTabs(QTabWidget):
    def addTab(self, panel: QWidget, label: str) -> int:  # noqa: N802 - Qt override
        return super().addTab(_scrolling(panel), label)

    def insertTab(self, index: int, panel: QWidget, label: str) -> int:  # noqa: N802 - Qt override
        return super().insertTab(index, _scrolling(panel), label)

    def removeTab(self, index: int) -> None:  # noqa: N802 - Qt override: the scroll area goes with its tab
        area = super().widget(index)
        super().removeTab(index)
        if area is not None:
            area.deleteLater()

    def widget(self, index: int) -> QWidget | None:
        area = super().widget(index)
        return area.widget() if isinstance(area, QScrollArea) else area

    def currentWidget(self) -> QWidget | None:  # noqa: N802 - Qt override
        return self.widget(self.currentIndex())

    def indexOf(self, panel: QWidget) -> int:  # noqa: N802 - Qt override
        return next((i for i in range(self.count()) if self.widget(i) is panel), -1)

    def setCurrentWidget(self, panel: QWidget) -> None:  # noqa: N802 - Qt override
        index = self.indexOf(panel)
        if index >= 0:
            self.setCurrentIndex(index)


def _scrolling(panel: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)  # the panel fills the width and grows to its own height, then scrolls
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(panel)
    return area
