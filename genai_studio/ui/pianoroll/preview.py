"""Hearing a note as it is placed: a short render of one pitch with the clip's instrument, played through the
window's (shared) AudioPlayer as a preview, so it never moves the playhead or interrupts the transport.

Renders go through ``dsp.synth.render_melody`` (FluidSynth with the project's SoundFont, else the numpy
synth), exactly as the mix renders the clip, and are cached per (pitch, program, SoundFont, rate): after
the first time a pitch costs nothing.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import numpy as np

from genai_studio.core.errors import StudioError
from genai_studio.core.music import Melody, Note
from genai_studio.dsp.synth import render_melody
from genai_studio.runtime.playback import AudioPlayer

log = logging.getLogger(__name__)

PREVIEW_S = 0.25  # how long the note is held
TAIL_S = 0.08  # release kept after the note-off, faded to silence so cutting the ring-out does not click
PREVIEW_VELOCITY = 100  # one fixed velocity, so one render per pitch serves every note
_TEMPO_BPM = 120.0  # only to express PREVIEW_S in beats: 0.5 s per beat
_CACHE_SIZE = 256  # renders kept (≈ 0.33 s stereo float32 at 48 kHz ≈ 125 kB each: ≈ 32 MB at most)

CacheKey = tuple[int, int, "str | None", int]  # (pitch, program, SoundFont path or None, sample rate)


class NotePreview:
    """Plays one short note on ``player`` when nothing but another preview is playing."""

    def __init__(self, player: AudioPlayer | None = None) -> None:
        self.player = player  # None: previews are silent (no window player hooked up, e.g. in tests)
        self.enabled = True
        self.output_failed = False  # the latest preview could not be played (no device, device error)
        self._cache: OrderedDict[CacheKey, np.ndarray] = OrderedDict()

    def render(self, pitch: int, program: int, soundfont: str | None, sample_rate: int) -> np.ndarray:
        """(frames, 2) float32: ``pitch`` held PREVIEW_S on ``program``, then TAIL_S fading out. Cached.
        Raises StudioError (BadInput) when the SoundFont cannot be used."""
        key = (int(pitch), int(program), soundfont, int(sample_rate))
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        beats = PREVIEW_S * _TEMPO_BPM / 60.0
        melody = Melody((Note(int(pitch), 0.0, beats, PREVIEW_VELOCITY),), tempo_bpm=_TEMPO_BPM,
                        name="note preview", program=int(program))
        audio = render_melody(melody, sample_rate=sample_rate, soundfont=soundfont)
        samples = _fade_tail(np.asarray(audio.samples, dtype=np.float32), int(sample_rate))
        self._cache[key] = samples
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return samples

    def play(self, pitch: int, program: int, soundfont: str | None, sample_rate: int) -> bool:
        """Play the preview; False when it is off, there is no player, the transport (or anything that is
        not a preview) is playing, or rendering/output failed (logged; the player reports device errors)."""
        player = self.player
        if not self.enabled or player is None:
            return False
        if player.is_playing and not player.is_preview:
            return False  # never cut the transport or a spoken preview short
        try:
            samples = self.render(pitch, program, soundfont, sample_rate)
        except StudioError as exc:
            log.info("note preview not rendered: %s", exc.message)
            return False
        played = player.play(samples, sample_rate, preview=True)
        self.output_failed = not played
        return played


def _fade_tail(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The first PREVIEW_S + TAIL_S seconds, the TAIL_S part faded linearly to silence."""
    keep = int(round((PREVIEW_S + TAIL_S) * sample_rate))
    out = samples[:keep].copy()
    fade = int(round(TAIL_S * sample_rate))
    start = int(round(PREVIEW_S * sample_rate))
    if len(out) > start:
        n = len(out) - start
        out[start:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:n, None]
    return out
