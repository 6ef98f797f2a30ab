"""Hum or sing → one clean, playable melody line, using Spotify's basic-pitch model (ONNX, Apache-2.0).

basic-pitch is a polyphonic transcriber: on a voice it also lights up octaves and harmonics, splits notes at
every vibrato wobble and leaves scoops as tiny extra notes. So we use only its frame posteriors and decode them
ourselves as a monophonic line:

1. ``note`` posteriors (T, 88) → the most likely pitch-or-rest path (Viterbi with a cost for changing pitch,
   so a ghost octave or a one-frame wobble never beats a steady line);
2. the path's runs → notes, split again where the singer re-articulates the same pitch (an onset peak plus a
   dip in loudness);
3. cleanup in :mod:`.hum_cleanup`: scoops and short fragments are merged, repeats joined, the result quantized
   to the tempo grid and optionally snapped to a key.

The model's own librosa/resampy pre-processing is not used (its numba JIT costs ~15 s on first use); audio is
resampled with :func:`genai_studio.mediaio.audio.resample` and windowed here exactly as basic-pitch does.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio.core.errors import BadInput, ModelError
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, parse_key
from genai_studio.core.progress import ProgressToken
from genai_studio.engines.music.hum_cleanup import RawNote, clean_line, to_melody_notes
from genai_studio.mediaio.audio import resample
from genai_studio.mediaio.midi import guess_key

MODEL_RATE = 22050  # Hz, what basic-pitch was trained on
HOP = 256  # samples per model frame (~11.6 ms)
WINDOW = 2 * MODEL_RATE - HOP  # 43844 samples per model call
OVERLAP_FRAMES = 30  # frames shared by neighbouring windows; half is dropped at each side
MIDI_OFFSET = 21  # note bin 0 is A0
MODEL_FILE = ("saved_models", "icassp_2022", "nmp.onnx")
ONNX_OUTPUTS = ("StatefulPartitionedCall:1", "StatefulPartitionedCall:2")  # note, onset posteriors
ONNX_INPUT = "serving_default_input_2:0"

VOICE_RANGE = (36, 96)  # C2..C7: anything a voice (or a whistle) can produce; outside is a harmonic or noise
REST_SCORE = 0.4  # a frame is a rest unless some pitch's posterior beats this
CHANGE_COST = 3.0  # log-probability cost of changing pitch inside a sung phrase
ONOFF_COST = 1.5  # cost of starting or ending a phrase
MIN_NOTE_POSTERIOR = 0.45  # a kept note's mean pitch support; white/pink noise never holds a pitch this well
ONSET_PEAK = 0.5  # an onset-posterior peak this high is an attack
ONSET_LAG_FRAMES = 1  # the onset head peaks ~16 ms (1.4 frames) after the attack (measured on synthetic hums)
SILENCE_PEAK = 10 ** (-60 / 20)  # below -60 dBFS peak there is nothing to hear
# Bias of decoded onsets against the true ones: measured +1.7 ms mean, 16 ms s.d. over 513 notes of synthetic
# hums with this exact frame clock, so no correction is applied.
LATENCY_S = 0.0
MAX_SECONDS = 10 * 60  # a tune, not an album: keeps the decoder's memory and time bounded
BATCH = 4  # windows per model call: progress/cancel granularity without losing batching


@dataclass(frozen=True)
class Posteriors:
    """basic-pitch frame outputs aligned to the input's clock."""

    times: np.ndarray  # (T,) seconds from the start of the input, one per frame
    note: np.ndarray  # (T, 88) probability that pitch 21+k sounds
    onset: np.ndarray  # (T, 88) probability that pitch 21+k starts
    level_db: np.ndarray  # (T,) RMS of the input around each frame, dBFS


def model_path() -> Path:
    """The ONNX file inside the installed basic-pitch package (never downloaded)."""
    spec = importlib.util.find_spec("basic_pitch")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("Hum to MIDI needs the basic-pitch package: pip install --no-deps basic-pitch==0.4.0")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*MODEL_FILE)
    if not path.is_file():
        raise ModelError(f"The basic-pitch model is missing from the installed package ({path}); reinstall it.")
    return path


def _session():
    """An onnxruntime session for the model, cached with the app's other loaded models."""
    from genai_studio.engines.model_cache import MODEL_CACHE

    path = model_path()

    def build():
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError("Hum to MIDI needs onnxruntime: pip install onnxruntime") from exc
        options = ort.SessionOptions()
        options.log_severity_level = 3  # its warnings about unused initializers are noise to a user
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for a damaged file
            raise ModelError(f"The basic-pitch model {path.name} cannot be loaded ({exc}); reinstall it.") from exc

    return MODEL_CACHE.get((str(path), "onnx-cpu"), build)


def run_model(audio: AudioBuffer, token: ProgressToken | None = None) -> Posteriors:
    """Resample to 22.05 kHz mono and run basic-pitch over overlapping 2 s windows."""
    x = audio.mono()
    if audio.sample_rate != MODEL_RATE:
        x = resample(x[:, None], audio.sample_rate, MODEL_RATE)[:, 0]
    n = len(x)
    half = OVERLAP_FRAMES // 2 * HOP
    padded = np.concatenate([np.zeros(half, np.float32), x.astype(np.float32)])
    starts = list(range(0, len(padded), WINDOW - OVERLAP_FRAMES * HOP))
    session = _session()
    notes, onsets = [], []
    for b in range(0, len(starts), BATCH):
        chunk = starts[b:b + BATCH]
        windows = np.zeros((len(chunk), WINDOW, 1), np.float32)  # (B, samples, 1)
        for i, s in enumerate(chunk):
            piece = padded[s:s + WINDOW]
            windows[i, :len(piece), 0] = piece
        note, onset = session.run(list(ONNX_OUTPUTS), {ONNX_INPUT: windows})  # each (B, 172, 88)
        keep = slice(OVERLAP_FRAMES // 2, note.shape[1] - OVERLAP_FRAMES // 2)
        notes.append(note[:, keep].reshape(-1, 88))
        onsets.append(onset[:, keep].reshape(-1, 88))
        if token is not None:
            token.report(b + len(chunk), len(starts), message="listening")
    # Frame j of the window at padded sample s is centred on input sample s + j*HOP - half; the kept frames of
    # consecutive windows therefore tile the input with a sub-frame overlap, which keeps times monotonic.
    frame_idx = np.arange(OVERLAP_FRAMES // 2, WINDOW // HOP + 1 - OVERLAP_FRAMES // 2)
    times = np.concatenate([(s + frame_idx * HOP - half) / MODEL_RATE for s in starts])
    keep_t = times < n / MODEL_RATE
    times = times[keep_t] - LATENCY_S
    return Posteriors(times, np.concatenate(notes)[keep_t], np.concatenate(onsets)[keep_t], _level_db(x, times))


def _level_db(x: np.ndarray, times: np.ndarray, width: int = 2 * HOP) -> np.ndarray:
    """RMS (dBFS) of ``width`` samples centred on each frame time."""
    padded = np.pad(x.astype(np.float32), (width, width))
    centres = np.clip(np.round(times * MODEL_RATE).astype(int) + width, width // 2, len(padded) - width // 2)
    cumsum = np.concatenate([[0.0], np.cumsum(padded.astype(np.float64) ** 2)])
    energy = (cumsum[centres + width // 2] - cumsum[centres - width // 2]) / width
    return 10 * np.log10(energy + 1e-12)


def pitch_support(note: np.ndarray) -> np.ndarray:
    """(T, 88) evidence for each pitch: its posterior plus half its stronger neighbour's, at most 1.

    A voice that sits between two semitones (detuned, or swinging ±40 cents of vibrato) splits the model's
    belief over both bins; counting part of the neighbour keeps such a note above the rest level, while
    the full weight on the centre bin still decides which semitone it is.
    """
    padded = np.pad(note, ((0, 0), (1, 1)))
    neighbour = np.maximum(padded[:, :-2], padded[:, 2:])
    return np.minimum(1.0, note + 0.5 * neighbour)


def pitch_path(note: np.ndarray) -> np.ndarray:
    """(T,) most likely MIDI pitch per frame, -1 for rest: Viterbi over {rest} ∪ voice range.

    Log-domain scores: a pitch state earns log(voicing × relative posterior), the rest state log(REST_SCORE);
    moving between
    pitches costs CHANGE_COST and starting/stopping costs ONOFF_COST. A ghost octave that outscores the sung
    pitch for a frame or two therefore never wins, while a real leap, held for a whole note, does.
    """
    lo, hi = VOICE_RANGE[0] - MIDI_OFFSET, VOICE_RANGE[1] - MIDI_OFFSET + 1
    # Two questions, kept apart: is anything sung (the best pitch support, neighbours included), and which
    # semitone (each bin's own posterior against the strongest). Mixing neighbours into the second would make
    # a step to the next semitone too cheap to take.
    raw = np.clip(note[:, lo:hi], 1e-6, 1.0)  # (T, P)
    voiced = np.clip(pitch_support(note)[:, lo:hi].max(axis=1), 1e-6, 1.0)  # (T,)
    emit = np.log(voiced)[:, None] + np.log(raw / raw.max(axis=1, keepdims=True))  # (T, P)
    rest_emit = np.log(REST_SCORE)
    T, P = emit.shape
    back = np.zeros((T, P + 1), np.int16)  # predecessor state per frame; state P is rest
    score = np.append(emit[0] - ONOFF_COST, rest_emit)
    states = np.arange(P, dtype=np.int16)
    for t in range(1, T):
        best = int(np.argmax(score[:P]))
        # Entering a pitch from elsewhere: from the best pitch (a change) or from rest (an onset).
        from_pitch, from_rest = score[best] - CHANGE_COST, score[P] - ONOFF_COST
        enter, enter_state = (from_pitch, best) if from_pitch >= from_rest else (from_rest, P)
        move = score[:P] < enter
        back[t, :P] = np.where(move, enter_state, states)
        new = np.where(move, enter, score[:P]) + emit[t]
        stop = score[best] - ONOFF_COST
        back[t, P] = P if score[P] >= stop else best
        score = np.append(new, max(score[P], stop) + rest_emit)
    path = np.empty(T, np.int64)
    state = int(np.argmax(score))
    for t in range(T - 1, -1, -1):
        path[t] = state
        state = int(back[t, state])
    return np.where(path == P, -1, path + VOICE_RANGE[0])


def segment(post: Posteriors, path: np.ndarray) -> list[RawNote]:
    """Runs of one pitch in ``path`` → notes, split where the same pitch is sung again."""
    notes: list[RawNote] = []
    T = len(path)
    t = 0
    while t < T:
        if path[t] < 0:
            t += 1
            continue
        end = t
        while end < T and path[end] == path[t]:
            end += 1
        pitch = int(path[t])
        bin_ = pitch - MIDI_OFFSET
        pieces = _rearticulations(post, pitch, t, end)
        # only rest frames may be claimed: never reach back into the previous note
        floor = int(np.searchsorted(post.times, notes[-1].end)) if notes else 0
        pieces[0] = (_attack_frame(post, pitch, t, floor), pieces[0][1])
        for k, (a, b) in enumerate(pieces):
            frames = post.note[a:b]
            lean = float(np.mean(frames[:, min(87, bin_ + 1)]) - np.mean(frames[:, max(0, bin_ - 1)]))
            articulated = k > 0 or float(np.max(post.onset[a:a + 4, bin_])) >= ONSET_PEAK
            stop = post.times[b] if b < T else post.times[-1] + HOP / MODEL_RATE
            strength = float(np.mean(pitch_support(frames)[:, bin_]))
            notes.append(RawNote(float(post.times[a]), float(stop), pitch, strength,
                                 float(np.max(post.level_db[a:b])), articulated, lean))
        t = end
    return notes


def _rearticulations(post: Posteriors, pitch: int, start: int, end: int) -> list[tuple[int, int]]:
    """Split frames [start, end) of one held pitch where it is sung again.

    A new attack shows as an onset-posterior peak together with a dip in loudness or in the note posterior;
    vibrato alone makes onset peaks too, but without either dip.
    """
    bin_ = pitch - MIDI_OFFSET
    onset = post.onset[start:end, bin_]
    level = post.level_db[start:end]
    held = post.note[start:end, bin_]
    cuts = [0]
    for i in range(3, len(onset) - 3):
        if onset[i] < ONSET_PEAK or onset[i] < onset[i - 1] or onset[i] < onset[i + 1]:
            continue
        lo, hi = max(0, i - 12), max(1, i - 3)
        level_dip = min(float(np.max(level[lo:hi])), float(np.max(level[i:i + 8]))) - float(np.min(level[max(0, i - 4):i + 1]))
        note_dip = min(float(np.max(held[lo:hi])), float(np.max(held[i:i + 8]))) - float(np.min(held[max(0, i - 4):i + 1]))
        if (level_dip >= 2.0 or note_dip >= 0.4) and i - cuts[-1] >= 4:
            cuts.append(max(cuts[-1] + 1, i - ONSET_LAG_FRAMES))
    cuts.append(len(onset))
    return [(start + a, start + b) for a, b in zip(cuts, cuts[1:])]


def _attack_frame(post: Posteriors, pitch: int, first: int, floor: int) -> int:
    """Where the voice really attacked a note the path starts at frame ``first``.

    A scoop from below (or a soft start) keeps the note posterior under the rest level for tens of ms, but the
    onset head fires at the attack: take the strongest onset peak on the pitch or just below it in the
    preceding ~115 ms of rest (never before ``floor``), corrected by the head's measured lag.
    """
    lo = max(floor, first - 10)
    if lo >= first:
        return first
    bins = slice(max(0, pitch - MIDI_OFFSET - 2), pitch - MIDI_OFFSET + 1)  # pitch-2 .. pitch
    strength = post.onset[lo:first, bins].max(axis=1)
    k = int(np.argmax(strength))
    if strength[k] < ONSET_PEAK:
        return first
    return max(floor, lo + k - ONSET_LAG_FRAMES)


MAX_GRID_BEATS = 4.0  # quantizing to more than a bar of 4/4 erases the tune


def hum_to_melody(audio: AudioBuffer, tempo_bpm: float = 120, key: str | None = None,
                  min_note_beats: float = 0.25, grid_beats: float = 0.25,
                  token: ProgressToken | None = None) -> Melody:
    """Transcribe a hummed/sung/whistled ``audio`` into one monophonic :class:`Melody` at ``tempo_bpm``.

    Notes are quantized to ``grid_beats`` (0 = no quantizing), notes shorter than ``min_note_beats`` are
    merged or dropped, and with ``key`` (e.g. "D major") out-of-key notes move to the nearest scale tone.
    Times keep the recording's clock: a note sung 2 s in lands 2 s in at the given tempo.
    """
    if not 20 <= tempo_bpm <= 300:
        raise BadInput(f"tempo must be between 20 and 300 BPM for hum to MIDI, got {tempo_bpm:g}")
    if grid_beats < 0 or min_note_beats < 0:
        raise BadInput("grid and minimum note length must be zero or positive (in beats)")
    if grid_beats > MAX_GRID_BEATS or min_note_beats > MAX_GRID_BEATS:
        raise BadInput(f"grid and minimum note length must be at most {MAX_GRID_BEATS:g} beats (one 4/4 bar), got "
                       f"grid {grid_beats:g} and minimum note {min_note_beats:g}")
    scale = parse_key(key) if key else None
    name = audio.name or "hum"
    if audio.duration_s > MAX_SECONDS:
        raise BadInput(f"'{name}' is {audio.duration_s / 60:.0f} min long; hum to MIDI takes recordings up to "
                       f"{MAX_SECONDS // 60} min. Trim it to the tune first.")
    if audio.frames == 0 or float(np.max(np.abs(audio.samples))) < SILENCE_PEAK:
        raise BadInput(_no_notes(name, "the recording is silent"))
    post = run_model(audio, token.sub(0.0, 0.9) if token is not None else None)
    raw = [n for n in segment(post, pitch_path(post.note)) if n.strength >= MIN_NOTE_POSTERIOR]
    spb = 60.0 / tempo_bpm
    line = clean_line(raw, min_note_s=min_note_beats * spb)
    notes = to_melody_notes(line, spb, grid_beats, min_note_beats, scale)
    if not notes and raw:
        raise BadInput(f"The {len(raw)} notes heard in '{name}' are all shorter than the minimum note length "
                       f"({min_note_beats:g} beats at {tempo_bpm:g} BPM); choose a shorter minimum note.")
    if not notes:
        raise BadInput(_no_notes(name, ""))
    if token is not None:
        token.report(1, 1, message="done")
    # Without a key from the user, estimate one so key-aware tools (scale highlight, key lock) start right.
    key_text = str(scale) if scale else guess_key(notes)
    return Melody(tuple(notes), tempo_bpm=float(tempo_bpm), key=key_text, name=name,
                  metadata={"source": "hum", "raw_notes": len(raw), "kept_notes": len(notes),
                            "key_estimated": scale is None,
                            "note": f"{len(notes)} notes from {len(raw)} detected segments"
                                    + (f", snapped to {scale}" if scale else f"; key estimated as {key_text}")})


def _no_notes(name: str, why: str) -> str:
    detail = f" ({why})" if why else ""
    return (f"No notes were found in '{name}'{detail} — hum or sing louder/closer, or check the input level.")
