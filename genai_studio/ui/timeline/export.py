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
# The longest render written in one piece: 3 h of 48 kHz stereo float32 is ~4 GB, and the peak-safe copy and
# the file encoder need as much again. Anything longer is almost always a clip dropped far past the music.
MAX_EXPORT_SECONDS = 3 * 3600


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
    _check_length(state.mix_end_s, state.clips(), "The mix")
    audio = _rendered(lambda: AudioBuffer(state.mix(clamp=False), state.sample_rate, name="mix"), state.mix_end_s)
    return write_peak_safe(audio, path, "the mix")


def export_track(state: TimelineState, track_id: str, path: str | os.PathLike[str]) -> ExportReport:
    """One track as heard when soloed (its fades, effects, gain and pan), from project time 0."""
    track = state.track(track_id)
    if not track.clips:
        raise BadInput(f"Track '{track.name}' has no clips: there is nothing to export.")
    end_s = max(c.end_s for c in track.clips)
    _check_length(end_s, track.clips, f"Track '{track.name}'")
    return write_peak_safe(_rendered(lambda: state.render_track(track_id), end_s), path, f"track '{track.name}'")


def _check_length(end_s: float, clips, what: str) -> None:
    if end_s > MAX_EXPORT_SECONDS:
        last = max(clips, key=lambda c: c.end_s)
        raise BadInput(f"{what} is {format_time(end_s, 1)} long, more than the {MAX_EXPORT_SECONDS // 3600} hours an "
                       f"export can hold; clip '{last.name}' ends at {format_time(last.end_s, 1)}. Move or trim it "
                       "and export again.")


def _rendered(render, seconds: float) -> AudioBuffer:
    try:
        return render()
    except MemoryError:
        raise BadInput(f"There is not enough memory to render {format_time(seconds, 1)} of audio for export; close "
                       "other programs or export a shorter part (solo fewer tracks, trim the clips).") from None


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
