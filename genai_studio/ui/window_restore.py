"""The window's restoration features: the Restore and Recipe panels, their jobs, and where results land.

* Restore (RestoreSpec) → a result layer whose source is the image it was made from, so compare (\\) shows
  before/after.
* Detect scratches → the detected mask (``ImageResult.image.metadata["defect_mask"]``, (H, W) uint8) becomes an
  editable mask layer for the image; Fill then inpaints what it covers.
* Recipe (RecipeSpec) → one result layer per enabled step, each the source of the next, all in one undo
  step: compare on any of them shows that step's before/after.
* Recipe on a folder (RecipeBatchSpec) → a report dialog listing what was written and each file that failed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_studio.core.jobs import ImageResult, JobEvent, JobState
from genai_studio.core.restore_jobs import (
    RESTORE_TASKS, BatchReport, RecipeBatchSpec, RecipeResult, RecipeSpec, RestoreSpec, model_task,
)
from genai_studio.ui.panels.recipe_panel import STEP_LABELS, BatchReportDialog, RecipePanel
from genai_studio.ui.panels.restore_panel import RestoreModelChoice, RestorePanel
from genai_studio.ui.panels.upscale_panel import UpscaleModelChoice


DEFECT_MASK_KEY = "defect_mask"  # where the scratches engine puts the (H, W) uint8 mask it detected


@dataclass
class _RestoreJob:
    purpose: str  # "apply" | "detect" | "recipe" | "batch"
    source_id: int | None  # the canvas layer the job was made from


GENERIC_RESTORE_TASK = "restore"  # the task `models import` gives a same-size model


def restore_choices(store) -> dict[str, list[RestoreModelChoice]]:
    """Installed models per restoration task, each task's default model first. Imported same-size models get
    the generic task "restore" (spandrel cannot tell a denoiser from a JPEG cleaner) and are offered for
    every image-to-image task; filling needs a model that takes the mask."""
    installed = store.list()  # one scan of the models folders for all tasks
    generic = [e for e in installed if e.task == GENERIC_RESTORE_TASK]
    choices: dict[str, list[RestoreModelChoice]] = {}
    for task in RESTORE_TASKS:
        entries = sorted((e for e in installed if e.task == model_task(task)),
                         key=lambda e: (not e.manifest.defaults.get("default_for_task"), not e.builtin, e.id))
        if model_task(task) != "inpaint":
            entries += sorted(generic, key=lambda e: e.id)
        choices[task] = [RestoreModelChoice(e.id, e.name, e.manifest.description) for e in entries]
    return choices


def recipe_upscalers(store) -> list[UpscaleModelChoice]:
    """Upscalers with their tags, so the recipe's Faithful/Sharp choice can list the right ones."""
    return [
        UpscaleModelChoice(e.id, e.name, e.manifest.effective_scale, int(e.manifest.defaults.get("tile", 256)),
                           e.manifest.description, tuple(e.manifest.tags))
        for e in sorted(store.by_task("upscale"), key=lambda e: e.id)
    ]


def recipe_step_spec(spec: RecipeSpec, index: int) -> dict:
    """A JSON-safe record of one recipe step's job for its layer (the recipe itself, not the pixels)."""
    mask = None if spec.mask is None else {"mask": "layer", "covered": round(float((spec.mask > 127).mean()), 4)}
    return {"type": "RecipeSpec", "recipe": spec.recipe.to_json(), "step": index, "device": spec.device,
            "image": {"image": spec.image.name, "width": spec.image.width, "height": spec.image.height},
            "mask": mask}


class RestoreToolsMixin:
    """Mixed into MainWindow; uses its controller, store, canvas (pane and state), settings and status bar."""

    # ----- panels --------------------------------------------------------------------------------
    def _new_restore_panel(self) -> RestorePanel:
        self._restore_jobs: dict[int, _RestoreJob] = getattr(self, "_restore_jobs", {})
        panel = RestorePanel(restore_choices(self.store), self.canvas.mask_tool)
        panel.device = self.settings.device
        panel.submit_requested.connect(self.submit_restore)
        panel.detect_requested.connect(lambda spec: self.submit_restore(spec, "detect"))
        panel.mask_tool_toggled.connect(self._toggle_mask_tool)
        panel.error.connect(self.show_error)
        return panel

    def _new_recipe_panel(self) -> RecipePanel:
        self._restore_jobs = getattr(self, "_restore_jobs", {})
        panel = RecipePanel(restore_choices(self.store), recipe_upscalers(self.store))
        panel.device = self.settings.device
        panel.image_provider = lambda: (lambda layer: None if layer is None else layer.image)(
            self.canvas.mask_editor.target_image())
        panel.mask_provider = self.canvas.mask_editor.current_values
        panel.submit_requested.connect(self.submit_recipe)
        panel.error.connect(self.show_error)
        return panel

    def refresh_restore_models(self) -> None:
        """After the model list changed (import, remove, another models folder)."""
        self.restore_panel.set_models(restore_choices(self.store))
        self.recipe_panel.set_models(restore_choices(self.store), recipe_upscalers(self.store))

    def _toggle_mask_tool(self, on: bool) -> None:
        if on:
            self.tools_dock.show()
        self.canvas.set_mask_tool(on)

    def _show_restore(self) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.restore_panel)

    def _show_recipe(self) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.recipe_panel)

    # ----- submitting ----------------------------------------------------------------------------
    def _target_layer_id(self) -> int | None:
        layer = self.canvas.mask_editor.target_image()
        return None if layer is None else layer.id

    def submit_restore(self, spec: RestoreSpec, purpose: str = "apply") -> int:
        source = self._target_layer_id()
        job_id = self.submit_job(spec)
        self._restore_jobs[job_id] = _RestoreJob(purpose, source)
        return job_id

    def submit_recipe(self, spec: RecipeSpec | RecipeBatchSpec) -> int:
        purpose = "recipe" if isinstance(spec, RecipeSpec) else "batch"
        source = self._target_layer_id() if purpose == "recipe" else None
        job_id = self.submit_job(spec)
        self._restore_jobs[job_id] = _RestoreJob(purpose, source)
        return job_id

    # ----- results -------------------------------------------------------------------------------
    def _on_restore_event(self, event: JobEvent) -> bool:
        """Handle a restoration job's event; False when the event is not about one."""
        job = getattr(self, "_restore_jobs", {}).get(event.job_id)
        if job is None:
            return False
        if not event.state.finished:
            return True
        del self._restore_jobs[event.job_id]
        if event.state is JobState.FAILED:
            self.statusBar().showMessage(f"Job failed: {event.message}", 10000)
        if event.state is not JobState.DONE:
            return True
        if job.purpose != "batch" and not self.still_same_document(event.job_id, event.result.spec.title):
            return True
        if job.source_id is not None and not self.canvas_state.has_layer(job.source_id):
            job.source_id = None  # the source layer was deleted while the job ran: still keep the result
        result = event.result
        if job.purpose == "detect" and isinstance(result, ImageResult):
            self._land_scratch_mask(job, result)
        elif isinstance(result, ImageResult):
            self._land_restored(job, result)
        elif isinstance(result, RecipeResult):
            self._land_recipe(job, result)
        elif isinstance(result, BatchReport):
            self._show_batch_report(result)
        return True

    def _land_restored(self, job: _RestoreJob, result: ImageResult) -> None:
        self.canvas_state.add_layer(result.image, result.image.name, kind="result", source_id=job.source_id,
                                    spec=result.spec.to_json())
        note = f" ({'; '.join(result.notes)})" if result.notes else ""
        self.statusBar().showMessage(f"{result.spec.title}: done in {result.seconds:.1f} s on {result.device}{note}",
                                     10000)

    def _land_scratch_mask(self, job: _RestoreJob, result: ImageResult) -> None:
        mask = result.image.metadata.get(DEFECT_MASK_KEY)
        source = self.canvas_state.layer(job.source_id) if job.source_id is not None else None
        if not isinstance(mask, np.ndarray) or source is None:
            self.show_error("Cannot show the scratches", "The scratch detector returned no mask"
                            if source is not None else "The image the scratches were detected on was deleted.")
            return
        if mask.shape != (source.image.height, source.image.width) or mask.dtype != np.uint8:
            self.show_error("Cannot show the scratches", f"The detected mask is {mask.shape[1]}×{mask.shape[0]} "
                            f"but the image is {source.image.width}×{source.image.height}.")
            return
        self.canvas.mask_editor.new_mask(mask, name="Scratches", for_layer=source.id)
        # Fill next, so Run fills the mask as the user edits it (running "scratches" again would detect anew)
        self.restore_panel.set_task("inpaint")
        covered = float((mask > 127).mean())
        self.statusBar().showMessage(f"Scratches cover {covered:.1%} of the image: edit the mask, then Fill",
                                     10000)

    def _land_recipe(self, job: _RestoreJob, result: RecipeResult) -> None:
        """One layer per step, chained by source so compare shows each step's own before/after."""
        spec = result.spec
        source = job.source_id
        self.undo_stack.beginMacro(spec.title)
        try:
            for step, image in result.steps:
                # numbered as in the recipe (a skipped step keeps its number), not by how many ran
                index = next(i for i, s in enumerate(spec.recipe.steps, start=1) if s is step)
                name = f"{spec.recipe.name} {index}: {STEP_LABELS.get(step.task, step.task)}"
                source = self.canvas_state.add_layer(image, name, kind="result", source_id=source,
                                                     spec=recipe_step_spec(spec, index))
        finally:
            self.undo_stack.endMacro()
        note = f" ({'; '.join(result.notes)})" if result.notes else ""
        self.statusBar().showMessage(f"Recipe {spec.recipe.name}: {len(result.steps)} step(s) in "
                                     f"{result.seconds:.1f} s{note}", 10000)

    def _show_batch_report(self, report: BatchReport) -> BatchReportDialog:
        dialog = BatchReportDialog(report, self)
        dialog.setModal(False)
        dialog.show()
        self._last_batch_dialog = dialog
        failed = f", {len(report.failed)} failed" if report.failed else ""
        self.statusBar().showMessage(f"Recipe on folder: {len(report.written)} written{failed}", 10000)
        return dialog
