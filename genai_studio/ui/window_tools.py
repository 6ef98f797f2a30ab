"""The window's tool panels (Upscale, Melody) and the jobs they submit: providers, submission, results."""

from __future__ import annotations

from genai_studio.core.art_jobs import StyleSpec
from genai_studio.core.jobs import MelodyGenerateSpec, MelodyInterpolateSpec, MelodyResult, UpscaleSpec
from genai_studio.core.restore_jobs import RestoreSpec
from genai_studio.ui.device_choices import mark_cuda_unavailable
from genai_studio.ui.panels.melody_panel import MelodyPanel
from genai_studio.ui.panels.upscale_panel import UpscaleModelChoice, UpscalePanel

DEFAULT_UPSCALE_MODEL = "realesrgan-x4plus"
# Jobs "Re-run Job of This Result" can repeat: spec type name → (spec class, settings taken from the record)
RERUNNABLE = {
    "UpscaleSpec": (UpscaleSpec, ("model_id", "scale", "tile", "tile_overlap", "device")),
    "StyleSpec": (StyleSpec, ("style", "strength", "preserve_colors", "max_side", "device")),
    "RestoreSpec": (RestoreSpec, ("task", "model_id", "strength", "tile", "sensitivity", "device")),
}


def upscale_choices(store) -> list[UpscaleModelChoice]:
    """Upscalers for the panel: the general photo model first, then the rest by id."""
    entries = sorted(store.by_task("upscale"), key=lambda e: (e.id != DEFAULT_UPSCALE_MODEL, e.id))
    return [
        UpscaleModelChoice(e.id, e.name, e.manifest.effective_scale, int(e.manifest.defaults.get("tile", 256)),
                           e.manifest.description, tuple(e.manifest.tags))
        for e in entries
    ]


class ToolPanelsMixin:
    """Mixed into MainWindow; uses its controller, states, timeline pane, docks and status bar."""

    def _active_image(self):
        layer = self.canvas_state.active_layer()
        return None if layer is None else layer.image

    def submit_upscale(self, spec: UpscaleSpec) -> int:
        layer = self.canvas_state.active_layer()
        job_id = self.submit_job(spec)
        self._job_sources[job_id] = None if layer is None else layer.id
        return job_id

    def _new_melody_panel(self) -> MelodyPanel:
        panel = MelodyPanel()
        panel.selected_melody = self._selected_melody
        panel.midi_clips = lambda: [(c.id, c.name, c.melody) for c in self.timeline_state.clips()
                                    if hasattr(c, "melody")]
        panel.selected_audio = self._selected_audio
        panel.project_tempo = lambda: self.timeline_state.tempo_bpm
        panel.project_key = lambda: self.timeline_state.key
        panel.submit_requested.connect(self.submit_melody_job)
        panel.error.connect(self.show_error)
        panel.record_requested.connect(self.record_hum)
        self.timeline_state.changed.connect(panel.refresh_clips)
        return panel

    def _selected_clip(self):
        clip_id = self.timeline.view.selected_clip
        return self.timeline_state.clip(clip_id) if clip_id is not None else None

    def _selected_melody(self):
        clip = self._selected_clip()
        return getattr(clip, "melody", None)

    def _selected_audio(self):
        clip = self._selected_clip()
        return getattr(clip, "audio", None)

    def record_hum(self) -> None:
        from genai_studio.runtime.recorder import AudioRecorder
        from genai_studio.ui.dialogs.record import RecordDialog

        dialog = RecordDialog(AudioRecorder(parent=self), self)
        if dialog.exec() and dialog.audio is not None:
            clip_id = self.timeline_state.add_audio_clip(dialog.audio, start_s=self.timeline_state.playhead_s,
                                                         name="Recording")
            self.timeline.view.select_clip(clip_id)  # the transcription lands under the recording
            self.melody_panel.hum_audio(dialog.audio)

    def submit_job(self, spec) -> int:
        job_id = self.controller.submit(spec)
        self._job_documents[job_id] = self.canvas_state.document_serial
        self._job_timelines[job_id] = self.timeline_state.document_serial
        self.jobs_dock.show()
        self.jobs_dock.raise_()
        self.statusBar().showMessage(f"Queued: {spec.title}", 4000)
        return job_id

    def submit_melody_job(self, spec) -> int:
        """Submit a Melody panel job, remembering the clip it works from (the selected clip, or clip A of an
        interpolation) so the result lands beside it."""
        if isinstance(spec, MelodyInterpolateSpec):
            source = self.melody_panel.clip_a.currentData()
        elif isinstance(spec, MelodyGenerateSpec):
            source = None
        else:
            source = self.timeline.view.selected_clip
        job_id = self.submit_job(spec)
        self._job_sources[job_id] = source
        return job_id

    def _add_melody_results(self, result: MelodyResult, source_clip_id: str | None = None) -> None:
        """Each resulting melody becomes a MIDI clip on a new track: under the clip the job worked from and
        starting with it (continue, vary, hum, interpolate), else at the playhead; one undo step per job."""
        state = self.timeline_state
        source = source_clip_id if source_clip_id and any(c.id == source_clip_id for c in state.clips()) else None
        start = state.clip(source).start_s if source else state.playhead_s
        after = state.track_of_clip(source).id if source else None
        self.undo_stack.beginMacro(result.spec.title)
        if result.melodies:
            # The first tune of a project sets its tempo, key and meter, so it plays as generated.
            state.adopt_first_melody(result.melodies[0])
        for melody in result.melodies:
            clip_id = state.add_midi_clip(melody, start_s=start, name=melody.name, after_track_id=after)
            if after is not None:
                after = state.track_of_clip(clip_id).id  # several results stack in order under the source
        self.undo_stack.endMacro()
        notes = f" ({'; '.join(result.notes)})" if result.notes else ""
        self.statusBar().showMessage(
            f"{len(result.melodies)} new MIDI clip(s) in {result.seconds:.2f} s{notes}", 10000)

    def _new_upscale_panel(self) -> UpscalePanel:
        panel = UpscalePanel(upscale_choices(self.store))
        panel.image_provider = self._active_image
        panel.submit_requested.connect(self.submit_upscale)
        panel.error.connect(self.show_error)
        if self.cuda_usable is False:  # a rebuilt panel (new model list) after the warm-up found no GPU
            mark_cuda_unavailable(panel.device_combo)
        panel.set_device(self.settings.device)
        return panel

    def refresh_upscale_models(self, keep_device: bool = True) -> None:
        """After the model list changed (import, remove, another models folder): the panel is rebuilt with the
        new list, keeping what the user had set (model, look, scale, tile, device) and the tab they were on."""
        old = self.upscale_panel
        current, quality, tab = old.selected_model(), old.quality, self.tools.currentIndex()
        scale, tile, device = old.scale_group.checkedId(), old.tile_spin.value(), old.device_combo.currentData()
        old.deleteLater()
        self.upscale_panel = panel = self._new_upscale_panel()
        panel.set_quality(quality)
        if current is not None:
            panel.select_model(current.id)
        if current is not None and panel.selected_model() is not None and panel.selected_model().id == current.id:
            if panel.scale_group.button(scale) is not None:
                panel.scale_group.button(scale).setChecked(True)
            panel.tile_spin.setValue(tile)
        if keep_device:  # (not when Preferences just chose another device)
            panel.device_combo.setCurrentIndex(max(0, panel.device_combo.findData(device)))
        self.tools.removeTab(0)
        self.tools.insertTab(0, panel, "Upscale")
        self.tools.setCurrentIndex(tab)

    def rerun_active_result(self) -> int | None:
        """Run the job that made the active result layer again, on its source layer, with the same settings
        (upscale, style and restore results; a job that used a mask or a style image cannot be repeated from
        the project, which keeps only the record of them, not their pixels)."""
        layer = self.canvas_state.active_layer()
        spec = getattr(layer, "spec", None) or {}
        kind = spec.get("type")
        if layer is None or kind not in RERUNNABLE:
            self.show_error("Nothing to re-run", "Select a result layer made by an upscale, style or restore job.")
            return None
        if not self.canvas_state.has_layer(layer.source_id):
            self.show_error("Cannot re-run", "The layer this result was made from has been deleted.")
            return None
        used = [what for key, what in (("mask", "a mask"), ("style_image", "a style image")) if spec.get(key)]
        if used:
            self.show_error("Cannot re-run", f"This result used {' and '.join(used)}, which the project does not "
                            "keep; run it again from its panel.")
            return None
        source = self.canvas_state.layer(layer.source_id)
        spec_class, names = RERUNNABLE[kind]
        try:
            new_spec = spec_class(image=source.image, **{k: spec[k] for k in names if k in spec})
        except ValueError as exc:
            self.show_error("Cannot re-run", str(exc))
            return None
        self.canvas_state.set_active(source.id)
        if kind == "UpscaleSpec":
            return self.submit_upscale(new_spec)
        return self.submit_style(new_spec) if kind == "StyleSpec" else self.submit_restore(new_spec)
