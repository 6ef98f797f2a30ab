"""Writing the timeline's audio to a file: the whole mix or one track (a stem), peak-safe.

Files are written by ``mediaio.audio.save_audio`` (24-bit WAV or FLAC, or OGG, by extension). A render
that would clip is brought down as a whole to EXPORT_CEILING_DB first, so nothing is clipped, distorted or
wrapped, the balance stays as mixed, and the report says by how much.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.mediaio.audio import save_audio
from genai_studio.state.timeline_mix import EXPORT_CEILING_DB, peak_safe
from genai_studio.state.timeline_state import TimelineState
from genai_studio.ui.timeline.geometry import format_time

EXPORT_FILTER = "FLAC (*.flac);;WAV (*.wav)"


@dataclass(frozen=True)
class ExportReport:
    """What was written: where, how long, and how far the level was lowered to keep it from clipping."""

    what: str  # "the mix" or "track 'Vocals'"
    path: Path
    frames: int
    channels: int
    sample_rate: int
    peak_dbfs: float  # of the render, before any lowering (-inf for silence)
    gain_db: float  # 0.0, or the (negative) change applied so the file does not clip

    @property
    def normalized(self) -> bool:
        return self.gain_db < 0.0

    @property
    def message(self) -> str:
        text = f"Exported {self.what} to {self.path.name} ({format_time(self.frames / self.sample_rate)})."
        if self.normalized:
            text += (f" It peaked at {self.peak_dbfs:+.1f} dBFS, so it was lowered by {-self.gain_db:.1f} dB "
                     f"(peak {EXPORT_CEILING_DB:g} dBFS) instead of clipping.")
        return text


def export_mix(state: TimelineState, path: str | os.PathLike[str]) -> ExportReport:
    """The audible tracks as heard (mute and solo applied), effect tails included."""
    if not state.clips():
        raise BadInput("The timeline has no clips yet: there is nothing to export.")
    audio = AudioBuffer(state.mix(clamp=False), state.sample_rate, name="mix")
    return write_peak_safe(audio, path, "the mix")


def export_track(state: TimelineState, track_id: str, path: str | os.PathLike[str]) -> ExportReport:
    """One track as heard when soloed (its fades, effects, gain and pan), from project time 0."""
    track = state.track(track_id)
    if not track.clips:
        raise BadInput(f"Track '{track.name}' has no clips: there is nothing to export.")
    return write_peak_safe(state.render_track(track_id), path, f"track '{track.name}'")


def write_peak_safe(audio: AudioBuffer, path: str | os.PathLike[str], what: str) -> ExportReport:
    samples = np.asarray(audio.samples, dtype=np.float32)
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    safe, gain_db = peak_safe(samples)
    written = save_audio(AudioBuffer(safe, audio.sample_rate, name=audio.name), path)
    peak_db = 20.0 * math.log10(peak) if peak > 0 else -math.inf
    return ExportReport(what, Path(written), len(safe), safe.shape[1], audio.sample_rate, peak_db, gain_db)


def with_suffix(path: str, selected_filter: str) -> str:
    """``path`` with the extension of the chosen filter when the user typed none."""
    if Path(path).suffix:
        return path
    return path + (".wav" if "wav" in selected_filter.lower() else ".flac")
