"""The piano-roll pane: a toolbar (instrument, tool, grid, snap, quantize, scale lock, velocity, note
preview, zoom) over the roll.

Its actions carry shortcuts local to the pane (Qt.WidgetWithChildrenShortcut), so Delete, Ctrl+C/V/X/A
and the arrows edit notes here without clashing with the canvas or the timeline. The roll's loop region
leaves the pane as project seconds (``loop_seconds_changed``) for the transport to repeat.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QLabel, QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from genai_studio.core.gm_instruments import display_number, instrument_name
from genai_studio.runtime.playback import AudioPlayer
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.flow_layout import ToolStrip
from genai_studio.ui.pianoroll.geometry import DEFAULT_GRID, GRIDS
from genai_studio.ui.pianoroll.instrument_combo import InstrumentCombo
from genai_studio.ui.pianoroll.preview import NotePreview
from genai_studio.ui.pianoroll.roll_view import PianoRollView

OPEN_ERROR_TITLE = "Cannot open the clip"


class PianoRollPane(QWidget):
    """Edits the notes and the instrument of one MIDI clip of ``timeline``; ``open_clip(clip_id)`` chooses
    which.

    ``error(title, message)`` and ``status(text)`` work as in the other panes. ``loop_seconds_changed(start,
    end)`` gives the loop region in project seconds, or (None, None) when there is none — also while the
    pane is hidden, so a loop nobody can see never repeats. Drawn or re-pitched notes are heard through
    the player given to :meth:`set_preview_player`.
    """

    error = Signal(str, str)
    status = Signal(str)
    loop_seconds_changed = Signal(object, object)  # (start_s, end_s) of project time, or (None, None)

    def __init__(self, timeline: TimelineState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline = timeline
        self.view = PianoRollView(timeline, self)
        self.preview = NotePreview()
        self._sent_loop: tuple[float, float] | None = None  # what loop_seconds_changed said last
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self._build_ui()
        self.view.status.connect(self.status)
        self.view.selection_changed.connect(lambda _n: self._sync())
        self.view.loop_region_changed.connect(lambda _region: self._announce_loop())
        self.view.pitch_touched.connect(self._preview_pitch)
        timeline.changed.connect(self._sync)
        timeline.changed.connect(self._announce_loop)  # a tempo change or a moved clip moves the loop in time
        self._sync()

    # ----- public -------------------------------------------------------------------------------------
    def open_clip(self, clip_id: str | None) -> bool:
        """Show a MIDI clip (None: none). Reports an unknown or non-MIDI id through ``error``."""
        try:
            self.view.set_clip(clip_id)
        except KeyError:
            self.error.emit(OPEN_ERROR_TITLE, f"There is no MIDI clip {clip_id!r} on the timeline.")
            return False
        self._sync()
        if clip_id is not None:
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    @property
    def clip_id(self) -> str | None:
        return self.view.clip_id

    def loop_region(self) -> tuple[float, float] | None:
        """The loop region in beats from the clip start (drag in the roll's ruler to set it), or None."""
        return self.view.loop_region()

    def loop_seconds(self) -> tuple[float, float] | None:
        """The loop region in project seconds (at the project tempo, from the clip's start), or None; None
        too while the pane is hidden."""
        region, clip = self.view.loop_region(), self.view.clip()
        if region is None or clip is None or not self.isVisible():
            return None
        return clip.time_of(region[0]), clip.time_of(region[1])

    def set_preview_player(self, player: AudioPlayer | None) -> None:
        """The player that sounds note previews (the window's shared one); None silences them."""
        old = self.preview.player
        if isinstance(old, AudioPlayer):
            old.error.disconnect(self._on_player_error)
        self.preview.player = player
        if isinstance(player, AudioPlayer):
            player.error.connect(self._on_player_error)

    def set_preview_enabled(self, on: bool) -> None:
        self.preview_check.setChecked(bool(on))

    def set_program(self, program: int) -> None:
        """Give the open clip the General MIDI instrument ``program`` (0..127): one undo step."""
        clip = self.view.clip()
        if clip is None or clip.melody.program == program:
            return
        self.timeline.set_clip_melody(clip.id, replace(clip.melody, program=int(program)), text="Change instrument")
        self.status.emit(f"{clip.name} now plays {instrument_name(program)}.")

    def set_grid(self, name: str) -> None:
        """One of geometry.GRIDS ('1/16', '1/8T', …)."""
        self.grid_combo.setCurrentText(name)
        self.view.grid = GRIDS[name]
        self.view.viewport().update()

    def quantize(self) -> None:
        self.view.quantize(self.strength.value() / 100.0)

    # ----- construction -------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        v = self.view

        def make(key: str, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setCheckable(checkable)
            action.setToolTip(tip or text.replace("&", ""))
            if checkable:
                action.toggled.connect(slot)
            else:
                action.triggered.connect(lambda _checked=False: slot())
            self.addAction(action)
            self.actions[key] = action
            return action

        make("delete", "&Delete Notes", v.delete_selected, QKeySequence.StandardKey.Delete)
        make("copy", "&Copy Notes", v.copy, QKeySequence.StandardKey.Copy)
        make("cut", "Cu&t Notes", v.cut, QKeySequence.StandardKey.Cut)
        make("paste", "&Paste Notes", v.paste, QKeySequence.StandardKey.Paste,
             "Paste after the selection, or at the playhead when nothing is selected")
        make("select_all", "Select &All Notes", v.select_all, QKeySequence.StandardKey.SelectAll)
        make("transpose_up", "Transpose Up", lambda: v.transpose(1), "Up")
        make("transpose_down", "Transpose Down", lambda: v.transpose(-1), "Down")
        make("octave_up", "Octave Up", lambda: v.transpose(12), "Shift+Up")
        make("octave_down", "Octave Down", lambda: v.transpose(-12), "Shift+Down")
        make("quantize", "&Quantize", self.quantize, "Q",
             "Pull the selected notes (all, when none is selected) towards the grid by the strength")
        make("zoom_in", "H+", lambda: v.zoom_horizontal(1), QKeySequence.StandardKey.ZoomIn, "Zoom in (time)")
        make("zoom_out", "H−", lambda: v.zoom_horizontal(-1), QKeySequence.StandardKey.ZoomOut, "Zoom out (time)")
        make("zoom_in_v", "V+", lambda: v.zoom_vertical(1), None, "Taller rows")
        make("zoom_out_v", "V−", lambda: v.zoom_vertical(-1), None, "Shorter rows")
        make("snap", "Snap", self._set_snap, None, "Snap note starts and ends to the grid", True).setChecked(True)
        make("scale_lock", "Scale lock", self._set_scale_lock, None,
             "Transposing keeps notes in the project key", True)
        tools = QActionGroup(self)
        for name, text, key in (("draw", "Draw", "D"), ("select", "Select", "S")):
            action = make(f"tool_{name}", text, lambda on, n=name: on and self._set_tool(n), key,
                          f"{text} tool ({key}): " + ("drag on empty space draws a note; Shift/Ctrl-drag selects"
                                                      if name == "draw" else "drag on empty space selects"), True)
            tools.addAction(action)
        self.actions["tool_draw"].setChecked(True)

    def _build_ui(self) -> None:
        bar = ToolStrip(self)  # wraps onto more rows in a narrow window
        self.clip_label = QLabel(self)
        self.clip_label.setProperty("role", "heading")
        self.instrument = InstrumentCombo(self)
        self.instrument.program_chosen.connect(self.set_program)
        bar.add_group(self.clip_label, self.instrument)
        bar.add_group(*(self._button(key) for key in ("tool_draw", "tool_select")))
        self.grid_combo = QComboBox(self)
        self.grid_combo.addItems(list(GRIDS))
        self.grid_combo.setCurrentText(DEFAULT_GRID)
        self.grid_combo.setToolTip("Grid for drawing, snapping, quantizing and nudging (T = triplets)")
        self.grid_combo.currentTextChanged.connect(self.set_grid)
        bar.add_group(QLabel("Grid", self), self.grid_combo, self._button("snap"))
        self.strength = QSpinBox(self)
        self.strength.setRange(0, 100)
        self.strength.setValue(100)
        self.strength.setSuffix(" %")
        self.strength.setToolTip("Quantize strength: 100% moves notes onto the grid, 50% half-way")
        bar.add_group(self._button("quantize"), self.strength, self._button("scale_lock"))
        self.velocity = QSpinBox(self)
        self.velocity.setRange(1, 127)
        self.velocity.setValue(self.view.new_velocity)
        self.velocity.setKeyboardTracking(False)  # one edit (one undo step) per typed value
        self.velocity.setToolTip("Velocity of the selected notes (of new notes when none is selected)")
        self.velocity.valueChanged.connect(self.view.set_velocity)
        self.preview_check = QCheckBox("Preview notes", self)
        self.preview_check.setChecked(True)
        self.preview_check.setToolTip("Play a note when you draw it or drag it to another pitch (not during playback)")
        self.preview_check.toggled.connect(self._set_preview_enabled)
        bar.add_group(QLabel("Velocity", self), self.velocity, self.preview_check)
        bar.add_group(*(self._button(key) for key in ("zoom_out", "zoom_in", "zoom_out_v", "zoom_in_v")))
        # Fusion draws a checked tool button only slightly sunken; on the dark theme that is hard to see.
        self.setStyleSheet("QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
                           " border: 1px solid palette(mid); border-radius: 3px; padding: 2px 4px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.view, 1)

    def _button(self, key: str) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(self.actions[key])
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # ----- toggles and display ------------------------------------------------------------------------
    def _set_tool(self, name: str) -> None:
        self.view.tool = name

    def _set_snap(self, on: bool) -> None:
        self.view.snap = bool(on)

    def _set_scale_lock(self, on: bool) -> None:
        self.view.scale_lock = bool(on)

    def _set_preview_enabled(self, on: bool) -> None:
        self.preview.enabled = bool(on)

    def _preview_pitch(self, pitch: int) -> None:
        clip = self.view.clip()
        if clip is None:
            return
        self.preview.play(pitch, clip.melody.program, self.timeline.soundfont, self.timeline.sample_rate)
        if self.preview.output_failed:
            # No sound to be had (the player said why in the status bar): stop trying on every note, and
            # show that previews are off; ticking the box again tries again.
            self.preview_check.setChecked(False)

    def _on_player_error(self, message: str) -> None:
        """The transport ignores a preview's errors; say them here, in the status bar rather than a box."""
        player = self.preview.player
        if player is not None and player.is_preview:
            self.status.emit(f"Note preview: {message}")

    def _announce_loop(self) -> None:
        """Emit loop_seconds_changed when the loop in project seconds differs from what was said last."""
        now = self.loop_seconds()
        if now != self._sent_loop:
            self._sent_loop = now
            self.loop_seconds_changed.emit(*(now or (None, None)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._announce_loop()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not event.spontaneous():  # closed or tabbed away, not the window being minimized
            self._announce_loop()

    def _sync(self) -> None:
        clip = self.view.clip()
        self.clip_label.setText(clip.name if clip is not None else "No clip")
        self.instrument.setEnabled(clip is not None)
        if clip is not None:
            program = clip.melody.program
            self.instrument.set_program(program)
            self.clip_label.setToolTip(f"{clip.name}: {instrument_name(program)} (GM program "
                                       f"{display_number(program)})")
        else:
            self.clip_label.setToolTip("")
        selection = self.view.selection
        with QSignalBlocker(self.velocity):
            if selection:
                self.velocity.setValue(self.view.notes[min(selection)].velocity)
            else:
                self.velocity.setValue(self.view.new_velocity)
        has_notes, has_selection = bool(self.view.notes), bool(selection)
        for key in ("delete", "copy", "cut", "transpose_up", "transpose_down", "octave_up", "octave_down"):
            self.actions[key].setEnabled(has_selection)
        self.actions["quantize"].setEnabled(has_notes)
        self.actions["select_all"].setEnabled(has_notes)
        self.actions["paste"].setEnabled(clip is not None)
