"""Between the live canvas/timeline state and the project document (core.project).

Both states hold immutable snapshots that share their pixel and sample arrays, so taking a document
is cheap and safe to hand to a background thread (autosave) while the user keeps editing.
"""

from __future__ import annotations

from genai_studio import __version__
from genai_studio.core.project import LayerDoc, ProjectDoc, TimelineDoc
from genai_studio.state.canvas_state import CanvasState, Layer
from genai_studio.state.timeline_clips import track_from_doc, track_to_doc
from genai_studio.state.timeline_state import TimelineState


def document_from_state(canvas: CanvasState, timeline: TimelineState, metadata: dict | None = None) -> ProjectDoc:
    layers = tuple(
        LayerDoc(l.id, l.name, l.image, l.kind, l.visible, l.source_id, l.spec) for l in canvas.layers
    )
    tracks = tuple(track_to_doc(t) for t in timeline.tracks)  # with pan, solo, effects and clip fades
    timeline_doc = TimelineDoc(tracks, timeline.sample_rate, timeline.tempo_bpm, timeline.key,
                               timeline.time_signature, timeline.playhead_s)
    return ProjectDoc(layers, canvas.active_id, timeline_doc, {"app_version": __version__, **(metadata or {})})


def apply_document(doc: ProjectDoc, canvas: CanvasState, timeline: TimelineState) -> None:
    """Replace everything with ``doc`` and start a fresh undo history."""
    canvas.undo_stack.clear()
    timeline.undo_stack.clear()
    canvas.replace_all(
        [Layer(l.id, l.name, l.image, l.kind, l.visible, l.source_id, l.spec) for l in doc.layers],
        doc.active_layer_id,
    )
    t = doc.timeline
    tracks = tuple(track_from_doc(tr) for tr in t.tracks)
    timeline.replace_all(tracks, t.sample_rate, t.tempo_bpm, t.key, t.time_signature, t.playhead_s)

