"""Voice transformation on the WORLD vocoder: pitch, formant (gender), tempo and character effects.

The signal is analysed into f0 / spectral envelope / aperiodicity, the features are edited, and
``world.synthesize`` turns them back into audio. f0 comes from Harvest, not the DIO of ``world.analyze``:
on real speech with a weak fundamental (the bundled Piper voice, creaky male voices) DIO locks onto the
second harmonic in about 40 % of voiced frames, and resynthesis then jumps an octave there. Harvest costs
~0.2 × real time on one core but is essentially free of those errors; CheapTrick and D4C then run as in ``world``.

- pitch: f0 scaled by 2^(semitones/12); the envelope (formants) stays, so the voice keeps its timbre.
- formant: the envelope is stretched along frequency, sp'(f) = sp(f / ratio): > 1 brighter ("female"),
  < 1 darker ("male"); pitch is untouched.
- tempo: the 5 ms frame sequence is resampled (output frame j reads input frame j * tempo), so duration
  changes and pitch does not.
- effects: robot = one constant f0 everywhere and more periodic excitation; whisper = nothing voiced,
  all-noise excitation; monotone = voiced frames flattened to the median f0, voicing kept.

Long audio is processed in chunks of about ``CHUNK_S`` cut at the quietest 10 ms near each target length;
each chunk is analysed with ``CONTEXT_S`` of context either side and neighbours are cross-faded over
``CROSSFADE_S`` at the cut, so a cut in a pause is inaudible and one in speech has no click.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.voice import world
from genai_studio.mediaio.audio import resample

EFFECTS = ("none", "robot", "whisper", "monotone")

PITCH_RANGE_ST = (-24.0, 24.0)
FORMANT_RANGE = (0.5, 2.0)
TEMPO_RANGE = (0.25, 4.0)
MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 192000
MIN_ANALYSIS_RATE = 16000  # see analysis_rate
MAX_ANALYSIS_RATE = 48000  # WORLD's cost grows with the rate; speech has nothing above 24 kHz worth it

CHUNK_S = 8.0
CHUNK_SEARCH_S = 2.0  # the cut may move this far either way to find a quiet spot
CONTEXT_S = 0.2  # > CheapTrick/D4C windows (3 periods at 60 Hz = 50 ms) plus Harvest's contour smoothing
CROSSFADE_S = 0.01
ENERGY_HOP_S = 0.01

PEAK_LIMIT = 0.98  # -0.18 dBFS: resynthesis may overshoot a normalised (peak 1.0) source
SILENCE_PEAK = 1e-6  # -120 dBFS: nothing for WORLD to analyse
MIN_DURATION_S = 0.01  # two WORLD frames; below that there is no pitch to speak of
ROBOT_FALLBACK_F0_HZ = 110.0  # robot voice for input with no voiced frame (whisper, noise)
_TRACK_RATE = 16000  # pitch measurement for the benchmark needs nothing above 8 kHz
_F0_STEP, _RENDER_STEP = 3, 2  # relative cost of Harvest vs CheapTrick + D4C + synthesis per chunk


def transform(audio: AudioBuffer, *, pitch_semitones: float = 0.0, formant_ratio: float = 1.0,
              tempo_ratio: float = 1.0, effect: str = "none", token: ProgressToken | None = None) -> AudioBuffer:
    """Return ``audio`` transformed; same channel count and sample rate, length ``round(frames / tempo)``.

    Raises BadInput for parameters out of range (pitch ±24 st, formant 0.5–2, tempo 0.25–4, a known effect),
    a sample rate outside 8–192 kHz or a clip shorter than 10 ms. Silent input comes back silent (at the
    new length); no change at all returns ``audio`` itself.
    """
    pitch_semitones, formant_ratio, tempo_ratio = _validate(audio, pitch_semitones, formant_ratio, tempo_ratio, effect)
    if audio.frames == 0 or (pitch_semitones == 0 and formant_ratio == 1 and tempo_ratio == 1 and effect == "none"):
        return audio
    sr = audio.sample_rate
    n_out = int(round(audio.frames / tempo_ratio))
    samples = np.nan_to_num(audio.samples, nan=0.0, posinf=1.0, neginf=-1.0)
    if audio.duration_s < MIN_DURATION_S:
        raise BadInput(f"'{audio.name}' is too short to transform ({audio.duration_s * 1000:.1f} ms); voice "
                       f"transforms need at least {MIN_DURATION_S * 1000:.0f} ms of audio.")
    if float(np.max(np.abs(samples))) <= SILENCE_PEAK:
        if n_out == audio.frames:
            return audio
        return AudioBuffer(np.zeros((n_out, audio.channels), np.float32), sr, name=audio.name)

    work_rate = analysis_rate(sr)
    identical = all(np.array_equal(samples[:, 0], samples[:, c]) for c in range(1, audio.channels))
    signals = samples[:, :1] if identical else samples  # (frames, S): S signals to process
    x = resample(np.ascontiguousarray(signals), sr, work_rate)
    x = np.ascontiguousarray(x.T, dtype=np.float64)  # (S, work frames): pyworld needs contiguous rows
    bounds = chunk_bounds(x.mean(axis=0), work_rate)
    n_chunks, n_signals, n_work = len(bounds) - 1, x.shape[0], x.shape[1]

    # Pass 1 tracks f0 of every chunk (tiny arrays) so robot/monotone can use the median of the whole take;
    # pass 2 adds envelope + aperiodicity, edits and resynthesises one chunk at a time (bounded memory).
    progress = _Progress(token, n_chunks * n_signals * (_F0_STEP + _RENDER_STEP))
    progress.step(0, "analysing pitch")
    f0s: list[list[np.ndarray]] = [[] for _ in range(n_signals)]  # [signal][chunk] (frames,) Hz
    for s in range(n_signals):
        for i in range(n_chunks):
            a0, a1 = _analysis_span(bounds, i, work_rate, n_work)
            f0s[s].append(track_f0(x[s, a0:a1], work_rate))
            progress.step(_F0_STEP, "analysing pitch")

    median = _median_core_f0(f0s, bounds, work_rate)
    edit = _Edit.create(pitch_semitones, formant_ratio, tempo_ratio, effect, median)
    out = np.zeros((n_signals, int(round(n_work / tempo_ratio))), np.float32)  # at the work rate
    for s in range(n_signals):
        for i in range(n_chunks):
            _render_chunk(x[s], work_rate, bounds, i, f0s[s][i], edit, out[s])
            progress.step(_RENDER_STEP, f"resynthesising {i + 1}/{n_chunks}")

    y = resample(out.T, work_rate, sr) if work_rate != sr else out.T
    y = _fit_length(y, n_out)
    if identical and audio.channels > 1:
        y = np.repeat(y, audio.channels, axis=1)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > PEAK_LIMIT:
        y = y * (PEAK_LIMIT / peak)
    return AudioBuffer(np.ascontiguousarray(y, dtype=np.float32), sr, name=audio.name)


def pitch_shift_error_cents(original: AudioBuffer, shifted: AudioBuffer, semitones: float, *,
                            tempo_ratio: float = 1.0) -> float:
    """Median over frames voiced in both of (measured shift − requested shift), in cents; NaN if none overlap.

    Both are tracked with Harvest in 5 ms frames; frame j of ``shifted`` is compared with frame
    round(j * tempo_ratio) of ``original`` (so a tempo-changed result can be checked too). The median
    ignores the tracker's occasional octave errors.
    """
    f0_a = _track_buffer(original)
    f0_b = _track_buffer(shifted)
    src = np.round(np.arange(len(f0_b)) * float(tempo_ratio)).astype(np.int64)  # (frames of b,) frame in a
    keep = src < len(f0_a)
    a, b = f0_a[src[keep]], f0_b[keep]
    both = (a > 0) & (b > 0)
    if not both.any():
        return float("nan")
    cents = 1200.0 * np.log2(b[both] / a[both])
    return float(np.median(cents) - 100.0 * semitones)


def analysis_rate(sample_rate: int) -> int:
    """The rate WORLD runs at: the input's own within 16–48 kHz, else an integer multiple or fraction of it.

    Above 48 kHz WORLD only gets slower (96k → 48k). Below 16 kHz D4C's voicing test (band energy up to
    ~8 kHz) finds nothing and returns aperiodicity 1 everywhere, turning every voice into a whisper, so
    8 kHz telephone audio is analysed at 16 kHz (an empty upper band is harmless).
    """
    rate = int(sample_rate)
    if rate < MIN_ANALYSIS_RATE:
        return rate * -(-MIN_ANALYSIS_RATE // rate)
    while rate > MAX_ANALYSIS_RATE and rate % 2 == 0:
        rate //= 2
    return rate if rate <= MAX_ANALYSIS_RATE else MAX_ANALYSIS_RATE


def chunk_bounds(x: np.ndarray, rate: int) -> list[int]:
    """[0, cut_1, …, len(x)]: cuts about every CHUNK_S, each at the quietest 10 ms within ±CHUNK_SEARCH_S."""
    n = len(x)
    chunk, search = int(CHUNK_S * rate), int(CHUNK_SEARCH_S * rate)
    hop = max(1, int(ENERGY_HOP_S * rate))
    bounds = [0]
    while n - bounds[-1] > chunk + search:
        lo = bounds[-1] + chunk - search
        frames = (2 * search) // hop
        seg = x[lo:lo + frames * hop].reshape(frames, hop)  # (frames, hop)
        quietest = int(np.argmin(np.einsum("fh,fh->f", seg, seg)))
        bounds.append(lo + quietest * hop + hop // 2)
    bounds.append(n)
    return bounds


@dataclass(frozen=True)
class _Edit:
    """The feature edits of one call; ``target_f0`` (Hz, already pitch-shifted) is used by robot/monotone."""

    pitch_factor: float
    formant_ratio: float
    tempo: float
    effect: str
    target_f0: float

    @staticmethod
    def create(semitones: float, formant_ratio: float, tempo: float, effect: str, median_f0: float) -> "_Edit":
        factor = 2.0 ** (float(semitones) / 12.0)
        target = median_f0 * factor
        if effect == "robot" and target <= 0:
            target = ROBOT_FALLBACK_F0_HZ * factor
        return _Edit(pitch_factor=factor, formant_ratio=float(formant_ratio), tempo=float(tempo), effect=effect,
                     target_f0=target)

    def apply(self, feat: world.WorldFeatures) -> world.WorldFeatures:
        """Edited copy of one chunk's features; with tempo ≠ 1 it has round((frames - 1) / tempo) + 1 frames."""
        f0, sp, ap = feat.f0, feat.sp, feat.ap
        if self.tempo != 1.0:
            f0, sp, ap = _retime(f0, sp, ap, self.tempo)
        f0 = f0 * self.pitch_factor
        if self.formant_ratio != 1.0:
            sp = _warp_envelope(sp, self.formant_ratio)
        if self.effect == "robot":
            f0 = np.full_like(f0, self.target_f0)
            # Squaring pulls aperiodicity towards 0: more of every band is pulse-excited, the metallic buzz.
            ap = ap * ap
        elif self.effect == "whisper":
            f0 = np.zeros_like(f0)
            ap = np.ones_like(ap)
        elif self.effect == "monotone" and self.target_f0 > 0:
            f0 = np.where(f0 > 0, self.target_f0, 0.0)
        return feat.with_(f0=np.ascontiguousarray(f0), sp=np.ascontiguousarray(sp), ap=np.ascontiguousarray(ap))


def _analysis_span(bounds: list[int], i: int, rate: int, n: int) -> tuple[int, int]:
    """Samples [a0, a1) analysed for chunk ``i``: its core plus CONTEXT_S either side, inside the signal."""
    context = int(CONTEXT_S * rate)
    return max(0, bounds[i] - context), min(n, bounds[i + 1] + context)


def _render_chunk(x: np.ndarray, rate: int, bounds: list[int], i: int, f0: np.ndarray, edit: _Edit,
                  out: np.ndarray) -> None:
    """Analyse chunk ``i`` (f0 already tracked), edit, resynthesise and add its cross-faded core to ``out``.

    Output sample k of the synthesis maps to input time (a0 + k * tempo) / rate, i.e. to global output
    sample a0 / tempo + k, which keeps every chunk on the one global time axis whatever the tempo.
    """
    tempo = edit.tempo
    a0, a1 = _analysis_span(bounds, i, rate, len(x))
    y = world.synthesize(edit.apply(_features(x[a0:a1], rate, f0)))
    offset = int(round(a0 / tempo))

    half = max(1, int(CROSSFADE_S * rate / 2))
    first, last = i == 0, i == len(bounds) - 2
    start = int(round(bounds[i] / tempo))
    end = len(out) if last else int(round(bounds[i + 1] / tempo))
    lo = start if first else start - half
    hi = end if last else min(len(out), end + half)
    weight = np.ones(hi - lo, np.float32)
    ramp = (np.arange(2 * half, dtype=np.float32) + 0.5) / (2 * half)  # (2*half,) 0→1, pairs sum to 1
    if not first:
        weight[:2 * half] = ramp
    if not last:
        weight[-2 * half:] = ramp[::-1]
    seg = y[lo - offset:hi - offset]
    if len(seg) < hi - lo:  # WORLD stops at the last 5 ms frame; the final few samples are silence anyway
        seg = np.pad(seg, (0, hi - lo - len(seg)))
    out[lo:hi] += weight * seg


def _retime(f0: np.ndarray, sp: np.ndarray, ap: np.ndarray, tempo: float) -> tuple[np.ndarray, ...]:
    """Resample the frame sequence: output frame j reads input frame position j * tempo.

    sp/ap interpolate linearly; f0 interpolates in log frequency between two voiced frames and otherwise
    takes the nearer frame, so voicing edges stay sharp and no glide runs through 0 Hz.
    """
    frames = len(f0)
    pos = np.arange(int(math.floor((frames - 1) / tempo)) + 1) * tempo  # (out frames,) input frame positions
    i0 = np.minimum(np.floor(pos).astype(np.int64), frames - 1)
    i1 = np.minimum(i0 + 1, frames - 1)
    w = (pos - i0)[:, None]
    sp_out = sp[i0] * (1 - w) + sp[i1] * w
    ap_out = ap[i0] * (1 - w) + ap[i1] * w
    a, b, t = f0[i0], f0[i1], w[:, 0]
    both = (a > 0) & (b > 0)
    nearest = np.where(t < 0.5, a, b)
    glide = np.exp(np.log(np.where(both, a, 1.0)) * (1 - t) + np.log(np.where(both, b, 1.0)) * t)
    return np.where(both, glide, nearest), sp_out, ap_out


def _warp_envelope(sp: np.ndarray, ratio: float) -> np.ndarray:
    """sp'(f) = sp(f / ratio) on the bin axis; above the source's Nyquist the top bin's level continues."""
    bins = sp.shape[1]
    src = np.arange(bins) / ratio  # (bins,) source bin of each output bin
    i0 = np.minimum(np.floor(src).astype(np.int64), bins - 1)
    i1 = np.minimum(i0 + 1, bins - 1)
    w = np.clip(src - i0, 0.0, 1.0)
    return sp[:, i0] * (1 - w) + sp[:, i1] * w


def track_f0(x: np.ndarray, rate: int) -> np.ndarray:
    """Mono (frames,) → (5 ms frames,) f0 in Hz, 0 = unvoiced (Harvest, world's f0 range)."""
    return world.harvest_f0(x, rate)


def _features(x: np.ndarray, rate: int, f0: np.ndarray) -> world.WorldFeatures:
    """CheapTrick envelope and D4C aperiodicity for the given f0 track."""
    return world.analyze(x, rate, f0=f0)


def _median_core_f0(f0s: list[list[np.ndarray]], bounds: list[int], rate: int) -> float:
    """Median f0 (Hz) over the voiced frames of every chunk's core (context frames counted once); 0 if none."""
    context = int(CONTEXT_S * rate)
    frame = world.FRAME_PERIOD_MS / 1000.0 * rate  # samples per frame
    voiced = []
    for chunks in f0s:
        for i, f0 in enumerate(chunks):
            a0 = max(0, bounds[i] - context)
            lo, hi = int(round((bounds[i] - a0) / frame)), int(round((bounds[i + 1] - a0) / frame))
            core = f0[lo:hi]
            voiced.append(core[core > 0])
    allv = np.concatenate(voiced) if voiced else np.zeros(0)
    return float(np.median(allv)) if allv.size else 0.0


def _track_buffer(audio: AudioBuffer) -> np.ndarray:
    """(frames,) f0 of the channel mean at ≤ 16 kHz (Harvest decimates internally; this only saves time)."""
    rate = min(audio.sample_rate, _TRACK_RATE)
    x = resample(audio.samples.mean(axis=1, keepdims=True), audio.sample_rate, rate)[:, 0]
    return track_f0(x, rate)


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    if len(y) >= n:
        return y[:n]
    return np.pad(y, ((0, n - len(y)), (0, 0)))


class _Progress:
    """Counts weighted steps and reports them to the (optional) token, which raises Cancelled on cancel."""

    def __init__(self, token: ProgressToken | None, total: int) -> None:
        self._token = token
        self._total = total
        self._done = 0

    def step(self, weight: int, message: str) -> None:
        self._done += weight
        if self._token is not None:
            self._token.report(self._done, self._total, message=message)


def _validate(audio: AudioBuffer, pitch: float, formant: float, tempo: float,
              effect: str) -> tuple[float, float, float]:
    """The three numbers as floats, or BadInput naming the first bad parameter."""
    checks = (("pitch shift", pitch, PITCH_RANGE_ST, " semitones"), ("formant ratio", formant, FORMANT_RANGE, ""),
              ("tempo ratio", tempo, TEMPO_RANGE, ""))
    values = []
    for label, value, (lo, hi), unit in checks:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and lo <= number <= hi):
            raise BadInput(f"The {label} must be between {lo:g} and {hi:g}{unit}; got {value!r}.")
        values.append(number)
    if effect not in EFFECTS:
        raise BadInput(f"Unknown voice effect {effect!r}; choose one of: {', '.join(EFFECTS)}.")
    if not MIN_SAMPLE_RATE <= audio.sample_rate <= MAX_SAMPLE_RATE:
        raise BadInput(f"Voice transforms work on audio sampled at 8–192 kHz; '{audio.name}' is at "
                       f"{audio.sample_rate} Hz. Resample it first.")
    return values[0], values[1], values[2]
