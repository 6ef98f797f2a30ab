"""The window's Generate tab: submit GenerateSpec jobs, show the grid in the panel, add chosen images as layers."""

from __future__ import annotations

from genai_studio.core.art_generate_jobs import GenerateResult
from genai_studio.core.jobs import JobEvent, JobState
from genai_studio.ui.panels.generate_panel import GeneratePanel, generator_choices


class GenerateToolsMixin:
    """Mixed into MainWindow; uses its controller, canvas state, undo stack, tools dock and status bar."""

    def _new_generate_panel(self) -> GeneratePanel:
        panel = GeneratePanel()
        panel.device = self.settings.device
        panel.submit_requested.connect(self.submit_job)
        panel.error.connect(self.show_error)
        panel.add_to_canvas.connect(self.add_generated_layers)
        panel.set_models(generator_choices(self.store.by_task("generate")))
        return panel

    def refresh_generators(self) -> None:
        self.generate_panel.set_models(generator_choices(self.store.by_task("generate")))

    def _on_generate_event(self, event: JobEvent) -> bool:
        if event.state is JobState.DONE and isinstance(event.result, GenerateResult):
            result: GenerateResult = event.result
            self.generate_panel.show_result(result)
            self.tools_dock.show()
            self.tools.setCurrentWidget(self.generate_panel)
            unknown = f"; unknown words ignored: {', '.join(result.unknown_words)}" if result.unknown_words else ""
            self.statusBar().showMessage(f"{len(result.images)} images in {result.seconds:.2f} s on "
                                         f"{result.device}{unknown}", 10000)
            return True
        return False

    def add_generated_layers(self, images) -> None:
        """Each chosen image becomes a layer carrying the job that made it (exported files embed it); several
        at once are one undo step."""
        self.undo_stack.beginMacro(f"Add {len(images)} generated image(s)")
        for image in images:
            self.canvas_state.add_layer(image, image.name, spec=self.generate_panel.result_spec)
        self.undo_stack.endMacro()

    def _show_generate(self) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.generate_panel)
        self.generate_panel.prompt.setFocus()
