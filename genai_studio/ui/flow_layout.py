"""A tool strip that wraps onto more rows when its pane is narrow, instead of forcing the window wider than the
screen (the timeline's transport bar and the piano roll's toolbar: each is about 1000 px in one row).

Widgets are added in groups (e.g. Play + Stop, or the Grid label + combo + Snap) that stay together on a row."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Items left to right at their size hints, starting a new row when the next one does not fit; each row's
    items are centred vertically. Height depends on width (heightForWidth), so a parent box layout gives the
    strip as many rows as the width needs."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing

    # ----- QLayout's item list ------------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # ----- sizes ----------------------------------------------------------------------------------------
    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override: everything on one row
        sizes = [item.sizeHint() for item in self._shown()]
        width = sum(s.width() for s in sizes) + self._gap * max(0, len(sizes) - 1)
        height = max((s.height() for s in sizes), default=0)
        return QSize(width, height) + self._margin_size()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override: the widest item alone on its row
        sizes = [item.minimumSize() for item in self._shown()]
        size = QSize(max((s.width() for s in sizes), default=0), max((s.height() for s in sizes), default=0))
        return size + self._margin_size()

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    # ----- placement ------------------------------------------------------------------------------------
    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]  # hidden widgets take no room

    def _margin_size(self) -> QSize:
        m = self.contentsMargins()
        return QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, apply: bool) -> int:
        """Place the items in ``rect`` (only measure unless ``apply``); returns the height used."""
        m = self.contentsMargins()
        left, right = rect.x() + m.left(), rect.right() - m.right()
        rows: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = left
        for item in self._shown():
            size = item.sizeHint()
            if rows[-1] and x + size.width() - 1 > right:
                rows.append([])
                x = left
            rows[-1].append((item, size))
            x += size.width() + self._gap
        y = rect.y() + m.top()
        for row in rows:
            height = max((size.height() for _, size in row), default=0)
            if apply:
                x = left
                for item, size in row:
                    item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2), size))
                    x += size.width() + self._gap
            y += height + self._gap
        return y - self._gap - rect.y() + m.bottom()


class ToolStrip(QWidget):
    """A wrapping row of widget groups (see FlowLayout)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = FlowLayout(self, spacing=12)  # the gap between groups; widgets inside a group sit closer
        self.flow.setContentsMargins(6, 4, 6, 4)

    def add_group(self, *widgets: QWidget) -> QWidget:
        group = QWidget(self)
        row = QHBoxLayout(group)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for widget in widgets:
            row.addWidget(widget)
        self.flow.addWidget(group)
        return group

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        # Box layouts and splitters size by minimum heights, not heightForWidth: claim the rows this width needs
        # so the view below never covers a wrapped row.
        super().resizeEvent(event)
        needed = self.flow.heightForWidth(event.size().width())
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)
