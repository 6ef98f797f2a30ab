"""The window's style-transfer feature: the Style panel, its jobs, and where their results land.

A StyleSpec's ImageResult becomes a result layer whose source is the image it was made from (so compare
shows before/after): the window's generic ImageResult path in ``MainWindow._on_job_event`` does the
landing; this mixin only records the source layer in ``_job_sources`` when it submits.
"""

from __future__ import annotations

from genai_studio.core.art_jobs import StyleSpec
from genai_studio.ui.panels.style_panel import StylePanel


class StyleToolsMixin:
    """Mixed into MainWindow; uses its canvas (pane and state), settings, ``_job_sources`` and ``submit_job``."""

    def _new_style_panel(self) -> StylePanel:
        panel = StylePanel()
        panel.device = self.settings.device
        panel.image_provider = self._style_target_image
        panel.mask_provider = self.canvas.mask_editor.current_values
        panel.submit_requested.connect(self.submit_style)
        panel.error.connect(self.show_error)
        return panel

    def _style_target_image(self):
        layer = self.canvas.mask_editor.target_image()
        return None if layer is None else layer.image

    def _show_style(self) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.style_panel)

    def submit_style(self, spec: StyleSpec) -> int:
        layer = self.canvas.mask_editor.target_image()
        job_id = self.submit_job(spec)
        self._job_sources[job_id] = None if layer is None else layer.id
        return job_id
