"""Observable layer stack of the image canvas, with every edit undoable.

Layers are immutable values; an edit builds a new list and pushes a snapshot command holding the lists
before and after. Snapshots share the (large) pixel buffers, so an undo step costs a few references, not
a copy of the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from genai_studio.core.media import ImageBuffer
from genai_studio.state.undo import SwapCommand

LAYER_KINDS = ("image", "result", "mask")
UNDO_LIMIT = 50  # undo steps kept; removed layers stay alive in memory while they can still be restored
NO_LAYER = -1  # active_changed payload when nothing is active


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer. ``source_id`` is the layer a result was computed from (what compare shows as "before")."""

    id: int
    name: str
    image: ImageBuffer
    kind: str = "image"
    visible: bool = True
    source_id: int | None = None
    spec: dict | None = None  # JobSpec.to_json() of the job that produced it, so it can be re-run

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.width, self.image.height


@dataclass(frozen=True)
class _Snapshot:
    layers: tuple[Layer, ...]
    active_id: int | None


class CanvasState(QObject):
    """Layers bottom -> top, the active layer, and the undo stack that records every change."""

    layers_changed = Signal()
    active_changed = Signal(int)  # new active layer id, or NO_LAYER

    def __init__(self, parent: QObject | None = None, undo_stack: QUndoStack | None = None) -> None:
        super().__init__(parent)
        # The window passes one stack shared with the timeline, so undo follows the user's order of edits.
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        if undo_stack is None:
            self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self._layers: tuple[Layer, ...] = ()
        self._active_id: int | None = None
        self._next_id = 1  # ids are never reused, so undo/redo can restore a layer under its old id
        # bumped whenever another document replaces this one (open, new, clear): a job's result belongs to
        # the document it was started on, and a layer id alone cannot tell (an opened project reuses ids)
        self.document_serial = 0

    # ------------------------------------------------------------------------------------- queries

    @property
    def layers(self) -> list[Layer]:
        """Bottom -> top."""
        return list(self._layers)

    @property
    def is_empty(self) -> bool:
        return not self._layers

    @property
    def active_id(self) -> int | None:
        return self._active_id

    def layer(self, layer_id: int) -> Layer:
        for layer in self._layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(f"no layer with id {layer_id}")

    def has_layer(self, layer_id: int | None) -> bool:
        return layer_id is not None and any(layer.id == layer_id for layer in self._layers)

    def active_layer(self) -> Layer | None:
        return self.layer(self._active_id) if self._active_id is not None else None

    def index_of(self, layer_id: int) -> int:
        for index, layer in enumerate(self._layers):
            if layer.id == layer_id:
                return index
        raise KeyError(f"no layer with id {layer_id}")

    def compare_pair(self) -> tuple[Layer, Layer] | None:
        """(before, after) for the compare view.

        The active layer and the layer it was made from, when that still exists; otherwise the two
        top-most visible layers (lower one is "before"). Mask layers are never compared (a red overlay is no
        "after"): with a mask active, its image layer stands in. None when there is nothing to compare.
        """
        active = self.active_layer()
        if active is not None and active.kind == "mask":
            active = self.layer(active.source_id) if self.has_layer(active.source_id) else None
        if active is not None and self.has_layer(active.source_id):
            return self.layer(active.source_id), active  # type: ignore[arg-type]
        visible = [layer for layer in self._layers if layer.visible and layer.kind != "mask"]
        if len(visible) >= 2:
            return visible[-2], visible[-1]
        return None

    # ------------------------------------------------------------------------------------- edits

    def set_active(self, layer_id: int | None) -> None:
        """Select a layer (not an undoable edit)."""
        if layer_id is not None and not self.has_layer(layer_id):
            raise KeyError(f"no layer with id {layer_id}")
        if layer_id != self._active_id:
            self._active_id = layer_id
            self.active_changed.emit(NO_LAYER if layer_id is None else layer_id)

    def load_document(self, image: ImageBuffer, name: str | None = None) -> int:
        """Replace every layer with one base image layer; returns its id."""
        self.document_serial += 1
        layer = self._new_layer(image, name, "image", None)
        self._push(f"Open {layer.name}", (layer,), layer.id)
        return layer.id

    def add_layer(
        self, image: ImageBuffer, name: str | None = None, kind: str = "image", source_id: int | None = None,
        spec: dict | None = None,
    ) -> int:
        """Put a new layer on top and make it active; returns its id."""
        if source_id is not None and not self.has_layer(source_id):
            raise KeyError(f"source layer {source_id} does not exist")
        layer = replace(self._new_layer(image, name, kind, source_id), spec=spec)
        self._push(f"Add {layer.name}", (*self._layers, layer), layer.id)
        return layer.id

    def remove_layer(self, layer_id: int) -> None:
        index = self.index_of(layer_id)
        removed = self._layers[index]
        remaining = self._layers[:index] + self._layers[index + 1 :]
        active = self._active_id
        if active == layer_id:
            # Select the neighbour that took its place (the one below when it was the top layer).
            active = remaining[min(index, len(remaining) - 1)].id if remaining else None
        self._push(f"Delete {removed.name}", remaining, active)

    def rename_layer(self, layer_id: int, name: str) -> None:
        name = name.strip()
        old = self.layer(layer_id)
        if not name or name == old.name:
            return
        self._replace(replace(old, name=name), f"Rename {old.name} to {name}")

    def set_visible(self, layer_id: int, visible: bool) -> None:
        old = self.layer(layer_id)
        if old.visible == visible:
            return
        self._replace(replace(old, visible=visible), f"{'Show' if visible else 'Hide'} {old.name}")

    def move_layer(self, layer_id: int, new_index: int) -> None:
        """Move a layer to ``new_index`` in the bottom -> top order (clamped to the valid range)."""
        index = self.index_of(layer_id)
        new_index = max(0, min(new_index, len(self._layers) - 1))
        if new_index == index:
            return
        order = list(self._layers)
        layer = order.pop(index)
        order.insert(new_index, layer)
        self._push(f"Move {layer.name}", tuple(order), self._active_id)

    def clear(self) -> None:
        """Remove every layer (undoable)."""
        self.document_serial += 1
        if self._layers:
            self._push("Clear canvas", (), None)

    def replace_all(self, layers: Sequence[Layer], active_id: int | None) -> None:
        """Load a whole document (opening a project): not undoable, so the history starts empty."""
        self.document_serial += 1
        ids = [layer.id for layer in layers]
        if len(set(ids)) != len(ids):
            raise ValueError("layer ids must be unique")
        self._next_id = max(ids, default=0) + 1
        self._restore(_Snapshot(tuple(layers), active_id))

    # ----------------------------------------------------------------------------------- internals

    def _new_layer(self, image: ImageBuffer, name: str | None, kind: str, source_id: int | None) -> Layer:
        if kind not in LAYER_KINDS:
            raise ValueError(f"layer kind must be one of {LAYER_KINDS}, got {kind!r}")
        layer_id = self._next_id
        self._next_id += 1
        return Layer(layer_id, name or image.name or f"Layer {layer_id}", image, kind, True, source_id)

    def set_layer_image(self, layer_id: int, image: ImageBuffer, text: str) -> None:
        """Swap a layer's pixels (e.g. a mask edit) as one undoable step; name, kind and links stay."""
        self._replace(replace(self.layer(layer_id), image=image), text)

    def _replace(self, new: Layer, text: str) -> None:
        layers = tuple(new if layer.id == new.id else layer for layer in self._layers)
        self._push(text, layers, self._active_id)

    def _push(self, text: str, layers: Sequence[Layer], active_id: int | None) -> None:
        before = _Snapshot(self._layers, self._active_id)
        after = _Snapshot(tuple(layers), active_id)
        self.undo_stack.push(SwapCommand(text, self._restore, before, after))  # push() runs redo() now

    def _restore(self, snapshot: _Snapshot) -> None:
        # Both fields change before any signal, so a slot never sees an active id that is not a layer.
        previous_active = self._active_id
        self._layers = snapshot.layers
        self._active_id = snapshot.active_id if self.has_layer(snapshot.active_id) else None
        self.layers_changed.emit()
        if self._active_id != previous_active:
            self.active_changed.emit(NO_LAYER if self._active_id is None else self._active_id)
