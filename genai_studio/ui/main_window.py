"""The main window: canvas and timeline panes, tool and jobs docks, menus, status bar."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QStyle, QUndoView, QWidget,
)

from genai_studio.core.jobs import ImageResult, JobEvent, JobState, MelodyResult
from genai_studio.settings import Settings
from genai_studio.runtime.controller import JobController
from genai_studio.runtime.playback import AudioPlayer
from genai_studio.state.canvas_state import CanvasState
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.canvas.pane import CanvasPane
from genai_studio.ui.dialogs.about import AboutDialog
from genai_studio.ui.project_workflow import ProjectWorkflow
from genai_studio.ui.space_key import SpaceForFocusedControls
from genai_studio.ui.panels.jobs_panel import JobsPanel
from genai_studio.ui.pianoroll.pane import PianoRollPane
from genai_studio.ui.timeline.pane import TimelinePane
from genai_studio.ui.tool_tabs import ToolTabs
from genai_studio.ui.window_settings import SettingsMixin
from genai_studio.ui.window_tools import ToolPanelsMixin
from genai_studio.ui.window_generate import GenerateToolsMixin
from genai_studio.ui.window_restore import RestoreToolsMixin
from genai_studio.ui.window_style import StyleToolsMixin
from genai_studio.ui.window_train import TrainToolsMixin
from genai_studio.ui.window_voice import VoiceToolsMixin


class MainWindow(ToolPanelsMixin, VoiceToolsMixin, RestoreToolsMixin, StyleToolsMixin, GenerateToolsMixin,
                 TrainToolsMixin, SettingsMixin, QMainWindow):
    def __init__(self, controller: JobController, store, device_text: str, log_dir: str,
                 settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.setWindowTitle("GenAI Studio")
        self.resize(1400, 900)
        self.setAcceptDrops(True)
        # a focused button, list or text field keeps Space; elsewhere it is Play/Stop (the filter goes with us)
        QApplication.instance().installEventFilter(SpaceForFocusedControls(self))
        self.controller = controller
        self.store = store
        self.log_dir = log_dir
        # One undo history for both panes: Edit ▸ Undo takes back the last thing the user did, wherever.
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(100)
        self.canvas_state = CanvasState(self, undo_stack=self.undo_stack)
        self.timeline_state = TimelineState(parent=self, undo_stack=self.undo_stack)
        self.player = AudioPlayer(self)
        self.player.set_output_device(self.settings.audio_output_device)
        self._job_sources: dict[int, int | None] = {}  # job id → canvas layer the job was made from
        self._job_documents: dict[int, int] = {}  # job id → canvas document serial when it was submitted
        self._job_timelines: dict[int, int] = {}  # job id → timeline document serial when it was submitted
        self._error_boxes: dict[tuple[str, str], QMessageBox] = {}  # (title, message) → the box showing it

        self.canvas = CanvasPane(self.canvas_state)
        self.timeline = TimelinePane(self.timeline_state, self.player)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.timeline)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)

        self.upscale_panel = self._new_upscale_panel()
        self.tools = ToolTabs()
        self.tools.addTab(self.upscale_panel, "Upscale")
        self.melody_panel = self._new_melody_panel()
        self.tools.addTab(self.melody_panel, "Melody")
        self.voice_panel = self._new_voice_panel()
        self.tools.addTab(self.voice_panel, "Voice")
        self.restore_panel = self._new_restore_panel()
        self.tools.addTab(self.restore_panel, "Restore")
        self.recipe_panel = self._new_recipe_panel()
        self.tools.addTab(self.recipe_panel, "Recipe")
        self.style_panel = self._new_style_panel()
        self.tools.addTab(self.style_panel, "Style")
        self.generate_panel = self._new_generate_panel()
        self.tools.addTab(self.generate_panel, "Generate")
        self.train_panel = self._new_train_panel()
        self.tools.addTab(self.train_panel, "Train")
        # wide enough for every panel's controls side by side; their height scrolls (ToolTabs)
        widest = max(self.tools.widget(i).minimumSizeHint().width() for i in range(self.tools.count()))
        self.tools.setMinimumWidth(widest + self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent))
        self.tools_dock = self._dock("Tools", self.tools, Qt.DockWidgetArea.RightDockWidgetArea)
        self.jobs_panel = JobsPanel(controller)
        self.jobs_dock = self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.RightDockWidgetArea)

        self.piano_roll = PianoRollPane(self.timeline_state)
        self.piano_roll.loop_seconds_changed.connect(self.timeline.set_loop_seconds)
        self.piano_roll.set_preview_player(self.player)
        self.piano_roll_dock = self._dock("Piano Roll", self.piano_roll, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.piano_roll_dock.hide()
        self.timeline.midi_clip_activated.connect(self.open_piano_roll)
        self.timeline_state.set_soundfont(self.settings.soundfont_path or None)

        self.history = QUndoView(self.undo_stack)
        self.history.setEmptyLabel("<opened>")
        self.history_dock = self._dock("History", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.jobs_dock, self.history_dock)
        self.jobs_dock.raise_()

        self.project = ProjectWorkflow(self, self.canvas_state, self.timeline_state, self.undo_stack,
                                       self.settings.autosave_minutes, list(self.settings.recent_projects))
        self.project.title_changed.connect(self._update_title)
        self.project.error.connect(self.show_error)
        self.project.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.project.recent_changed.connect(self._rebuild_recent_menu)
        self.project.recent_changed.connect(self._remember_recent)
        self._update_title()

        self.device_label = QLabel(f"Device: {device_text}")
        self.statusBar().addPermanentWidget(self.device_label)
        for pane in (self.canvas, self.timeline, self.piano_roll):
            pane.error.connect(self.show_error)
        for pane in (self.canvas, self.timeline, self.piano_roll):
            pane.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        controller.event.connect(self._on_job_event)
        self._build_menus()
        self._restore_geometry()
        self.statusBar().showMessage("Ready — open, drop or paste an image; import audio with Ctrl+I", 8000)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # ----- menus ---------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        ca, ta = self.canvas.actions, self.timeline.actions
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self._action("&New Project", self.project.new, QKeySequence.StandardKey.New))
        ca["open"].setShortcut(QKeySequence())  # File ▸ Open… below takes Ctrl+O for images and projects
        file_menu.addAction(self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._rebuild_recent_menu(self.project.recent)
        file_menu.addAction(ta["import_audio"])
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Save Project", self.project.save, QKeySequence.StandardKey.Save))
        file_menu.addAction(self._action("Save Project &As…", self.project.save_as, QKeySequence("Ctrl+Shift+S")))
        file_menu.addSeparator()
        file_menu.addAction(ca["export"])
        file_menu.addAction(ta["export_mix"])
        file_menu.addAction(self._action("Export Selected &Clip…", self.export_clip_dialog))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit = bar.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit.addActions([undo, redo])
        edit.addSeparator()
        edit.addAction(ca["paste"])
        edit.addSeparator()
        prefs = self._action("&Preferences…", self.show_preferences, QKeySequence.StandardKey.Preferences)
        if prefs.shortcut().isEmpty():
            prefs.setShortcut(QKeySequence("Ctrl+,"))
        edit.addAction(prefs)

        view = bar.addMenu("&View")
        for key in ("zoom_in", "zoom_out", "fit", "actual_size"):
            view.addAction(ca[key])
        view.addSeparator()
        view.addAction(ca["compare"])
        view.addSeparator()
        view.addAction(self.tools_dock.toggleViewAction())
        view.addAction(self.jobs_dock.toggleViewAction())
        view.addAction(self.history_dock.toggleViewAction())
        view.addAction(self.piano_roll_dock.toggleViewAction())

        image = bar.addMenu("&Image")
        image.addAction(self._action("&Upscale…", self._show_upscale, "Ctrl+Shift+U"))
        image.addAction(self._action("Upscale &Active Layer", self._run_upscale, "Ctrl+U"))
        image.addAction(self._action("&Re-run Job of This Result", self.rerun_active_result, "Ctrl+Shift+R"))
        image.addSeparator()
        image.addAction(self._action("Re&store…", self._show_restore, "Ctrl+Shift+D"))
        image.addAction(ca["mask_tool"])
        image.addAction(self._action("Re&cipe…", self._show_recipe))
        image.addAction(self._action("St&yle Transfer…", self._show_style, "Ctrl+Shift+Y"))
        image.addAction(self._action("&Generate…", self._show_generate, "Ctrl+Shift+G"))
        image.addAction(self._action("&Train Generator on a Folder…", self._show_train, "Ctrl+Alt+G"))

        audio = bar.addMenu("&Audio")
        for key in ("play_stop", "stop", "metronome", "new_midi_clip"):
            if key in ta:
                audio.addAction(ta[key])
        audio.addSeparator()
        audio.addAction(self._action("&Speak Text…", lambda: self._show_voice(self.voice_panel.text), "Ctrl+Alt+T"))
        audio.addAction(self._action("&Record into Track…", self.record_into_track, "Ctrl+Alt+R"))
        audio.addAction(self._action("Sing Selected &MIDI Clip…", lambda: self._show_voice(self.voice_panel.lyrics)))

        models = bar.addMenu("&Models")
        models.addAction(self._action("&Model Manager…", self.show_model_manager, "Ctrl+M"))

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Check Installation…", self.check_installation))
        help_menu.addAction(self._action("Open &Log Folder", self._open_log_folder))
        help_menu.addAction(self._action("&About GenAI Studio", self.show_about))
        # Edit ▸ Undo/Redo drive the shared stack; the canvas's own undo actions would make Ctrl+Z
        # ambiguous, so they lose their shortcuts.
        for key in ("undo", "redo"):
            ca[key].setShortcut(QKeySequence())
        for action in list(ta.values()):
            if action not in self.actions():
                self.addAction(action)  # transport shortcuts (Space, Ctrl+I) work wherever focus is

    # ----- jobs ----------------------------------------------------------------------------------
    def open_piano_roll(self, clip_id: str) -> None:
        self.piano_roll_dock.show()
        self.piano_roll_dock.raise_()
        if self.piano_roll.open_clip(clip_id):
            # centre on the notes again once the dock has its real size
            QTimer.singleShot(0, lambda: self.piano_roll.open_clip(clip_id))
        else:
            self.piano_roll_dock.hide()

    def _on_job_event(self, event: JobEvent) -> None:
        try:
            self._dispatch_job_event(event)
        finally:
            if event.state.finished:
                self._job_documents.pop(event.job_id, None)
                self._job_timelines.pop(event.job_id, None)

    def _dispatch_job_event(self, event: JobEvent) -> None:
        if (self._on_voice_event(event) or self._on_restore_event(event) or self._on_generate_event(event)
                or self._on_train_event(event)):
            return
        if event.state is JobState.DONE and isinstance(event.result, ImageResult):
            result: ImageResult = event.result
            source = self._job_sources.pop(event.job_id, None)
            if not self.still_same_document(event.job_id, result.spec.title):
                return
            if not self.canvas_state.has_layer(source):
                source = None  # the source layer was deleted while the job ran
            self.canvas_state.add_layer(result.image, result.image.name, kind="result", source_id=source,
                                        spec=result.spec.to_json())
            note = f" ({'; '.join(result.notes)})" if result.notes else ""
            self.statusBar().showMessage(
                f"{result.image.name}: {result.image.width}×{result.image.height} in {result.seconds:.1f} s "
                f"on {result.device}{note}", 10000)
            self.device_label.setText(f"Device: {result.device}")
        elif event.state is JobState.DONE and isinstance(event.result, MelodyResult):
            source = self._job_sources.pop(event.job_id, None)
            if self.still_same_timeline(event.job_id, event.result.spec.title):
                self._add_melody_results(event.result, source)
        elif event.state is JobState.FAILED:
            self._job_sources.pop(event.job_id, None)
            self.statusBar().showMessage(f"Job failed: {event.message}", 10000)
        elif event.state is JobState.CANCELLED:
            self._job_sources.pop(event.job_id, None)

    def still_same_document(self, job_id: int, title: str) -> bool:
        """Whether the canvas still shows the document an image job was started on; if not, say so (its result
        must not land in another image or project)."""
        return self._still_open(self._job_documents.get(job_id), self.canvas_state.document_serial,
                                f"{title} finished after its image was closed")

    def still_same_timeline(self, job_id: int, title: str) -> bool:
        """Whether the timeline is still the one a melody or voice job was started on (not another project)."""
        return self._still_open(self._job_timelines.get(job_id), self.timeline_state.document_serial,
                                f"{title} finished after its project was closed")

    def _still_open(self, serial_then: int | None, serial_now: int, what_happened: str) -> bool:
        if serial_then is None or serial_then == serial_now:
            return True
        self.statusBar().showMessage(f"{what_happened}, so its result was not added to this one; run it again "
                                     "here if you need it", 15000)
        return False

    # ----- dialogs -------------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        """A non-modal warning box; the same error again (Play pressed twice with no audio device) raises the
        box already open instead of stacking another on it."""
        self.statusBar().showMessage(f"{title}: {message}", 10000)
        key = (title, message)
        if key in self._error_boxes:
            self._error_boxes[key].raise_()
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda *_: self._error_boxes.pop(key, None))
        self._error_boxes[key] = box
        box.show()

    def show_about(self) -> None:
        AboutDialog(self.store.list(), self).exec()

    def _show_voice(self, focus) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.voice_panel)
        focus.setFocus()

    def _show_upscale(self) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.upscale_panel)

    def _run_upscale(self) -> None:
        """Ctrl+U from anywhere: upscale the active layer with the Upscale panel's settings (shown, to see them)."""
        self._show_upscale()
        self.upscale_panel.submit()

    def check_installation(self) -> None:
        """Help ▸ Check Installation: the self-test in a child process, its rows appearing as they finish."""
        from genai_studio.ui.dialogs.check_installation import CheckInstallationDialog

        CheckInstallationDialog(self).exec()

    def _open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.log_dir))

    # ----- drag and drop onto the window: images → canvas, audio → timeline -----------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        # as on the canvas itself: a drop adds layers to the picture you are working on, never replaces it
        self.open_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()], as_layers=True)

    def open_paths(self, paths: list[str], as_layers: bool = False) -> None:
        """Route files by type: a project opens as the document, images go to the canvas (replacing its document,
        or as layers on top with ``as_layers``), audio to the timeline."""
        from genai_studio.core.project import FILE_EXTENSION
        from genai_studio.mediaio.audio import SUPPORTED_AUDIO_EXTENSIONS

        projects = [p for p in paths if p.lower().endswith(FILE_EXTENSION)]
        if projects:
            self.project.open(projects[0])
        from genai_studio.ui.timeline.pane import NOTATION_EXTENSIONS

        audio = [p for p in paths if p.lower().endswith(tuple(SUPPORTED_AUDIO_EXTENSIONS) + NOTATION_EXTENSIONS)]
        images = [p for p in paths if p not in audio and p not in projects]
        if images:
            (self.canvas.add_files if as_layers else self.canvas.open_files)(images)
        if audio:
            self.timeline.import_files(audio)

    # ----- lifecycle -----------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def open_dialog(self) -> None:
        from genai_studio.mediaio.images import IMAGE_FILE_FILTER
        from genai_studio.ui.project_workflow import PROJECT_FILTER

        paths, _ = QFileDialog.getOpenFileNames(self, "Open", "", f"{PROJECT_FILTER};;{IMAGE_FILE_FILTER}")
        if paths:
            self.open_paths(paths)

    def export_mix(self, path: str) -> bool:
        """Write the whole mix (WAV/FLAC/OGG); the timeline pane reports errors and the status itself."""
        return self.timeline.export_mix(path) is not None

    def export_clip_dialog(self) -> None:
        clip = self._selected_clip()
        if clip is None:
            self.show_error("Nothing to export", "Select a clip on the timeline first.")
            return
        is_midi = hasattr(clip, "melody")
        filters = ("MIDI (*.mid);;MusicXML (*.musicxml);;WAV (*.wav);;FLAC (*.flac)" if is_midi
                   else "WAV (*.wav);;FLAC (*.flac)")
        path, _ = QFileDialog.getSaveFileName(self, "Export clip", f"{clip.name}.{'mid' if is_midi else 'wav'}",
                                              filters)
        if path:
            self.export_clip(clip.id, path)

    def export_clip(self, clip_id: str, path: str) -> bool:
        """A MIDI clip as MIDI, MusicXML or rendered audio; an audio clip as WAV/FLAC."""
        from genai_studio.core.errors import StudioError
        from genai_studio.dsp.synth import render_melody
        from genai_studio.mediaio.audio import save_audio
        from genai_studio.mediaio.midi import save_midi, save_musicxml

        clip = self.timeline_state.clip(clip_id)
        suffix = path.lower().rsplit(".", 1)[-1]
        try:
            if hasattr(clip, "melody") and suffix in ("mid", "midi"):
                save_midi(clip.melody, path)
            elif hasattr(clip, "melody") and suffix in ("musicxml", "xml"):
                save_musicxml(clip.melody, path)
            elif hasattr(clip, "melody"):
                save_audio(render_melody(clip.melody, self.timeline_state.sample_rate,
                                         soundfont=self.timeline_state.soundfont), path)
            else:
                save_audio(clip.audio, path)
        except StudioError as exc:
            self.show_error("Cannot export clip", exc.message)
            return False
        self.statusBar().showMessage(f"Exported {clip.name} to {path}", 6000)
        return True

    def _update_title(self, _title: str | None = None) -> None:
        self.setWindowTitle(f"{self.project.title}[*] — GenAI Studio")
        self.setWindowModified(self.project.is_dirty)

    def _rebuild_recent_menu(self, recent: list[str]) -> None:
        self.recent_menu.clear()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _checked=False, p=path: self.project.open(p))
        self.recent_menu.setEnabled(bool(recent))

    def quit_for_system(self) -> None:
        """The system is ending the app (SIGTERM): no prompts; unsaved work goes to the autosave,
        which the next launch offers to recover."""
        if self.project.is_dirty:
            self.project.autosave.save_now(background=False)
            self.project.autosave.keep_on_exit = True
        self._system_quit = True
        self.close()
        QApplication.instance().quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if getattr(self, "_system_quit", False):
            self.player.stop()
            self.controller.shutdown(timeout_ms=2000)
            self.project.shutdown()
            event.accept()
            return
        if not self.project.maybe_save():
            event.ignore()
            return
        if self.controller.active_count():
            answer = QMessageBox.question(
                self, "Jobs are running", f"{self.controller.active_count()} job(s) are still running. "
                "Cancel them and quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.player.stop()
        self.controller.shutdown()
        self.project.shutdown()
        event.accept()
