"""Mixing a timeline to stereo: clips converted and rendered once, tracks with effects processed once, all
cached, so playback after a gain, pan, mute or solo change only sums cached arrays.

Audio clips are converted to the project rate and to stereo, keyed by their AudioBuffer object. MIDI clips
are rendered through ``genai_studio.dsp.synth`` (FluidSynth with a SoundFont when there is one, else the
built-in synth), keyed by (melody, sample rate, SoundFont): the melody carries the tempo and the program,
so any edit or tempo change is a new key and renders again, while undo back to a melody reuses it. A track
with effects is summed dry (clips with their fades) and run through its chain once, keyed by its clips'
content, positions and fades, its enabled effects, the rate and the SoundFont; gain and pan are applied
after the chain, at mix time.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Hashable

import numpy as np

from genai_studio.core.media import AudioBuffer
from genai_studio.core.errors import BadInput
from genai_studio.core.music import Melody, Meter, parse_meter
from genai_studio.dsp.effects import active, apply_chain
from genai_studio.mediaio.audio import resample
from genai_studio.state.timeline_clips import (
    EQUAL_POWER, AudioClip, Clip, MidiClip, Track, audible, clip_fades, pan_gains,
)

# Rendered melodies kept beyond those on the timeline, so undo/redo across a few edits stays instant.
_SPARE_RENDERS = 16
# Processed tracks kept beyond those on the timeline (each can be minutes of stereo audio).
_SPARE_TRACK_RENDERS = 4
EXPORT_CEILING_DB = -0.3  # where an export that would clip is brought down to (dBFS)
_UNITY = np.ones(2, dtype=np.float32)


class MixRenderer:
    """Owns the conversion/render caches of one TimelineState."""

    def __init__(self) -> None:
        self._audio: dict[AudioBuffer, np.ndarray] = {}  # (frames, 2) float32 at the project rate
        self._midi: OrderedDict[tuple[Melody, int, str | None], np.ndarray] = OrderedDict()
        # key -> (project frame where the render starts, (frames, 2) float32 processed audio incl. tails)
        self._tracks: OrderedDict[tuple[Hashable, ...], tuple[int, np.ndarray]] = OrderedDict()
        self.soundfont: str | None = None  # a .sf2 path; None = the built-in synth

    def clear(self) -> None:
        self._audio.clear()
        self._midi.clear()
        self._tracks.clear()

    def set_soundfont(self, path: str | None) -> None:
        if path != self.soundfont:
            self.soundfont = path
            self._midi.clear()
            self._tracks.clear()

    def forget(self, tracks: tuple[Track, ...]) -> None:
        """Drop converted audio no current clip uses; keep recent renders (LRU) for undo/redo."""
        live_audio = {c.audio for t in tracks for c in t.clips if isinstance(c, AudioClip)}
        self._audio = {a: s for a, s in self._audio.items() if a in live_audio}
        live_midi = {c.melody for t in tracks for c in t.clips if isinstance(c, MidiClip)}
        spare = [k for k in self._midi if k[0] not in live_midi]
        for key in spare[:max(0, len(spare) - _SPARE_RENDERS)]:
            del self._midi[key]
        live_tracks = {_content_key(t) for t in tracks if active(t.effects)}
        spare = [k for k in self._tracks if k[:2] not in live_tracks]
        for key in spare[:max(0, len(spare) - _SPARE_TRACK_RENDERS)]:
            del self._tracks[key]

    # ----- mixing ------------------------------------------------------------------------------------------
    def mix(self, tracks: tuple[Track, ...], sample_rate: int, first: int, frames: int) -> np.ndarray:
        """(frames, 2) float32: project frames [first, first + frames) of the audible tracks (mute and solo
        applied) with their fades, effects, gain and pan, not yet clipped."""
        out = np.zeros((max(0, frames), 2), dtype=np.float32)  # (frames, L/R)
        if len(out):
            for track in audible(tracks):
                self.add_track(out, track, sample_rate, first)
        return out

    def add_track(self, out: np.ndarray, track: Track, sample_rate: int, first: int) -> None:
        """Add ``track`` (fades, effects, gain, pan; its mute/solo switches are the caller's business) into
        ``out``, which holds project frames [first, first + len(out))."""
        if track.gain == 0:
            return
        left, right = pan_gains(track.pan)
        weights = np.array([track.gain * left, track.gain * right], dtype=np.float32)
        if active(track.effects):
            start, processed = self.processed(track, sample_rate)
            _add_at(out, processed, start - first, weights)
            return
        for clip in track.clips:
            self._add_clip(out, clip, sample_rate, first, weights)

    def end_s(self, tracks: tuple[Track, ...], sample_rate: int) -> float:
        """Where the audible tracks fall silent: their last clip end, or later where effects ring on."""
        return max((self.track_end_s(t, sample_rate) for t in audible(tracks)), default=0.0)

    def track_end_s(self, track: Track, sample_rate: int) -> float:
        end = max((c.end_s for c in track.clips), default=0.0)
        if active(track.effects) and track.clips:
            start, processed = self.processed(track, sample_rate)
            end = max(end, (start + len(processed)) / sample_rate)
        return end

    def processed(self, track: Track, sample_rate: int) -> tuple[int, np.ndarray]:
        """(first project frame, (frames, 2) float32): the track's clips with fades through its enabled
        effects, reverb/echo tails included; rendered once per content, chain, rate and SoundFont."""
        key = (*_content_key(track), sample_rate, self.soundfont)
        cached = self._tracks.get(key)
        if cached is None:
            spans = [(round(c.start_s * sample_rate), self._audible_frames(c, sample_rate)) for c in track.clips]
            start = min((at for at, _ in spans), default=0)
            end = max((at + n for at, n in spans), default=0)
            dry = np.zeros((max(0, end - start), 2), dtype=np.float32)
            for clip in track.clips:
                self._add_clip(dry, clip, sample_rate, start, _UNITY)
            cached = (start, apply_chain(dry, sample_rate, active(track.effects)))
            self._tracks[key] = cached
        self._tracks.move_to_end(key)
        return cached

    def _add_clip(self, out: np.ndarray, clip: Clip, sample_rate: int, first: int, weights: np.ndarray) -> None:
        at = int(round(clip.start_s * sample_rate)) - first  # clip frame 0 lands here in `out`
        if at >= len(out) or at + clip.duration_s * sample_rate + sample_rate < 0:
            return  # entirely outside the range (the +1 s margin covers release tails)
        stereo = self.stereo(clip, sample_rate)  # (clip frames, 2)
        n = self._audible_frames(clip, sample_rate)
        lo, hi = max(0, at), min(len(out), at + n)
        if lo >= hi:
            return
        # Fade-in, middle, fade-out: only the fades need a per-frame envelope (a long clip's middle stays cheap).
        length = _length_frames(clip, sample_rate, len(stereo))
        fade_in, fade_out = (int(round(f * sample_rate)) for f in clip_fades(clip))
        first_frame, last_frame = lo - at, hi - at  # clip frames
        cuts = sorted({first_frame, last_frame, *(min(max(c, first_frame), last_frame)
                                                  for c in (fade_in, length - fade_out))})
        for a, b in zip(cuts, cuts[1:]):
            _accumulate(out[at + a:at + b], stereo[a:b], weights, fade_envelope(clip, sample_rate, a, b, len(stereo)))

    def _audible_frames(self, clip: Clip, sample_rate: int) -> int:
        """Frames of the clip's render that are heard: all of it (MIDI release tails too) unless a fade-out
        ends it at the clip end."""
        stereo = self.stereo(clip, sample_rate)
        if clip_fades(clip)[1] > 0:
            return min(len(stereo), _length_frames(clip, sample_rate, len(stereo)))
        return len(stereo)

    # ----- sources -----------------------------------------------------------------------------------------
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


def _content_key(track: Track) -> tuple[Hashable, Hashable]:
    """What a processed track depends on besides rate and SoundFont: each clip's source, place and fades
    (not its name or id), and the enabled effects."""
    clips = tuple((c.audio if isinstance(c, AudioClip) else c.melody, c.start_s, c.fade_in_s, c.fade_out_s,
                   c.fade_curve) for c in track.clips)
    return clips, active(track.effects)


def _length_frames(clip: Clip, sample_rate: int, rendered: int) -> int:
    """The clip's length in frames: its converted audio, or for MIDI the notes' length at the tempo."""
    return rendered if isinstance(clip, AudioClip) else int(round(clip.duration_s * sample_rate))


def _add_at(out: np.ndarray, source: np.ndarray, at: int, weights: np.ndarray) -> None:
    lo, hi = max(0, at), min(len(out), at + len(source))
    if lo < hi:
        _accumulate(out[lo:hi], source[lo - at:hi - at], weights)


def _accumulate(dst: np.ndarray, src: np.ndarray, weights: np.ndarray, envelope: np.ndarray | None = None) -> None:
    """dst += src * weights (per channel) * envelope (per frame), both (frames, 2).

    Channel by channel: broadcasting a (2,) factor along rows runs numpy's inner loop two values at a time,
    about four times slower than whole columns.
    """
    for ch in range(2):
        weight = float(weights[ch])
        if weight == 0.0:
            continue
        if envelope is None:
            dst[:, ch] += src[:, ch] if weight == 1.0 else src[:, ch] * np.float32(weight)
        else:
            dst[:, ch] += src[:, ch] * (envelope * np.float32(weight))


def fade_envelope(clip: Clip, sample_rate: int, lo: int, hi: int, rendered: int) -> np.ndarray | None:
    """(hi - lo,) float32 gains for clip frames [lo, hi), or None where no fade reaches into that range.

    The fade-in rises from 0 at the clip's first frame to 1 after ``fade_in_s``; the fade-out falls to 0 at
    its last frame. Equal power follows a quarter sine (-3 dB halfway), linear a straight line (-6 dB).
    """
    fade_in_s, fade_out_s = clip_fades(clip)
    fade_in = int(round(fade_in_s * sample_rate))
    fade_out = int(round(fade_out_s * sample_rate))
    length = _length_frames(clip, sample_rate, rendered)
    touches_in = fade_in > 0 and lo < fade_in
    touches_out = fade_out > 0 and hi > length - fade_out
    if not (touches_in or touches_out):
        return None
    index = np.arange(lo, hi, dtype=np.float64)
    position = np.ones(hi - lo)  # 0 = silent end of a fade, 1 = full level
    if touches_in:
        position = np.minimum(position, index / fade_in)
    if touches_out:
        position = np.minimum(position, (length - 1 - index) / fade_out)
    position = np.clip(position, 0.0, 1.0)
    shape = np.sin(position * (math.pi / 2)) if clip.fade_curve == EQUAL_POWER else position
    return shape.astype(np.float32)


def peak_safe(samples: np.ndarray) -> tuple[np.ndarray, float]:
    """(samples, change in dB): unchanged when the peak is within [-1, 1]; otherwise scaled as a whole so the
    peak sits at EXPORT_CEILING_DB, which keeps the mix's balance and never clips or wraps in a file."""
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak <= 1.0:
        return samples, 0.0
    scale = 10.0 ** (EXPORT_CEILING_DB / 20.0) / peak
    return (samples * np.float32(scale)).astype(np.float32), 20.0 * math.log10(scale)


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
