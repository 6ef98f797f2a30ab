"""The timeline pane: transport bar (play, tempo/key/meter, metronome) + track lanes with their mixer strips,
audio import (dialog and drag-and-drop), new MIDI clips, playback, track effects and audio export (the mix
or one track)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QLabel, QStyle, QToolButton, QVBoxLayout, QWidget,
)

from genai_studio.core.errors import BadInput, StudioError
from genai_studio.core.music import Melody
from genai_studio.mediaio.audio import (
    AUDIO_FILE_FILTER, SUPPORTED_AUDIO_EXTENSIONS, SUPPORTED_FORMATS_TEXT, load_audio,
)
from genai_studio.mediaio.midi import load_melody

NOTATION_EXTENSIONS = (".mid", ".midi", ".musicxml", ".xml", ".mxl", ".abc")
NOTATION_FILE_FILTER = "MIDI, MusicXML or ABC (*.mid *.midi *.musicxml *.xml *.mxl *.abc)"
from genai_studio.runtime.playback import AudioPlayer
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.dialogs.track_effects import TrackEffectsDialog
from genai_studio.ui.flow_layout import ToolStrip
from genai_studio.ui.timeline import export
from genai_studio.ui.timeline.drops import timeline_paths
from genai_studio.ui.timeline.geometry import format_time
from genai_studio.ui.timeline.tracks_view import TracksView
from genai_studio.ui.timeline.transport import MusicControls

IMPORT_ERROR_TITLE = "Cannot import audio"
PLAYBACK_ERROR_TITLE = "Audio playback"
EXPORT_ERROR_TITLE = "Cannot export audio"
NOTHING_TO_EXPORT_TITLE = "Nothing to export"


class TimelinePane(QWidget):
    """Shows a TimelineState and plays it through an AudioPlayer.

    ``error(title, message)`` carries every problem the user should see (bad files, no audio device);
    ``status(text)`` carries short confirmations for the status bar; ``midi_clip_activated(clip id)`` asks
    for a MIDI clip to be opened in the piano roll (double-click or Enter on it, or a new clip).

    The player is shared: short previews (``AudioPlayer.is_preview``, e.g. piano-roll notes) also play
    through it, and the transport ignores them — they neither move the playhead nor count as playing.
    """

    error = Signal(str, str)
    status = Signal(str)
    midi_clip_activated = Signal(str)

    def __init__(self, state: TimelineState, player: AudioPlayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.player = player
        self._play_from_s = 0.0  # where the current playback started; the playhead returns here at the end
        self._loop_s: tuple[float, float] | None = None  # project seconds repeated while playing (piano roll)
        self._mix_end_s = 0.0  # length of the mix being played, s: a loop may only be moved within it
        self._last_dir = str(Path.home())
        self._effects_dialogs: dict[str, TrackEffectsDialog] = {}  # track id → its open dialog
        self.view = TracksView(state, self)
        # Window-wide actions for the lead's menus; ``local_actions`` only fire while the timeline has focus,
        # because the canvas uses the same keys (zoom, Delete) and window-wide duplicates would be ambiguous.
        self.actions: dict[str, QAction] = {}
        self.local_actions: dict[str, QAction] = {}
        self._build_actions()
        self._build_ui()
        self.setAcceptDrops(True)
        self.view.files_dropped.connect(self._on_files_dropped)
        self.view.selection_changed.connect(lambda _: self._sync_actions())
        self.view.midi_clip_activated.connect(self.midi_clip_activated)
        self.view.effects_requested.connect(self.show_effects)
        self.view.export_requested.connect(self.export_track_dialog)
        self.music.error.connect(self.error)
        state.changed.connect(self._on_state_changed)
        state.playhead_changed.connect(lambda _: self._update_time_label())
        player.position_changed.connect(self._on_player_position)
        player.finished.connect(self._on_player_finished)
        player.error.connect(self._on_player_error)
        self._sync_actions()
        self._update_time_label()

    # ----- construction ---------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        style = self.style()

        def make(key: str, text: str, slot, shortcut: QKeySequence | str | None = None,
                 icon: QStyle.StandardPixmap | None = None, local: bool = False) -> QAction:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            if icon is not None:
                action.setIcon(style.standardIcon(icon))
            if local:
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False: slot())
            self.addAction(action)
            (self.local_actions if local else self.actions)[key] = action
            return action

        make("import_audio", "&Import Audio…", self.import_dialog, "Ctrl+I",
             QStyle.StandardPixmap.SP_DialogOpenButton)
        make("play_stop", "&Play", self.toggle_play, "Space", QStyle.StandardPixmap.SP_MediaPlay)
        make("stop", "&Stop", self.stop, None, QStyle.StandardPixmap.SP_MediaStop)
        make("new_midi_clip", "New &MIDI Clip", self.new_midi_clip, None, QStyle.StandardPixmap.SP_FileIcon)
        make("export_mix", "Export Audio &Mix…", self.export_mix_dialog)
        metronome = make("metronome", "Metro&nome", self._on_metronome_toggled)
        metronome.setCheckable(True)
        metronome.setToolTip("Click on every beat during playback (accented on each bar)")
        make("delete_clip", "&Delete Clip", self.delete_selected_clip, QKeySequence.StandardKey.Delete, local=True)
        make("zoom_in", "Zoom &In", self.view.zoom_in, QKeySequence.StandardKey.ZoomIn, local=True)
        make("zoom_out", "Zoom &Out", self.view.zoom_out, QKeySequence.StandardKey.ZoomOut, local=True)
        make("zoom_fit", "Zoom to &Fit", self.view.zoom_to_fit, "Ctrl+0", local=True)
        self.actions["play_stop"].setToolTip("Play from the playhead / stop (Space)")
        # Short button labels keep the transport bar narrow; menus and tooltips keep the full names.
        for key, short in (("zoom_out", "−"), ("zoom_in", "+"), ("zoom_fit", "Fit"), ("new_midi_clip", "New MIDI"),
                           ("metronome", "Click")):
            action = self.actions.get(key) or self.local_actions[key]
            action.setIconText(short)
            if not action.toolTip() or action.toolTip() == short:
                action.setToolTip(action.text().replace("&", ""))

    def _build_ui(self) -> None:
        bar = ToolStrip(self)  # wraps onto a second row in a narrow window
        buttons = []
        for key in ("play_stop", "stop"):
            button = QToolButton(self)
            button.setDefaultAction(self.actions[key])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            buttons.append(button)
        self.time_label = QLabel(self)
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.time_label.font()
        font.setStyleHint(font.StyleHint.Monospace)
        font.setFamily("monospace")
        self.time_label.setFont(font)
        bar.add_group(*buttons, self.time_label)
        self.music = MusicControls(self.state, self)
        metronome = QToolButton(self)
        metronome.setDefaultAction(self.actions["metronome"])
        metronome.setStyleSheet("QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
                                " border: 1px solid palette(mid); border-radius: 3px; padding: 2px 4px; }")
        bar.add_group(self.music, metronome)
        groups: list[list[QToolButton]] = [[], []]
        for key in ("zoom_out", "zoom_in", "zoom_fit", "new_midi_clip", "import_audio"):
            button = QToolButton(self)
            button.setDefaultAction(self.actions.get(key) or self.local_actions[key])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly if key.startswith("zoom")
                                      else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            groups[0 if key.startswith("zoom") else 1].append(button)
        for group in groups:
            bar.add_group(*group)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.view, 1)

    # ----- import ---------------------------------------------------------------------------------------
    def import_dialog(self) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import Audio or MIDI", self._last_dir,
                                                f"{AUDIO_FILE_FILTER};;{NOTATION_FILE_FILTER}")
        return self.import_files(paths) if paths else []

    def import_files(self, paths: list[str | Path], start_s: float = 0.0, track_id: str | None = None) -> list[str]:
        """Load each file onto its own new track (or onto ``track_id``) at ``start_s``; returns new clip ids.

        Files that cannot be used are reported together through ``error``; the others are still imported,
        as one undo step.
        """
        loaded, problems = [], []
        for path in paths:
            try:
                # MIDI, MusicXML and ABC become MIDI clips; everything else is read as audio
                is_notation = str(path).lower().endswith(NOTATION_EXTENSIONS)
                if not is_notation and not str(path).lower().endswith(SUPPORTED_AUDIO_EXTENSIONS):
                    raise BadInput(f"'{Path(path).name}' cannot go on the timeline: it takes audio "
                                   f"({SUPPORTED_FORMATS_TEXT}) and notation (MIDI, MusicXML, ABC) files.")
                loaded.append(load_melody(path) if is_notation else load_audio(path))
            except BadInput as exc:
                problems.append(exc.message)
        clip_ids: list[str] = []
        if loaded:
            stack = self.state.undo_stack
            stack.beginMacro(f"Import {loaded[0].name}" if len(loaded) == 1 else f"Import {len(loaded)} files")
            try:
                melodies = [item for item in loaded if isinstance(item, Melody)]
                if melodies:  # a project's first MIDI file plays at its own tempo, as a generated tune does
                    self.state.adopt_first_melody(melodies[0])
                for item in loaded:
                    if isinstance(item, Melody):
                        clip_ids.append(self.state.add_midi_clip(item, track_id, start_s))
                    else:
                        clip_ids.append(self.state.add_audio_clip(item, track_id, start_s))
            finally:
                stack.endMacro()
            self._last_dir = str(Path(paths[0]).parent)
            self.view.select_clip(clip_ids[-1])
            self.status.emit(_describe_import(loaded))
        if problems:
            message = problems[0] if len(problems) == 1 else (
                f"{len(problems)} files could not be imported:\n" + "\n".join(f"• {m}" for m in problems))
            self.error.emit(IMPORT_ERROR_TITLE, message)
        return clip_ids

    def _on_files_dropped(self, paths: list[str], start_s: float, track_id: str | None) -> None:
        self.import_files(paths, start_s, track_id)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if timeline_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()  # images and projects go on to the window

    def dropEvent(self, event: QDropEvent) -> None:
        paths = timeline_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)
        else:
            event.ignore()

    # ----- editing --------------------------------------------------------------------------------------
    def new_midi_clip(self) -> str:
        """An empty MIDI clip (one bar long until it has notes) on a new track at the playhead, opened at once."""
        st = self.state
        melody = Melody(key=st.key, time_signature=st.time_signature, name="MIDI clip")
        taken = {clip.name for clip in st.clips()}
        number = len(st.midi_clips()) + 1
        while f"MIDI {number}" in taken:  # after a deletion the count alone would repeat a name
            number += 1
        clip_id = st.add_midi_clip(melody, start_s=st.playhead_s, name=f"MIDI {number}")
        self.view.select_clip(clip_id)
        self.midi_clip_activated.emit(clip_id)
        return clip_id

    def delete_selected_clip(self) -> None:
        clip_id = self.view.selected_clip
        if clip_id is not None:
            self.state.remove_clip(clip_id)

    # ----- mixer ----------------------------------------------------------------------------------------
    def show_effects(self, track_id: str) -> TrackEffectsDialog:
        """The effects dialog of a track (modeless, so it can be heard while playing; one per track)."""
        dialog = self._effects_dialogs.get(track_id)
        if dialog is None:
            dialog = TrackEffectsDialog(self.state, track_id, self)
            dialog.finished.connect(lambda _result, tid=track_id: self._forget_effects_dialog(tid))
            self._effects_dialogs[track_id] = dialog
        dialog.show()
        dialog.raise_()
        return dialog

    def _forget_effects_dialog(self, track_id: str) -> None:
        dialog = self._effects_dialogs.pop(track_id, None)
        if dialog is not None:
            dialog.deleteLater()  # closed for good: its state connection goes with it

    # ----- export ---------------------------------------------------------------------------------------
    def export_mix_dialog(self) -> export.ExportReport | None:
        path, selected = QFileDialog.getSaveFileName(self, "Export Audio Mix", str(Path(self._last_dir) / "mix.flac"),
                                                     export.EXPORT_FILTER)
        return self.export_mix(export.with_suffix(path, selected)) if path else None

    def export_mix(self, path: str | Path) -> export.ExportReport | None:
        """Write what is heard (mute, solo, fades, effects, gain, pan) to WAV/FLAC; lowers the level instead
        of clipping. Returns the report (also shown through ``status``), or None after reporting an error."""
        if not self.state.clips():
            self.error.emit(NOTHING_TO_EXPORT_TITLE, "The timeline has no clips yet.")
            return None
        return self._export(lambda: export.export_mix(self.state, path))

    def export_track_dialog(self, track_id: str) -> export.ExportReport | None:
        name = self.state.track(track_id).name
        path, selected = QFileDialog.getSaveFileName(self, f"Export Track {name}",
                                                     str(Path(self._last_dir) / f"{name}.flac"), export.EXPORT_FILTER)
        return self.export_track(track_id, export.with_suffix(path, selected)) if path else None

    def export_track(self, track_id: str, path: str | Path) -> export.ExportReport | None:
        """One track as heard when soloed (with its effects) to WAV/FLAC, from project time 0."""
        return self._export(lambda: export.export_track(self.state, track_id, path))

    def _export(self, write) -> export.ExportReport | None:
        try:
            report = write()
        except StudioError as exc:
            self.error.emit(EXPORT_ERROR_TITLE, exc.message)
            return None
        self._last_dir = str(report.path.parent)
        self.status.emit(report.message)
        return report

    # ----- transport ------------------------------------------------------------------------------------
    @property
    def is_playing(self) -> bool:
        """Whether the transport plays the mix (a note preview on the shared player does not count)."""
        return self.player.is_playing and not self.player.is_preview

    @property
    def loop_s(self) -> tuple[float, float] | None:
        """The loop region in project seconds, or None."""
        return self._loop_s

    def set_loop_seconds(self, start_s: float | None, end_s: float | None = None) -> None:
        """Repeat [start_s, end_s) of project time while playing (None: no loop). The piano roll sets it from
        its loop region; it takes effect at once when playing and on every Play until cleared."""
        region = None
        if start_s is not None and end_s is not None and end_s > max(0.0, start_s):
            region = (max(0.0, float(start_s)), float(end_s))
        if region == self._loop_s:
            return
        self._loop_s = region
        if self.is_playing:
            if region is None or region[1] <= self._mix_end_s:
                self.player.set_loop(*(region or (None, None)))  # sample-exact, no restart
            else:  # the loop reaches past the mix being played: play a longer mix from the same spot
                self._restart_playback()

    def play(self) -> None:
        """Play the mix from the playhead (from the start when the playhead is past the end). With a loop,
        from the playhead when it is inside the loop, else from the loop start, repeating it until stop."""
        if self.is_playing:
            return
        if self.state.duration_s <= 0:
            self.status.emit("Nothing to play: import some audio or add a MIDI clip first.")
            return
        start, loop = self.state.playhead_s, self._loop_s
        if loop is not None and not loop[0] <= start < loop[1]:
            start = loop[0]
            self.state.set_playhead(start)
        elif loop is None and start >= self.state.duration_s:
            start = 0.0
            self.state.set_playhead(0.0)
        self._play_from_s = start
        if self._start_player(start):
            self.view.follow_playhead = True
            self.status.emit(f"Looping {format_time(loop[0])} – {format_time(loop[1])}" if loop is not None
                             else f"Playing from {format_time(start)}")
        self._sync_actions()

    def stop(self) -> None:
        if self.is_playing:
            self.player.stop()
            self.state.set_playhead(self.player.position_s)
        self.view.follow_playhead = False
        self._sync_actions()

    def toggle_play(self) -> None:
        if self.is_playing:
            self.stop()
        else:
            self.play()

    def _start_player(self, start_s: float) -> bool:
        """Mix (long enough to hold the loop) and play it from ``start_s`` with the loop; False on failure."""
        mix = self._mix()
        if mix is None:
            return False
        self._mix_end_s = len(mix) / self.state.sample_rate
        return self.player.play(mix, self.state.sample_rate, start_s=start_s, loop=self._loop_s)

    def _restart_playback(self) -> None:
        """Go on playing from the same spot with a fresh mix (after an edit, or a loop past the mix's end)."""
        position, origin = self.player.position_s, self._play_from_s
        self.player.stop()
        loop = self._loop_s
        audible = self.state.duration_s > position or (loop is not None and position < loop[1])
        if audible and self._start_player(position):
            self._play_from_s = origin
        else:
            self.view.follow_playhead = False

    @property
    def metronome_on(self) -> bool:
        return self.actions["metronome"].isChecked()

    def _mix(self) -> np.ndarray | None:
        """The whole mix for playback (clicks included when the metronome is on), or None after reporting
        why it cannot be made. MIDI clips render here (cached, so only edited clips cost time)."""
        # A loop past the last clip repeats the silence up to its end too: it is the bar the user marked.
        end = max(self.state.mix_end_s, self._loop_s[1]) if self._loop_s is not None else None
        try:
            return self.state.mix(end_s=end, metronome=self.metronome_on)
        except BadInput as exc:  # e.g. a SoundFont that cannot be loaded
            self.error.emit(PLAYBACK_ERROR_TITLE, exc.message)
            return None

    def _on_metronome_toggled(self) -> None:
        if self.is_playing:  # restart from the same spot with or without the clicks
            self._on_state_changed()

    def _on_player_position(self, seconds: float) -> None:
        if self.is_playing:
            self.state.set_playhead(seconds)

    def _on_player_finished(self) -> None:
        if self.player.is_preview:  # a note preview ended: the transport was not playing
            return
        self.view.follow_playhead = False
        self.state.set_playhead(self._play_from_s)
        self._sync_actions()

    def _on_player_error(self, message: str) -> None:
        if self.player.is_preview:  # whoever asked for the preview reports its failure
            return
        self.view.follow_playhead = False
        self._sync_actions()
        self.status.emit("Playback is off: no audio output.")
        self.error.emit(PLAYBACK_ERROR_TITLE, message)

    # ----- display --------------------------------------------------------------------------------------
    def _on_state_changed(self) -> None:
        if self.is_playing:
            # An edit during playback: continue from the same spot with the new mix, so what is heard matches.
            self._restart_playback()
        self._sync_actions()
        self._update_time_label()

    def _sync_actions(self) -> None:
        playing = self.is_playing
        play = self.actions["play_stop"]
        play.setText("&Stop" if playing else "&Play")
        play.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaStop if playing
                                               else QStyle.StandardPixmap.SP_MediaPlay))
        play.setEnabled(playing or self.state.duration_s > 0)
        self.actions["stop"].setEnabled(playing)
        self.local_actions["delete_clip"].setEnabled(self.view.selected_clip is not None)

    def _update_time_label(self) -> None:
        self.time_label.setText(f"{format_time(self.state.playhead_s)} / {format_time(self.state.duration_s)}")


def _describe_import(loaded: list) -> str:
    if len(loaded) > 1:
        kind = "audio files" if not any(isinstance(x, Melody) for x in loaded) else "files"
        return f"Imported {len(loaded)} {kind}."
    a = loaded[0]
    if isinstance(a, Melody):
        note = f" {a.metadata['note']}" if a.metadata.get("note") else ""  # what loading changed, e.g. chords dropped
        return (f"Imported {a.name}: {len(a.notes)} notes, {a.bars:.1f} bars of {a.time_signature} in {a.key} at "
                f"{a.tempo_bpm:g} BPM.{note}")
    layout = {1: "mono", 2: "stereo"}.get(a.channels, f"{a.channels} channels")
    return f"Imported {a.name}: {format_time(a.duration_s)}, {a.sample_rate / 1000:g} kHz {layout}."
