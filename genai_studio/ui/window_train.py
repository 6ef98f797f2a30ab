"""The window's Train tab: run a TrainArtSpec job, feed its updates to the panel, install the finished model."""

from __future__ import annotations

from pathlib import Path

from genai_studio.core.art_train_jobs import TrainArtResult
from genai_studio.core.errors import StudioError
from genai_studio.core.jobs import JobEvent, JobState
from genai_studio.ui.panels.train_art_panel import TrainArtPanel


class TrainToolsMixin:
    """Mixed into MainWindow; uses its controller, model store, generate panel, tools dock and status bar."""

    _train_job: int | None = None

    def _new_train_panel(self) -> TrainArtPanel:
        panel = TrainArtPanel()
        panel.start_requested.connect(self._start_training)
        panel.cancel_requested.connect(self._cancel_training)
        panel.error.connect(self.show_error)
        return panel

    def _start_training(self, spec) -> None:
        self._train_job = self.submit_job(spec)

    def _cancel_training(self) -> None:
        if self._train_job is not None:
            self.controller.cancel(self._train_job)

    def _on_train_event(self, event: JobEvent) -> bool:
        if event.job_id != self._train_job or not event.state.finished:
            return False
        self._train_job = None
        if event.state is JobState.DONE and isinstance(event.result, TrainArtResult):
            self._install_trained(event.result)
        elif event.state is JobState.CANCELLED:
            self.train_panel.finished("Cancelled. The last checkpoint is kept: tick \"Continue the previous run\" "
                                      "to pick up from it.")
        else:
            self.train_panel.finished(f"Training failed: {event.message}")
        return True

    def _install_trained(self, result: TrainArtResult) -> None:
        """Put the finished model in the model store and select it in the Generate tab."""
        try:
            existing = self.store.find(result.model_id)
            retrained = existing is not None and existing.removable and (
                existing.manifest.source.original_path == str(Path(result.model_dir).resolve()))
            if retrained:
                self.store.remove(existing.id)  # a re-trained model replaces its older self
            entry = self.store.install_trained(result.model_dir)  # else: a new id beside the other model
        except StudioError as exc:
            self.train_panel.finished(f"Trained, but not added to the models: {exc.message}")
            self.show_error("Model not installed", f"{exc.message}\nThe model is in {result.model_dir}.")
            return
        early = " (stopped early)" if result.stopped_early else ""
        notes = f" {' '.join(result.notes)}" if result.notes else ""
        if existing is not None and not retrained:
            notes += (f" Another model already had the id '{existing.id}', so it was kept and this one is "
                      f"'{entry.id}'.")
        self.train_panel.finished(f"Done{early}: {result.steps_done} steps. \"{entry.name}\" is in the Generate "
                                  f"tab and the model manager.{notes}")
        self.refresh_generators()
        index = self.generate_panel.model.findData(entry.id)
        if index >= 0:
            self.generate_panel.model.setCurrentIndex(index)
        self.statusBar().showMessage(f"Trained \"{entry.name}\"{early}: pick it in Generate", 10000)

    def _show_train(self) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.train_panel)
        self.train_panel.folder.setFocus()
