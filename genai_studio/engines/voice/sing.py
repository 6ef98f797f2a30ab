"""Singing: a melody and lyrics sung by a Piper voice, reshaped with the WORLD vocoder.

Each syllable is spoken once by Piper (batched, deterministic, cached), analysed into WORLD features and
split into onset consonants, vowel and coda consonants. For each note the syllable is time-mapped: the onset
keeps its natural length and ends on the note start (as singers place consonants before the beat), the
vowel is stretched to fill the note, the coda closes it. f0 follows the notes (portamento into joined notes,
vibrato after ~150 ms), breathiness raises aperiodicity, and each phrase is resynthesized in one piece.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note
from genai_studio.engines.voice import world
from genai_studio.engines.voice.lyrics import align_syllables, foreign_words_note, parse_lyrics, pronounce_syllables
from genai_studio.engines.voice.metrics import midi_to_hz, track_f0
from genai_studio.engines.voice.styles import analyze_speech
from genai_studio.engines.voice.tts import VoiceFiles, load_voice, voice_cache_key, voice_info

FRAME_S = world.FRAME_PERIOD_MS / 1000.0
SING_LENGTH_SCALE = 1.3  # slower syllables give longer vowels to stretch
MAX_MELODY_S = 600.0
_BATCH = 6  # syllables per Piper run (padding waste vs. per-call overhead)
_SILENCE_SP = 1e-12  # spectral envelope of silent frames (about -120 dB)
_PHRASE_GAP_S = 0.15  # rests at least this long split phrases (resynthesized separately)
_MAX_PHRASE_S = 20.0  # longer legato lines are cut at a note boundary: bounds WORLD frame arrays to ~30 MB
_XFADE_FRAMES = 3
_MAX_SPILL_FRAMES = 8  # onset consonants that find no room before the note squeeze into its first 40 ms
_VIBRATO_DELAY_S = 0.15
_VIBRATO_RAMP_S = 0.15
_PEAK = 0.89  # -1 dBFS


@dataclass(frozen=True, eq=False)
class _Syllable:
    features: world.WorldFeatures  # the spoken syllable, silence trimmed
    vowel: tuple[int, int]  # [start, end) frames of the vowel nucleus


@dataclass(frozen=True)
class _Sung:
    """One syllable sung over one or more notes (a syllable note and its holds)."""
    syllable: str  # phonemes
    notes: tuple[int, ...]  # indices into the melody line


def sing(melody: Melody, lyrics: str, voice: VoiceFiles, *, legato: float = 0.5, vibrato_cents: float = 30.0,
         vibrato_hz: float = 5.5, breathiness: float = 0.1, token=None) -> tuple[AudioBuffer, list[str]]:
    """Sing ``lyrics`` on ``melody`` → (mono AudioBuffer (frames, 1) at the voice's rate from beat 0, notes).

    ``legato`` 0..1: 0 detaches notes (65 % of their length), 0.5 joins them, 1 also bridges rests up to
    half a beat. ``vibrato_cents`` is the peak deviation, ``breathiness`` 0..1 adds breath noise.
    """
    _check("legato", legato, 0.0, 1.0)
    _check("vibrato depth", vibrato_cents, 0.0, 200.0, " cents")
    _check("vibrato rate", vibrato_hz, 0.0, 12.0, " Hz")
    _check("breathiness", breathiness, 0.0, 1.0)
    line, messages = _melody_line(melody)
    spb = melody.seconds_per_beat
    if max(n.end for n in line) * spb > MAX_MELODY_S:
        raise BadInput(f"The melody is longer than {MAX_MELODY_S / 60:g} minutes; sing it in parts.")
    parsed = parse_lyrics(lyrics or "")
    if not any(not s.is_hold for s in parsed):
        raise BadInput("There are no lyrics to sing; write the words (for example 'la la la').")
    pairs, align_notes = align_syllables(parsed, len(line))
    messages += align_notes + foreign_words_note(parsed, str(voice_info(voice)["language"]))

    report = token.report if token is not None else (lambda *a, **k: None)
    report(0, 100, message="loading voice")
    piper_voice = load_voice(voice)
    pronunciations = _pronounce(piper_voice, parsed)
    sung = _group_notes(pairs, pronunciations)
    voice_key = voice_cache_key(voice)
    voice_hz = _voice_median_hz(piper_voice, voice_key)
    unique = list(dict.fromkeys(s.syllable for s in sung))
    syllables = _syllables(piper_voice, voice_key, unique, voice_hz,
                           lambda done: report(5 + 55 * done / len(unique), 100, message="speaking syllables"))
    messages += _range_note(line, voice_hz)

    rate = piper_voice.config.sample_rate
    spans = _note_spans(line, spb, legato)
    total_frames = int(math.ceil(max(e for _, e in spans) / FRAME_S)) + int(0.5 / FRAME_S)
    out = np.zeros(int(total_frames * FRAME_S * rate) + 1, dtype=np.float64)
    phrases = _phrases(sung, spans)
    settings = _Settings(legato, vibrato_cents, vibrato_hz, breathiness)
    for k, phrase in enumerate(phrases):
        report(60 + 40 * k / len(phrases), 100, message=f"singing phrase {k + 1} of {len(phrases)}")
        start_frame, audio = _render_phrase(phrase, line, spans, syllables, settings, rate)
        offset = int(round(start_frame * FRAME_S * rate))
        end = min(out.size, offset + audio.size)
        out[offset:end] += audio[: end - offset]
    report(100, 100, message="done")
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0:
        out *= _PEAK / peak
    return AudioBuffer(out.astype(np.float32)[:, None], rate, name=melody.name or "singing"), messages


def _check(what: str, value: float, low: float, high: float, unit: str = "") -> None:
    if not isinstance(value, (int, float)) or not np.isfinite(value) or not low <= value <= high:
        raise BadInput(f"The {what} must be between {low:g} and {high:g}{unit}, got {value}.")


# --- the melody line and which syllable goes where -----------------------------------------------------


def _melody_line(melody: Melody) -> tuple[list[Note], list[str]]:
    """Notes in time order, one at a time: of notes starting together the highest is sung; an overlapping
    note is cut where the next begins."""
    if not melody.notes:
        raise BadInput("The melody has no notes to sing.")
    ordered = sorted(melody.notes, key=lambda n: (n.start, -n.pitch))
    line: list[Note] = []
    messages: list[str] = []
    dropped = trimmed = 0
    for note in ordered:
        if line and note.start <= line[-1].start + 1e-6:
            dropped += 1
            continue
        if line and line[-1].end > note.start:
            line[-1] = replace(line[-1], duration=note.start - line[-1].start)
            trimmed += 1
        line.append(note)
    if dropped:
        messages.append(f"the melody has chords; sang the top note of {dropped} chord(s)")
    if trimmed:
        messages.append(f"shortened {trimmed} overlapping note(s) so one note sounds at a time")
    return line, messages


def _pronounce(piper_voice, parsed) -> list[str | None]:
    known = piper_voice.config.phoneme_id_map

    def phonemize(word: str) -> list[str]:
        return [p for sentence in piper_voice.phonemize(word) for p in sentence if p in known]

    return pronounce_syllables(parsed, phonemize)


def _group_notes(pairs: list[tuple[int, int]], pronunciations: list[str | None]) -> list[_Sung]:
    groups: list[_Sung] = []
    for note_index, syl_index in pairs:
        phonemes = pronunciations[syl_index] if syl_index >= 0 else None
        if phonemes is None and groups:
            groups[-1] = replace(groups[-1], notes=(*groups[-1].notes, note_index))
        else:
            groups.append(_Sung(phonemes or "lˈɑː", (note_index,)))
    return groups


def _range_note(line: list[Note], voice_hz: float) -> list[str]:
    median_note_hz = float(np.median([midi_to_hz(n.pitch) for n in line]))
    distance = 12.0 * math.log2(median_note_hz / voice_hz)
    if distance > 16:
        return [f"the melody sits {distance:.0f} semitones above this voice's speaking pitch and may sound thin; "
                "transposing it down an octave will sound more natural"]
    if distance < -10:
        return [f"the melody sits {-distance:.0f} semitones below this voice's speaking pitch and may sound "
                "rough; transposing it up an octave will sound more natural"]
    return []


# --- syllables: Piper speech → WORLD features with a vowel nucleus -------------------------------------

_SYLLABLE_CACHE: "OrderedDict[tuple, _Syllable]" = OrderedDict()
_VOICE_HZ: dict[tuple, float] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 2000


def _voice_median_hz(piper_voice, voice_key: tuple) -> float:
    """The voice's typical speaking f0 (Hz): anchors octave folding and the range note."""
    with _CACHE_LOCK:
        if voice_key in _VOICE_HZ:
            return _VOICE_HZ[voice_key]
    audio = _run_piper(piper_voice, ["mˈiː", "nˈoʊ", "lˈɑː", "wˈeɪ"])
    f0, _ = track_f0(np.concatenate(audio), piper_voice.config.sample_rate)
    hz = float(np.median(f0[f0 > 0])) if np.any(f0 > 0) else 120.0
    with _CACHE_LOCK:
        _VOICE_HZ[voice_key] = hz
    return hz


def _syllables(piper_voice, voice_key: tuple, phonemes: list[str], voice_hz: float, progress) -> dict[str, _Syllable]:
    found: dict[str, _Syllable] = {}
    with _CACHE_LOCK:
        for p in phonemes:
            if (voice_key, p) in _SYLLABLE_CACHE:
                _SYLLABLE_CACHE.move_to_end((voice_key, p))
                found[p] = _SYLLABLE_CACHE[(voice_key, p)]
    todo = [p for p in phonemes if p not in found]
    # similar lengths together: less padding in each batch
    todo.sort(key=len)
    rate = piper_voice.config.sample_rate
    for b in range(0, len(todo), _BATCH):
        batch = todo[b: b + _BATCH]
        for p, audio in zip(batch, _run_piper(piper_voice, batch)):
            found[p] = _analyze_syllable(audio, rate, voice_hz)
        progress(len(found))
    with _CACHE_LOCK:
        for p in todo:
            _SYLLABLE_CACHE[(voice_key, p)] = found[p]
        while len(_SYLLABLE_CACHE) > _CACHE_SIZE:
            _SYLLABLE_CACHE.popitem(last=False)
    return found


def _run_piper(piper_voice, phoneme_strings: list[str]) -> list[np.ndarray]:
    """Speak syllables in one padded batch, no sampling noise (same syllable → same audio)."""
    config = piper_voice.config
    ids = [piper_voice.phonemes_to_ids(list(p)) for p in phoneme_strings]
    batch = np.zeros((len(ids), max(len(i) for i in ids)), dtype=np.int64)
    for row, seq in enumerate(ids):
        batch[row, : len(seq)] = seq
    args = {
        "input": batch,
        "input_lengths": np.array([len(i) for i in ids], dtype=np.int64),
        "scales": np.array([0.0, config.length_scale * SING_LENGTH_SCALE, 0.0], dtype=np.float32),
    }
    if config.num_speakers > 1:
        args["sid"] = np.full(len(ids), config.default_speaker_id, dtype=np.int64)
    out = piper_voice.session.run(None, args)[0].reshape(len(ids), -1)
    longest = max(len(i) for i in ids)
    return [out[row] if len(ids[row]) == longest else out[row, : _padded_end(out[row], config.hop_length)]
            for row in range(len(ids))]


def _padded_end(audio: np.ndarray, hop: int) -> int:
    """End of a padded batch item: its own trailing silence is the last stretch below -80 dB (the padding
    after it decodes to a steady -40..-55 dB hum)."""
    blocks = audio[: audio.size // hop * hop].reshape(-1, hop)
    level = 10 * np.log10(np.mean(blocks.astype(np.float64) ** 2, axis=1) + 1e-20)
    quiet = np.flatnonzero(level < -80)
    if quiet.size == 0 or quiet[-1] <= int(np.argmax(level)):
        return audio.size
    return int(quiet[-1] + 1) * hop


def _analyze_syllable(audio: np.ndarray, rate: int, voice_hz: float) -> _Syllable:
    audio = audio.astype(np.float64)
    level = _frame_db(audio, rate)
    loud = np.flatnonzero(level > level.max() - 45.0)
    first = max(0, loud[0] - 2)
    last = min(len(level), loud[-1] + 3)
    audio = audio[int(first * FRAME_S * rate): int(last * FRAME_S * rate)]
    level = _frame_db(audio, rate)  # same frame grid as track_f0: int(n / hop) + 1 frames
    f0, _ = track_f0(audio, rate, f0_floor=max(40.0, voice_hz / 2.5), f0_ceil=min(900.0, voice_hz * 2.5))
    v0, v1 = _vowel_span(f0, level)
    f0 = _steady_nucleus_f0(f0, v0, v1, voice_hz)
    return _Syllable(analyze_speech(audio, rate, f0=f0), (v0, v1))


def _frame_db(audio: np.ndarray, rate: int) -> np.ndarray:
    hop = FRAME_S * rate
    n = int(audio.size / hop) + 1
    centers = np.round(np.arange(n) * hop).astype(np.int64)
    csum = np.concatenate([[0.0], np.cumsum(audio ** 2)])
    lo, hi = np.clip(centers - int(hop), 0, audio.size), np.clip(centers + int(hop), 0, audio.size)
    return 10 * np.log10((csum[hi] - csum[lo]) / np.maximum(hi - lo, 1) + 1e-12)


def _vowel_span(f0: np.ndarray, level: np.ndarray) -> tuple[int, int]:
    """[start, end) of the vowel: the loud voiced run around the loudest voiced frame (gaps ≤ 4 frames)."""
    voiced = f0 > 0
    if not voiced.any():
        voiced = level > level.max() - 10.0  # tracker found nothing: use the loud part
    peak = int(np.argmax(np.where(voiced, level, -np.inf)))
    core = voiced & (level > level[peak] - 12.0)
    start = end = peak
    gap = 0
    while start > 0 and gap <= 4:
        start -= 1
        gap = 0 if core[start] else gap + 1
    start += gap
    gap = 0
    while end < len(core) - 1 and gap <= 4:
        end += 1
        gap = 0 if core[end] else gap + 1
    end -= gap
    return start, max(end + 1, start + 1)


def _steady_nucleus_f0(f0: np.ndarray, v0: int, v1: int, voice_hz: float) -> np.ndarray:
    """Voice the whole nucleus at a pitch folded to within half an octave of the voice's own (the spectral
    envelope is then measured with a well-sized window even where the speech was creaky)."""
    out = f0.copy()
    seg = out[v0:v1]
    voiced = seg > 0
    if voiced.any():
        logs = np.log2(seg[voiced] / voice_hz)
        seg[voiced] = voice_hz * 2.0 ** (logs - np.round(logs))
        idx = np.flatnonzero(voiced)
        seg[:] = np.interp(np.arange(seg.size), idx, seg[idx])
    else:
        seg[:] = voice_hz
    return out


# --- notes → frames ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    legato: float
    vibrato_cents: float
    vibrato_hz: float
    breathiness: float


def _note_spans(line: list[Note], spb: float, legato: float) -> list[tuple[float, float]]:
    """(start_s, sung_end_s) per note: articulation shortens notes for low legato; high legato bridges rests."""
    articulation = min(1.0, 0.65 + 0.7 * legato)
    bridge = max(0.0, legato - 0.5) * spb  # legato 1 bridges rests up to half a beat
    spans = []
    for i, note in enumerate(line):
        start = note.start * spb
        end = start + note.duration * spb * articulation
        if i + 1 < len(line):
            nxt = line[i + 1].start * spb
            if 0 < nxt - note.end * spb <= bridge + 1e-9:
                end = nxt
            end = min(end, nxt)
        spans.append((start, end))
    return spans


def _phrases(sung: list[_Sung], spans: list[tuple[float, float]]) -> list[list[_Sung]]:
    phrases: list[list[_Sung]] = []
    for group in sung:
        first_start = spans[group.notes[0]][0]
        if phrases:
            previous_end = spans[phrases[-1][-1].notes[-1]][1]
            phrase_start = spans[phrases[-1][0].notes[0]][0]
            if first_start - previous_end < _PHRASE_GAP_S and previous_end - phrase_start < _MAX_PHRASE_S:
                phrases[-1].append(group)
                continue
        phrases.append([group])
    return phrases


def _frame(seconds: float) -> int:
    return int(round(seconds / FRAME_S))


def _render_phrase(phrase: list[_Sung], line: list[Note], spans: list[tuple[float, float]],
                   syllables: dict[str, _Syllable], settings: _Settings, rate: int) -> tuple[int, np.ndarray]:
    """Place a phrase's syllables on its notes in WORLD frames and resynthesize → (first frame, samples)."""
    onset_max = max(syllables[g.syllable].vowel[0] for g in phrase)
    base = max(0, _frame(spans[phrase[0].notes[0]][0]) - onset_max - 2)
    n = _frame(spans[phrase[-1].notes[-1]][1]) - base + 4
    bins = syllables[phrase[0].syllable].features.sp.shape[1]
    log_sp = np.full((n, bins), math.log(_SILENCE_SP))
    ap = np.ones((n, bins))
    voiced = np.zeros(n, dtype=bool)
    filled = np.zeros(n, dtype=bool)
    lower = 0  # earliest frame the next syllable's onset consonants may take
    for group in phrase:
        syl = syllables[group.syllable]
        start = _frame(spans[group.notes[0]][0]) - base
        end = max(_frame(spans[group.notes[-1]][1]) - base, start + 2)
        first, index, is_vowel = _time_map(syl, start, end, lower)
        gain_db = (line[group.notes[0]].velocity - 90) / 37.0 * 6.0  # velocity 90: 0 dB, 127: +6 dB, 1: -14 dB
        new_sp, new_ap, new_voiced = _sample_features(syl.features, index)
        new_sp += gain_db / 10.0 * math.log(10.0)
        new_voiced |= is_vowel
        _write(log_sp, ap, voiced, filled, first, new_sp, new_ap, new_voiced)
        _silence_rests(log_sp, voiced, group, spans, base)
        last_start = _frame(spans[group.notes[-1]][0]) - base
        lower = last_start + max(1, (end - last_start) // 2)
    f0 = _f0_curve(phrase, line, spans, settings, base, n)
    f0[~voiced] = 0.0
    ap = _breathe(ap, voiced, settings.breathiness, rate)
    features = world.WorldFeatures(f0=f0, sp=np.exp(log_sp), ap=ap, sample_rate=rate)
    return base, world.synthesize(features).astype(np.float64)


def _time_map(syl: _Syllable, start: int, end: int, lower: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Output frames [first, end) ← fractional source frames. Onset consonants end on the note start when
    there is room before it (else what does not fit is squeezed into the note's first 40 ms), the coda
    closes the sung span, the vowel fills the rest: its first and last quarter at natural speed, its middle
    stretched."""
    frames = syl.features.frames
    v0, v1 = syl.vowel
    onset, coda_src = v0, frames - v1
    span = end - start
    pre = min(onset, max(0, start - lower))
    post = min(onset - pre, _MAX_SPILL_FRAMES)
    coda = min(coda_src, int(0.35 * span))
    if span - post - coda < 2:
        post, coda = min(post, span // 4), min(coda, span // 4)
    vowel_len = span - post - coda
    onset_idx = np.linspace(0.0, onset - 1, pre + post) if onset else np.zeros(0)
    coda_idx = np.linspace(v1, frames - 1, coda) if coda else np.zeros(0)
    index = np.concatenate([onset_idx, _stretch(v0, v1, vowel_len), coda_idx])
    is_vowel = np.zeros(index.size, dtype=bool)
    is_vowel[onset_idx.size: onset_idx.size + vowel_len] = True
    return start - pre, index, is_vowel


def _stretch(v0: int, v1: int, length: int) -> np.ndarray:
    natural = v1 - v0
    if length <= natural:
        return np.linspace(v0, v1 - 1, length)
    edge = min(natural // 4, length // 6)
    middle = np.linspace(v0 + edge, max(v0 + edge, v1 - 1 - edge), length - 2 * edge)
    return np.concatenate([np.arange(v0, v0 + edge, dtype=float), middle, np.arange(v1 - edge, v1, dtype=float)])


def _sample_features(features: world.WorldFeatures, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log sp, ap, voiced) at fractional frame positions; envelopes interpolate in the log domain."""
    lo = np.clip(np.floor(index).astype(np.int64), 0, features.frames - 1)
    hi = np.minimum(lo + 1, features.frames - 1)
    frac = (index - lo)[:, None]
    log_sp = np.log(np.maximum(features.sp, 1e-20))
    sp = log_sp[lo] * (1.0 - frac) + log_sp[hi] * frac
    ap = features.ap[lo] * (1.0 - frac) + features.ap[hi] * frac
    voiced = features.f0[np.clip(np.round(index).astype(np.int64), 0, features.frames - 1)] > 0
    return sp, ap, voiced


def _write(log_sp: np.ndarray, ap: np.ndarray, voiced: np.ndarray, filled: np.ndarray, first: int,
           new_sp: np.ndarray, new_ap: np.ndarray, new_voiced: np.ndarray) -> None:
    """Write frames from ``first``; the first few crossfade with sound already there (joined notes)."""
    a, b = max(0, first), min(len(voiced), first + len(new_voiced))
    if b <= a:
        return
    src = slice(a - first, b - first)
    sp_new, ap_new, v_new = new_sp[src], new_ap[src], new_voiced[src]
    weight = np.ones(b - a)
    fade = min(_XFADE_FRAMES, b - a)
    overlap = filled[a: a + fade]
    weight[:fade] = np.where(overlap, (np.arange(fade) + 1.0) / (fade + 1.0), 1.0)
    w = weight[:, None]
    log_sp[a:b] = w * sp_new + (1.0 - w) * log_sp[a:b]
    ap[a:b] = w * ap_new + (1.0 - w) * ap[a:b]
    voiced[a:b] = np.where(weight >= 0.5, v_new, voiced[a:b])
    filled[a:b] = True
    # a short taper at the end, replaced by the next syllable's crossfade when notes are joined
    taper = min(3, b - a)
    log_sp[b - taper: b] += np.log(np.array([0.5, 0.25, 0.1])[-taper:])[:, None]


def _silence_rests(log_sp: np.ndarray, voiced: np.ndarray, group: _Sung, spans, base: int) -> None:
    """A held syllable that spans a rest is silent during the rest."""
    for prev, cur in zip(group.notes, group.notes[1:]):
        gap_start, gap_end = _frame(spans[prev][1]) - base, _frame(spans[cur][0]) - base
        if gap_end - gap_start > 1:
            log_sp[gap_start:gap_end] = math.log(_SILENCE_SP)
            voiced[gap_start:gap_end] = False


def _f0_curve(phrase: list[_Sung], line: list[Note], spans, settings: _Settings, base: int, n: int) -> np.ndarray:
    """(n,) Hz: each note's pitch from its start, raised-cosine glides into joined notes, delayed vibrato."""
    notes = [k for group in phrase for k in group.notes]
    starts = np.array([_frame(spans[k][0]) - base for k in notes])
    pitch = np.array([math.log2(midi_to_hz(line[k].pitch)) for k in notes])
    frames = np.arange(n)
    current = np.clip(np.searchsorted(starts, frames, side="right") - 1, 0, len(notes) - 1)
    curve = pitch[current].copy()
    glide_frames = int(round((0.03 + 0.06 * settings.legato) / FRAME_S))
    for j in range(1, len(notes)):
        joined = spans[notes[j - 1]][1] >= spans[notes[j]][0] - FRAME_S
        if not joined or pitch[j] == pitch[j - 1]:
            continue
        shortest = min(starts[j] - starts[j - 1], _frame(spans[notes[j]][1]) - base - starts[j])
        g = max(2, min(glide_frames, shortest // 2))
        a = starts[j] - g // 2
        t = np.arange(max(a, 0), min(a + g, n))
        u = (t - a + 0.5) / g
        curve[t] = pitch[j - 1] + (pitch[j] - pitch[j - 1]) * (1.0 - np.cos(np.pi * u)) / 2.0
    if settings.vibrato_cents > 0 and settings.vibrato_hz > 0:
        since = (frames - starts[current]) * FRAME_S - _VIBRATO_DELAY_S
        depth = np.clip(since / _VIBRATO_RAMP_S, 0.0, 1.0) * settings.vibrato_cents / 1200.0
        curve += depth * np.sin(2.0 * np.pi * settings.vibrato_hz * np.maximum(since, 0.0))
    return 2.0 ** curve


def _breathe(ap: np.ndarray, voiced: np.ndarray, breathiness: float, rate: int) -> np.ndarray:
    """Raise aperiodicity of voiced frames, more at high frequencies (breath noise is mostly above 2 kHz)."""
    if breathiness <= 0:
        return ap
    freqs = np.linspace(0.0, rate / 2.0, ap.shape[1])
    weight = np.clip(0.25 + freqs / 4000.0, 0.25, 1.0)
    out = ap.copy()
    out[voiced] = ap[voiced] + (1.0 - ap[voiced]) * breathiness * weight
    return np.clip(out, 0.0, 1.0)
