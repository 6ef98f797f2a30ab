"""The window's settings-related dialogs: Preferences, Model Manager, and applying edited settings."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QApplication

from genai_studio.settings import Settings
from genai_studio.ui.device_choices import mark_cuda_unavailable
from genai_studio.ui.dialogs.model_manager import ModelManagerDialog


class SettingsMixin:
    """Mixed into MainWindow; uses its settings, store, project, player and panels."""

    cuda_usable: bool | None = None  # unknown until the engine warm-up reports

    def engine_ready(self, description: str, cuda_usable: bool) -> None:
        """The warm-up found the default device: show it, and grey out CUDA choices where there is no GPU."""
        self.device_label.setText(f"Device: {description}")
        self.cuda_usable = cuda_usable
        if not cuda_usable:
            mark_cuda_unavailable(self.upscale_panel.device_combo)
            mark_cuda_unavailable(self.train_panel.device)

    def show_model_manager(self) -> None:
        ModelManagerDialog(self.store, self).exec()
        self.refresh_upscale_models()
        self.refresh_voices()
        self.refresh_restore_models()
        self.refresh_generators()

    def show_preferences(self) -> None:
        from genai_studio.runtime.playback import list_output_devices
        from genai_studio.ui.dialogs.preferences import PreferencesDialog

        devices, reason = list_output_devices()
        dialog = PreferencesDialog(self.settings, devices, self, audio_status=reason)
        if self.cuda_usable is False:
            mark_cuda_unavailable(dialog.device_combo, keep_selection=True)
        if dialog.exec():
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, new: Settings) -> None:
        """Use and store edited preferences; each takes effect at once."""
        from genai_studio.core.errors import StudioError
        from genai_studio.settings import effective_models_dir, save_settings
        from genai_studio.ui.theme import apply_theme

        old, self.settings = self.settings, new
        if new.theme != old.theme:
            apply_theme(QApplication.instance(), new.theme)
        if new.autosave_minutes != old.autosave_minutes:
            self.project.autosave.set_interval(new.autosave_minutes)
        if new.soundfont_path != old.soundfont_path:
            self.timeline_state.set_soundfont(new.soundfont_path or None)
        if new.audio_output_device != old.audio_output_device:
            self.player.set_output_device(new.audio_output_device)
        if new.models_dir != old.models_dir:
            self.store.user_dir = effective_models_dir(new)
        if new.models_dir != old.models_dir or new.device != old.device:
            self.refresh_upscale_models(keep_device=new.device == old.device)
        for panel in (self.restore_panel, self.recipe_panel, self.style_panel, self.generate_panel):
            panel.device = new.device  # the next job each submits runs there
        self.refresh_voices()
        self.refresh_restore_models()
        self.refresh_generators()
        try:
            save_settings(new)
        except StudioError as exc:
            self.show_error("Preferences not saved", f"{exc.message} They apply until you quit.")

    def _remember_recent(self, recent: list[str]) -> None:
        from genai_studio.core.errors import StudioError
        from genai_studio.settings import save_settings

        self.settings = replace(self.settings, recent_projects=tuple(recent))
        try:
            save_settings(self.settings)
        except StudioError:
            pass  # the recent list is a convenience; the project itself was saved

