"""Mixing a timeline to stereo: audio clips converted once, MIDI clips rendered once, both cached.

Audio clips are converted to the project rate and to stereo, keyed by their AudioBuffer object. MIDI clips
are rendered through ``genai_studio.dsp.synth`` (FluidSynth with a SoundFont when there is one, else the
built-in synth), keyed by (melody, sample rate, SoundFont): the melody carries the tempo and the program,
so any edit or tempo change is a new key and renders again, while undo back to a melody reuses it.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from genai_studio.core.media import AudioBuffer
from genai_studio.core.errors import BadInput
from genai_studio.core.music import Melody, Meter, parse_meter
from genai_studio.mediaio.audio import resample
from genai_studio.state.timeline_clips import AudioClip, MidiClip, Track

# Rendered melodies kept beyond those on the timeline, so undo/redo across a few edits stays instant.
_SPARE_RENDERS = 16


class MixRenderer:
    """Owns the conversion/render caches of one TimelineState."""

    def __init__(self) -> None:
        self._audio: dict[AudioBuffer, np.ndarray] = {}  # (frames, 2) float32 at the project rate
        self._midi: OrderedDict[tuple[Melody, int, str | None], np.ndarray] = OrderedDict()
        self.soundfont: str | None = None  # a .sf2 path; None = the built-in synth

    def clear(self) -> None:
        self._audio.clear()
        self._midi.clear()

    def set_soundfont(self, path: str | None) -> None:
        if path != self.soundfont:
            self.soundfont = path
            self._midi.clear()

    def forget(self, tracks: tuple[Track, ...]) -> None:
        """Drop converted audio no current clip uses; keep recent renders (LRU) for undo/redo."""
        live_audio = {c.audio for t in tracks for c in t.clips if isinstance(c, AudioClip)}
        self._audio = {a: s for a, s in self._audio.items() if a in live_audio}
        live_midi = {c.melody for t in tracks for c in t.clips if isinstance(c, MidiClip)}
        spare = [k for k in self._midi if k[0] not in live_midi]
        for key in spare[:max(0, len(spare) - _SPARE_RENDERS)]:
            del self._midi[key]

    def mix(self, tracks: tuple[Track, ...], sample_rate: int, first: int, frames: int) -> np.ndarray:
        """(frames, 2) float32: project frames [first, first + frames) of the unmuted tracks, with gain,
        not yet clipped."""
        out = np.zeros((max(0, frames), 2), dtype=np.float32)  # (frames, L/R)
        if len(out) == 0:
            return out
        for track in tracks:
            if track.muted or track.gain == 0:
                continue
            for clip in track.clips:
                at = int(round(clip.start_s * sample_rate)) - first  # clip frame 0 lands here in `out`
                if at >= len(out) or at + clip.duration_s * sample_rate + sample_rate < 0:
                    continue  # entirely outside the range (the +1 s margin covers release tails)
                stereo = self.stereo(clip, sample_rate)  # (clip frames, 2)
                lo, hi = max(0, at), min(len(out), at + len(stereo))
                if lo < hi:
                    out[lo:hi] += track.gain * stereo[lo - at:hi - at]
        return out

    def stereo(self, clip: AudioClip | MidiClip, sample_rate: int) -> np.ndarray:
        if isinstance(clip, MidiClip):
            return self._rendered(clip.melody, sample_rate)
        cached = self._audio.get(clip.audio)
        if cached is None:
            cached = resample(to_stereo(clip.audio.samples), clip.audio.sample_rate, sample_rate)
            self._audio[clip.audio] = cached
        return cached

    def _rendered(self, melody: Melody, sample_rate: int) -> np.ndarray:
        key = (melody, sample_rate, self.soundfont)
        cached = self._midi.get(key)
        if cached is None:
            if melody.notes:
                from genai_studio.dsp.synth import render_melody  # FluidSynth loads on first MIDI render

                audio = render_melody(melody, sample_rate=sample_rate, soundfont=self.soundfont)
                stereo = to_stereo(np.asarray(audio.samples, dtype=np.float32))
                if audio.sample_rate != sample_rate:
                    stereo = resample(stereo, audio.sample_rate, sample_rate)
                cached = np.ascontiguousarray(stereo, dtype=np.float32)
            else:
                cached = np.zeros((0, 2), dtype=np.float32)
            self._midi[key] = cached
        self._midi.move_to_end(key)
        return cached


def click_track(tempo_bpm: float, time_signature: str, sample_rate: int, first: int, frames: int) -> np.ndarray:
    """(frames, 2) float32 metronome clicks for project frames [first, first + frames); beat 0 is at 0 s."""
    from genai_studio.dsp.synth import metronome

    try:
        meter = parse_meter(time_signature)
    except BadInput:  # a project from elsewhere may hold any text here; count it in 4/4
        meter = Meter(4, 4)
    beats = math.ceil((first + frames) / sample_rate * tempo_bpm / 60.0) + 1
    clicks = np.asarray(metronome(beats, tempo_bpm, meter, sample_rate), dtype=np.float32)
    if clicks.ndim == 1:
        clicks = clicks[:, None]
    clicks = to_stereo(clicks)[first:first + frames]
    out = np.zeros((max(0, frames), 2), dtype=np.float32)
    out[:len(clicks)] = clicks
    return out


def to_stereo(samples: np.ndarray) -> np.ndarray:
    """(frames, C) -> (frames, 2): mono goes to both sides at full level; with more than two channels the
    extra ones (centre, surrounds in WAV order) are folded into both sides at -3 dB so nothing is lost."""
    channels = samples.shape[1]
    if channels == 1:
        return np.repeat(samples, 2, axis=1)
    stereo = np.array(samples[:, :2], dtype=np.float32)
    if channels > 2:
        stereo += 0.7071 * samples[:, 2:].mean(axis=1, keepdims=True)
    return stereo
