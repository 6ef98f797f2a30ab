"""The main window: canvas and timeline panes, tool and jobs docks, menus, status bar."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QWidget

from genai_studio.core.jobs import ImageResult, JobEvent, JobState, UpscaleSpec
from genai_studio.runtime.controller import JobController
from genai_studio.runtime.playback import AudioPlayer
from genai_studio.state.canvas_state import CanvasState
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.canvas.pane import CanvasPane
from genai_studio.ui.dialogs.about import AboutDialog
from genai_studio.ui.dialogs.model_manager import ModelManagerDialog
from genai_studio.ui.panels.jobs_panel import JobsPanel
from genai_studio.ui.panels.upscale_panel import UpscaleModelChoice, UpscalePanel
from genai_studio.ui.timeline.pane import TimelinePane


DEFAULT_UPSCALE_MODEL = "realesrgan-x4plus"


def upscale_choices(store) -> list[UpscaleModelChoice]:
    """Upscalers for the panel: the general photo model first, then the rest by id."""
    entries = sorted(store.by_task("upscale"), key=lambda e: (e.id != DEFAULT_UPSCALE_MODEL, e.id))
    return [
        UpscaleModelChoice(e.id, e.name, e.manifest.effective_scale, int(e.manifest.defaults.get("tile", 256)),
                           e.manifest.description)
        for e in entries
    ]


class MainWindow(QMainWindow):
    def __init__(self, controller: JobController, store, device_text: str, log_dir: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("GenAI Studio")
        self.resize(1400, 900)
        self.setAcceptDrops(True)
        self.controller = controller
        self.store = store
        self.log_dir = log_dir
        self.canvas_state = CanvasState(self)
        self.timeline_state = TimelineState(parent=self)
        self.player = AudioPlayer(self)
        self._job_sources: dict[int, int | None] = {}  # job id → canvas layer the job was made from

        self.canvas = CanvasPane(self.canvas_state)
        self.timeline = TimelinePane(self.timeline_state, self.player)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.timeline)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)

        self.upscale_panel = UpscalePanel(upscale_choices(store))
        self.upscale_panel.image_provider = self._active_image
        self.upscale_panel.submit_requested.connect(self.submit_upscale)
        self.tools = QTabWidget()
        self.tools.addTab(self.upscale_panel, "Upscale")
        self.tools_dock = self._dock("Tools", self.tools, Qt.DockWidgetArea.RightDockWidgetArea)
        self.jobs_panel = JobsPanel(controller)
        self.jobs_dock = self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.RightDockWidgetArea)

        self.undo_group = QUndoGroup(self)
        self.undo_group.addStack(self.canvas_state.undo_stack)
        self.undo_group.addStack(self.timeline_state.undo_stack)
        self.undo_group.setActiveStack(self.canvas_state.undo_stack)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

        self.device_label = QLabel(f"Device: {device_text}")
        self.statusBar().addPermanentWidget(self.device_label)
        for pane in (self.canvas, self.timeline, self.upscale_panel):
            pane.error.connect(self.show_error)
        for pane in (self.canvas, self.timeline):
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
        file_menu.addAction(ca["open"])
        file_menu.addAction(ta["import_audio"])
        file_menu.addSeparator()
        file_menu.addAction(ca["export"])
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit = bar.addMenu("&Edit")
        undo = self.undo_group.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_group.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit.addActions([undo, redo])
        edit.addSeparator()
        edit.addAction(ca["paste"])

        view = bar.addMenu("&View")
        for key in ("zoom_in", "zoom_out", "fit", "actual_size"):
            view.addAction(ca[key])
        view.addSeparator()
        view.addAction(ca["compare"])
        view.addSeparator()
        view.addAction(self.tools_dock.toggleViewAction())
        view.addAction(self.jobs_dock.toggleViewAction())

        image = bar.addMenu("&Image")
        image.addAction(self._action("&Upscale…", self._show_upscale, "Ctrl+Shift+U"))

        audio = bar.addMenu("&Audio")
        for key in ("play_stop", "stop"):
            if key in ta:
                audio.addAction(ta[key])

        models = bar.addMenu("&Models")
        models.addAction(self._action("&Model Manager…", self.show_model_manager, "Ctrl+M"))

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("Open &Log Folder", self._open_log_folder))
        help_menu.addAction(self._action("&About GenAI Studio", self.show_about))
        # The window's undo group drives Edit ▸ Undo/Redo for whichever pane has focus; the canvas's own
        # undo actions would make Ctrl+Z ambiguous, so they lose their shortcuts.
        for key in ("undo", "redo"):
            ca[key].setShortcut(QKeySequence())
        for action in list(ta.values()):
            if action not in self.actions():
                self.addAction(action)  # transport shortcuts (Space, Ctrl+I) work wherever focus is

    # ----- jobs ----------------------------------------------------------------------------------
    def _active_image(self):
        layer = self.canvas_state.active_layer()
        return None if layer is None else layer.image

    def submit_upscale(self, spec: UpscaleSpec) -> int:
        layer = self.canvas_state.active_layer()
        job_id = self.controller.submit(spec)
        self._job_sources[job_id] = None if layer is None else layer.id
        self.jobs_dock.show()
        self.statusBar().showMessage(f"Queued: {spec.title}", 4000)
        return job_id

    def _on_job_event(self, event: JobEvent) -> None:
        if event.state is JobState.DONE and isinstance(event.result, ImageResult):
            result: ImageResult = event.result
            source = self._job_sources.pop(event.job_id, None)
            if not self.canvas_state.has_layer(source):
                source = None  # the source layer was deleted while the job ran
            self.canvas_state.add_layer(result.image, result.image.name, kind="result", source_id=source)
            note = f" ({'; '.join(result.notes)})" if result.notes else ""
            self.statusBar().showMessage(
                f"{result.image.name}: {result.image.width}×{result.image.height} in {result.seconds:.1f} s "
                f"on {result.device}{note}", 10000)
            self.device_label.setText(f"Device: {result.device}")
        elif event.state is JobState.FAILED:
            self._job_sources.pop(event.job_id, None)
            self.statusBar().showMessage(f"Job failed: {event.message}", 10000)
        elif event.state is JobState.CANCELLED:
            self._job_sources.pop(event.job_id, None)

    # ----- dialogs -------------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(f"{title}: {message}", 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self._last_error_box = box

    def show_model_manager(self) -> None:
        dialog = ModelManagerDialog(self.store, self)
        dialog.exec()
        current = self.upscale_panel.selected_model()
        self.upscale_panel.deleteLater()
        self.upscale_panel = UpscalePanel(upscale_choices(self.store))
        self.upscale_panel.image_provider = self._active_image
        self.upscale_panel.submit_requested.connect(self.submit_upscale)
        self.upscale_panel.error.connect(self.show_error)
        if current is not None:
            self.upscale_panel.select_model(current.id)
        self.tools.removeTab(0)
        self.tools.insertTab(0, self.upscale_panel, "Upscale")
        self.tools.setCurrentIndex(0)

    def show_about(self) -> None:
        AboutDialog(self.store.list(), self).exec()

    def _show_upscale(self) -> None:
        self.tools_dock.show()
        self.tools.setCurrentWidget(self.upscale_panel)

    def _open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.log_dir))

    def _on_focus_changed(self, _old, new) -> None:
        widget = new
        while widget is not None:
            if widget is self.timeline:
                self.undo_group.setActiveStack(self.timeline_state.undo_stack)
                return
            if widget is self.canvas:
                self.undo_group.setActiveStack(self.canvas_state.undo_stack)
                return
            widget = widget.parentWidget()

    # ----- drag and drop onto the window: images → canvas, audio → timeline -----------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.open_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])

    def open_paths(self, paths: list[str]) -> None:
        from genai_studio.mediaio.audio import SUPPORTED_AUDIO_EXTENSIONS

        audio = [p for p in paths if p.lower().endswith(tuple(SUPPORTED_AUDIO_EXTENSIONS))]
        images = [p for p in paths if p not in audio]
        if images:
            self.canvas.open_files(images)
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

    def closeEvent(self, event: QCloseEvent) -> None:
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
        event.accept()
