"""Melody → audio, and a metronome: FluidSynth with a SoundFont when one is installed, else a numpy synth.

Sound must always work: FluidSynth (libfluidsynth + pyfluidsynth) is optional and imported lazily; without it,
or without a SoundFont, :func:`render_builtin` plays the melody with a small band-limited wavetable synth —
one of three voices (keys, organ, soft lead) picked from the General MIDI program family. Everything is
offline rendering into numpy arrays: FluidSynth's audio driver (``start()``) is never used.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Meter, parse_meter

SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/share/sounds/sf3",
                  "/usr/local/share/soundfonts", "/opt/homebrew/share/soundfonts")
# Best first: FluidR3 (148 MB, MIT) sounds far better than TimGM6mb (6 MB), which beats nothing.
PREFERRED_SOUNDFONTS = ("FluidR3_GM.sf2", "default-GM.sf2", "TimGM6mb.sf2", "FluidR3_GM.sf3", "default-GM.sf3")
SOUNDFONT_ENV = "GENAI_STUDIO_SOUNDFONT"  # a user's own .sf2 wins over the system ones
FLUID_GAIN = 0.8  # FluidSynth's default 0.2 is very quiet; 0.8 leaves headroom for chords
FLUID_MAKEUP = 2.5  # brings a single FluidSynth note to about the built-in synth's level (-10..-14 dBFS)
FLUID_TAIL_S = 1.5  # after the last note-off: release and reverb ring out, then silence is trimmed
MAX_RENDER_S = 30 * 60
TABLE_BITS = 14
TABLE = 1 << TABLE_BITS  # wavetable length (samples per cycle)


@dataclass(frozen=True)
class Voice:
    """A built-in instrument: harmonic amplitudes and an envelope (times in seconds)."""

    harmonics: tuple[float, ...]  # sustained spectrum, amplitude of harmonic 1, 2, …
    bright: tuple[float, ...] = ()  # attack spectrum that fades into ``harmonics`` (empty: static tone)
    bright_tau: float = 0.2
    attack: float = 0.004
    decay_tau: float = 0.0  # > 0: the note dies away exponentially (struck/plucked); 0: it sustains
    sustain: float = 1.0
    release: float = 0.08
    vibrato_cents: float = 0.0


VOICES: dict[str, Voice] = {
    # soft electric-piano-like keys: bright attack mellowing out, dying away like a struck string
    "keys": Voice(harmonics=(1.0, 0.28, 0.1, 0.05, 0.02, 0.01),
                  bright=tuple(1.0 / h**1.1 for h in range(1, 25)), bright_tau=0.12, attack=0.003,
                  decay_tau=1.6, release=0.09),
    # drawbar organ 8' 4' 2 2/3' 2' 1 3/5' 1': steady, quick attack
    "organ": Voice(harmonics=(1.0, 0.7, 0.45, 0.4, 0.0, 0.22, 0.0, 0.18), attack=0.008, release=0.05),
    # soft lead for winds, strings, voices: gentle attack and a little delayed vibrato
    "lead": Voice(harmonics=tuple((1.0 if h % 2 else 0.6) / h**1.6 for h in range(1, 17)), attack=0.035,
                  sustain=0.85, release=0.12, vibrato_cents=12.0),
}


def voice_for_program(program: int) -> str:
    """General MIDI program family → built-in voice name."""
    if 16 <= program <= 23:
        return "organ"
    if program <= 15 or 24 <= program <= 39 or 104 <= program <= 119:  # pianos, mallets, guitars, basses, ethnic
        return "keys"
    return "lead"


def find_soundfont() -> Path | None:
    """The SoundFont to use: $GENAI_STUDIO_SOUNDFONT, else the best one in the usual system folders."""
    own = os.environ.get(SOUNDFONT_ENV)
    if own and Path(own).is_file():
        return Path(own)
    found = [Path(d) / name for d in SOUNDFONT_DIRS for name in PREFERRED_SOUNDFONTS]
    found += sorted(p for d in SOUNDFONT_DIRS if Path(d).is_dir() for p in Path(d).glob("*.sf[23]"))
    return next((p for p in found if p.is_file()), None)


def _import_fluidsynth():
    """pyfluidsynth, or None when it or the libfluidsynth it loads is missing."""
    try:
        import fluidsynth
    except (ImportError, OSError):  # ImportError also covers "Couldn't find the FluidSynth library"
        return None
    return fluidsynth


def soundfont_status() -> tuple[bool, str]:
    """(True, what plays) when FluidSynth and a SoundFont are ready, else (False, why and how to fix it)."""
    if _import_fluidsynth() is None:
        return False, ("FluidSynth is not installed (Debian: libfluidsynth3, Python: pyfluidsynth), so melodies "
                       "play with the built-in synth.")
    sf = find_soundfont()
    if sf is None:
        return False, ("No SoundFont found (looked in " + ", ".join(SOUNDFONT_DIRS[:2]) + "), so melodies play "
                       "with the built-in synth. Install one, e.g. Debian fluid-soundfont-gm, or set "
                       f"{SOUNDFONT_ENV} to an .sf2 file.")
    return True, f"FluidSynth with the SoundFont {sf.name}"


def render_melody(melody: Melody, sample_rate: int = 48000, program: int | None = None,
                  soundfont: str | os.PathLike[str] | None = None) -> AudioBuffer:
    """Stereo float32 audio of ``melody``: FluidSynth with ``soundfont`` (or the one found), else built-in."""
    if soundfont is not None:
        path = Path(soundfont)
        if not path.is_file():
            raise BadInput(f"The SoundFont '{path.name}' does not exist (looked for {path}).")
        if _import_fluidsynth() is None:
            raise BadInput(soundfont_status()[1].replace(", so melodies play with the built-in synth", ""))
        return render_soundfont(melody, path, sample_rate, program)
    found = find_soundfont()
    if found is not None and _import_fluidsynth() is not None:
        return render_soundfont(melody, found, sample_rate, program)
    return render_builtin(melody, sample_rate, program)


def _check(melody: Melody, sample_rate: int, program: int | None) -> int:
    if not melody.notes:
        raise BadInput(f"'{melody.name}' has no notes to play.")
    if not 8000 <= sample_rate <= 192000:
        raise BadInput(f"sample rate must be between 8000 and 192000 Hz, got {sample_rate}")
    program = melody.program if program is None else program
    if not 0 <= program <= 127:
        raise BadInput(f"General MIDI programs are numbered 0..127, got {program}")
    if melody.duration_beats * melody.seconds_per_beat > MAX_RENDER_S:
        raise BadInput(f"'{melody.name}' lasts over {MAX_RENDER_S // 60} minutes; that is too long to render.")
    return int(program)


FLUID_MAX_RATE = 96_000  # Hz: the highest synth.sample-rate FluidSynth accepts


def render_soundfont(melody: Melody, soundfont: Path, sample_rate: int = 48000,
                     program: int | None = None) -> AudioBuffer:
    """Offline FluidSynth: note events in time order, samples pulled between them with ``get_samples``."""
    program = _check(melody, sample_rate, program)
    if sample_rate > FLUID_MAX_RATE:  # FluidSynth would keep its own rate: a file labelled 192 kHz, 13 semitones sharp
        raise BadInput(f"the SoundFont synth renders at most {FLUID_MAX_RATE} Hz, not {sample_rate}; choose "
                       f"{FLUID_MAX_RATE} or less (the built-in synth, --builtin, renders up to 192000 Hz)")
    fluidsynth = _import_fluidsynth()
    if fluidsynth is None:
        raise BadInput(soundfont_status()[1])
    synth = fluidsynth.Synth(gain=FLUID_GAIN, samplerate=float(sample_rate))
    try:
        sfid = synth.sfload(str(soundfont))
        if sfid < 0:
            raise BadInput(f"'{Path(soundfont).name}' cannot be loaded as a SoundFont; the file is corrupt or "
                           "not a SoundFont.")
        synth.program_select(0, sfid, 0, program)
        spb = melody.seconds_per_beat
        events = []  # (sample, 0 = off before 1 = on at the same instant, pitch, velocity)
        for n in melody.notes:
            events.append((round(n.start * spb * sample_rate), 1, n.pitch, n.velocity))
            events.append((round(n.end * spb * sample_rate), 0, n.pitch, 0))
        events.sort()
        blocks, pos = [], 0
        for at, kind, pitch, velocity in events:
            if at > pos:
                blocks.append(synth.get_samples(at - pos))  # interleaved int16 stereo
                pos = at
            if kind:
                synth.noteon(0, pitch, velocity)
            else:
                synth.noteoff(0, pitch)
        blocks.append(synth.get_samples(int(FLUID_TAIL_S * sample_rate)))
    finally:
        synth.delete()
    stereo = np.concatenate(blocks).reshape(-1, 2).astype(np.float32) * (FLUID_MAKEUP / 32768.0)
    stereo = _trim_tail(stereo, last_event=pos, sample_rate=sample_rate)
    return AudioBuffer(_protect(stereo), sample_rate, name=melody.name)


def _trim_tail(x: np.ndarray, last_event: int, sample_rate: int) -> np.ndarray:
    """Cut the ring-out once it stays below -70 dBFS (keeping at least 50 ms after the last note-off)."""
    loud = np.nonzero(np.max(np.abs(x[last_event:]), axis=1) > 10 ** (-70 / 20))[0]
    end = last_event + max(int(0.05 * sample_rate), int(loud[-1]) + 1 if len(loud) else 0)
    return x[:end]


def _protect(x: np.ndarray) -> np.ndarray:
    """Scale down only if the mix would clip (dense chords); a melody normally stays well below."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x * (0.98 / peak) if peak > 0.98 else x


def render_builtin(melody: Melody, sample_rate: int = 48000, program: int | None = None) -> AudioBuffer:
    """The numpy synth: each note a band-limited wavetable voice with an ADSR envelope, mixed in stereo."""
    program = _check(melody, sample_rate, program)
    voice = VOICES[voice_for_program(program)]
    spb = melody.seconds_per_beat
    release = int(voice.release * sample_rate)
    total = max(round(n.end * spb * sample_rate) for n in melody.notes) + release + 1
    out = np.zeros(total, np.float32)
    tables: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}  # harmonic count → (sustain, bright) tables
    for n in melody.notes:
        start = round(n.start * spb * sample_rate)
        held = max(1, round(n.duration * spb * sample_rate))
        freq = 440.0 * 2 ** ((n.pitch - 69) / 12)
        # Band-limit: no harmonic may pass 45 % of the sample rate (vibrato included), or it would alias;
        # a note whose fundamental is already above that cannot be played at this rate at all.
        count = int(0.45 * sample_rate / (freq * 2 ** (voice.vibrato_cents / 1200)))
        if count < 1:
            continue
        if count not in tables:
            tables[count] = (_wavetable(voice.harmonics[:count]),
                             _wavetable(voice.bright[:count]) if voice.bright else None)
        level = 0.32 * (n.velocity / 127) ** 1.6
        tone = _note(voice, tables[count], freq, held, held + release, sample_rate, n.pitch)
        tone *= level
        out[start:start + len(tone)] += tone
    stereo = np.repeat(_protect(out)[:, None], 2, axis=1)
    return AudioBuffer(stereo, sample_rate, name=melody.name)


def _wavetable(amplitudes: tuple[float, ...]) -> np.ndarray:
    """One cycle of TABLE samples in sine phase (starts at 0), peak 1."""
    spectrum = np.zeros(TABLE // 2 + 1, np.complex128)
    spectrum[1:len(amplitudes) + 1] = -0.5j * TABLE * np.asarray(amplitudes)
    cycle = np.fft.irfft(spectrum, TABLE)
    return (cycle / max(1e-9, float(np.max(np.abs(cycle))))).astype(np.float32)


def _note(voice: Voice, tables: tuple[np.ndarray, np.ndarray | None], freq: float, held: int, length: int,
          sample_rate: int, pitch: int) -> np.ndarray:
    """(length,) float32: the tone for ``held`` samples, then the release fade to exactly zero.

    The oscillator is a 32-bit fixed-point phase accumulator indexing a 16k-sample table (nearest sample:
    error below -80 dB), which keeps a note to a handful of integer/float32 passes over its samples.
    """
    increment = freq / sample_rate * 2.0**32  # phase step per sample, in 1/2**32 cycles
    if voice.vibrato_cents and length > int(0.25 * sample_rate):
        # Vibrato at 5.5 Hz fades in after 0.25 s; per-sample steps are summed so the pitch moves smoothly.
        t = np.arange(length, dtype=np.float32) / np.float32(sample_rate)
        depth = np.float32(voice.vibrato_cents / 1200) * np.clip((t - 0.25) / 0.3, 0.0, 1.0)
        steps = (increment * np.exp2(depth * np.sin(np.float32(2 * np.pi * 5.5) * t))).astype(np.uint32)
        phase = np.cumsum(steps, dtype=np.uint32)  # wraps modulo 2**32, which is exactly one cycle
        phase -= steps[0]
    else:
        phase = np.arange(length, dtype=np.uint32) * np.uint32(int(increment) & 0xFFFFFFFF)
    idx = phase >> np.uint32(32 - TABLE_BITS)
    sustained, bright = tables
    tone = sustained[idx]
    if bright is not None:
        # The bright attack spectrum fades into the sustained one over ~6 time constants.
        k = min(length, int(6 * voice.bright_tau * sample_rate))
        fade = np.exp(np.arange(k, dtype=np.float32) * np.float32(-1.0 / (voice.bright_tau * sample_rate)))
        tone[:k] += (bright[idx[:k]] - tone[:k]) * fade
    tone *= _envelope(voice, length, held, sample_rate, pitch)
    return tone


def _envelope(voice: Voice, length: int, held: int, sample_rate: int, pitch: int) -> np.ndarray:
    """Raised-cosine attack from 0, decay/sustain, raised-cosine release from note-off to exactly 0.

    Only the segments that change are computed sample by sample; the sustained middle is a constant.
    """
    if voice.decay_tau:
        # Struck/plucked: dies away; higher strings faster (the time constant halves every two octaves).
        tau = voice.decay_tau * 2 ** (-(pitch - 60) / 24) * sample_rate
        env = np.exp(np.arange(length, dtype=np.float32) * np.float32(-1.0 / tau))
    else:
        env = np.full(length, voice.sustain, np.float32)
        k = min(length, int(1.0 * sample_rate))  # the 0.12 s initial decay is done within a second
        env[:k] += np.float32(1 - voice.sustain) * np.exp(np.arange(k, dtype=np.float32) * np.float32(-1.0 / (0.12 * sample_rate)))
    a = min(length, max(1, int(voice.attack * sample_rate)))
    env[:a] *= 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, a, endpoint=False, dtype=np.float32))
    r = length - held
    if r > 0:
        env[held:] *= 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, r + 1, dtype=np.float32)[1:])
    return env


def metronome(beats: float, tempo: float, meter: str | Meter = "4/4", sample_rate: int = 48000) -> np.ndarray:
    """(frames,) float32 click track lasting ``beats`` quarter notes at ``tempo`` BPM.

    Clicks fall on the meter's beat unit (dotted quarters in 6/8, 9/8, 12/8); the first of each bar is
    higher and louder. Each click is a 30 ms sine burst with a 1 ms raised-cosine attack.
    """
    if not tempo > 0 or not math.isfinite(tempo):
        raise BadInput(f"tempo must be a positive number of BPM, got {tempo}")
    if beats < 0:
        raise BadInput(f"the click track cannot be {beats} beats long")
    m = meter if isinstance(meter, Meter) else parse_meter(meter)
    compound = m.denominator == 8 and m.numerator % 3 == 0 and m.numerator > 3
    step = 1.5 if compound else 4.0 / m.denominator  # quarter-note beats between clicks
    bar = m.beats_per_bar
    spb = 60.0 / tempo
    frames = int(round(beats * spb * sample_rate))
    out = np.zeros(frames, np.float32)
    t = np.arange(int(0.03 * sample_rate)) / sample_rate
    shape = (0.5 - 0.5 * np.cos(np.pi * np.clip(t / 0.001, 0, 1))) * np.exp(-t / 0.008)
    accent = (0.6 * np.sin(2 * np.pi * 1760.0 * t) * shape).astype(np.float32)
    normal = (0.35 * np.sin(2 * np.pi * 1320.0 * t) * shape).astype(np.float32)
    for k in range(int(math.ceil(beats / step - 1e-9))):
        pos = k * step
        click = accent if abs(pos / bar - round(pos / bar)) < 1e-6 else normal
        at = int(round(pos * spb * sample_rate))
        n = min(len(click), frames - at)
        if n > 0:
            out[at:at + n] += click[:n]
    return out
