"""Melodies in and out of MIDI files (pretty_midi), plus the one entry point for any melody file.

A MIDI file may hold a whole arrangement; a :class:`Melody` is one line. Loading therefore picks the line:
drum tracks never count, the most melodic pitched track wins (or the one asked for), and chords are reduced
to their top voice (skyline), saying so in ``Melody.metadata["note"]``. Times are read in ticks and stored in
beats, so tempo changes never bend the rhythm. Every problem a user's file can have is a ``BadInput`` naming
the file. No Qt, no torch.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from pathlib import Path

from genai_studio.core.errors import BadInput
from genai_studio.core.music import Key, Melody, Note, parse_key, parse_meter
from genai_studio.mediaio.atomic import write_bytes_atomic

MIDI_EXTENSIONS = (".mid", ".midi")
SCORE_EXTENSIONS = (".musicxml", ".xml", ".mxl", ".abc")
MELODY_FILE_FILTER = "Melodies (*.mid *.midi *.musicxml *.xml *.mxl *.abc);;MIDI (*.mid *.midi);;All files (*)"
MIN_TEMPO, MAX_TEMPO = 10.0, 400.0  # BPM a melody can be played at; outside is a broken file, not music
RESOLUTION = 480  # ticks per beat we write: divisible by 2..6, 8, 10, 12, 16 (triplets and quintuplets stay exact)
ONSET_TOLERANCE = 1 / 32  # beats: notes starting this close together count as one chord
_KEY_TEXT = re.compile(r"^genai-studio key: (.+)$")  # text event keeping modes a MIDI key signature cannot
# A mode's key signature is that of the major key this many semitones below its tonic (D dorian → C major).
_MODE_TO_MAJOR = {"major": 0, "minor": 3, "dorian": 2, "mixolydian": 7}


def load_midi_melody(path: str | os.PathLike[str], track: int | None = None) -> Melody:
    """The melody line of a MIDI file; ``track`` is an index into the file's instruments (drums included)."""
    p = Path(path)
    _check_file(p)
    return melody_from_midi_bytes(p.read_bytes(), p.name, track)


def melody_from_midi_bytes(data: bytes, name: str = "melody.mid", track: int | None = None) -> Melody:
    """Like :func:`load_midi_melody` for MIDI data in memory (a project asset, a clipboard)."""
    import pretty_midi

    if not data:
        raise BadInput(f"'{name}' is empty (0 bytes).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # meta events on non-zero tracks: harmless, and we read them anyway
            pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    except Exception as exc:  # mido/pretty_midi raise OSError, EOFError, ValueError, KeyError… on bad data
        raise BadInput(f"'{name}' is not a readable MIDI file: it is corrupt or not MIDI ({_short(exc)}).") from exc
    _check_tempi(pm, name)
    inst_index, inst, why = _pick_instrument(pm, name, track)
    notes, skyline_note = _notes_in_beats(pm, inst)
    if not notes:
        raise BadInput(f"'{name}' contains no notes.")
    remarks = [r for r in (why, skyline_note) if r]
    tempo = _first_tempo(pm)
    key, key_note = _read_key(pm)
    if key is None:
        key = guess_key(notes)
        key_note = f"the file has no key signature; {key} was estimated from the notes"
    meter = _read_meter(pm)
    if len(pm.get_tempo_changes()[1]) > 1:
        remarks.append(f"the file changes tempo; using its first tempo, {tempo:g} BPM")
    if key_note:
        remarks.append(key_note)
    stem = Path(name).stem or "melody"
    meta = {"source": name, "track": inst_index}
    if remarks:
        text = "; ".join(remarks)
        meta["note"] = text[0].upper() + text[1:] + "."
    return Melody(tuple(notes), tempo_bpm=tempo, key=key, time_signature=meter,
                  name=inst.name.strip() or stem, program=int(inst.program), metadata=meta)


def _check_file(p: Path) -> None:
    if not p.exists():
        raise BadInput(f"'{p.name}' does not exist (looked for {p}).")
    if p.is_dir():
        raise BadInput(f"'{p.name}' is a folder, not a melody file.")
    if p.stat().st_size == 0:
        raise BadInput(f"'{p.name}' is empty (0 bytes).")


def _check_tempi(pm, name: str) -> None:
    for bpm in pm.get_tempo_changes()[1]:
        if not (math.isfinite(bpm) and MIN_TEMPO <= bpm <= MAX_TEMPO):
            raise BadInput(f"'{name}' sets a tempo of {bpm:,.0f} BPM; only tempos between {MIN_TEMPO:g} and "
                           f"{MAX_TEMPO:g} BPM make sense, so the file is probably corrupt.")


def _pick_instrument(pm, name: str, track: int | None):
    """(index, instrument, reason or "") of the melody track."""
    if track is not None:
        if not 0 <= track < len(pm.instruments):
            raise BadInput(f"'{name}' has {len(pm.instruments)} tracks (0..{len(pm.instruments) - 1}); "
                           f"there is no track {track}.")
        inst = pm.instruments[track]
        if inst.is_drum:
            raise BadInput(f"Track {track} of '{name}' is a drum track; choose a pitched track.")
        return track, inst, ""
    pitched = [(i, inst) for i, inst in enumerate(pm.instruments) if not inst.is_drum and inst.notes]
    if not pitched:
        if any(inst.notes for inst in pm.instruments):
            raise BadInput(f"'{name}' has only drum tracks: there is no pitched melody line in it.")
        raise BadInput(f"'{name}' contains no notes.")
    if len(pitched) == 1:
        return pitched[0][0], pitched[0][1], ""
    index, inst = max(pitched, key=lambda item: _melodic_score(item[1]))
    label = f"'{inst.name.strip()}'" if inst.name.strip() else f"track {index}"
    return index, inst, f"took {label} as the melody (of {len(pitched)} pitched tracks)"


def _melodic_score(inst) -> float:
    """Higher for lines that sound like a tune: mostly one note at a time, high register, many notes."""
    notes = sorted(inst.notes, key=lambda n: n.start)
    overlaps = sum(1 for a, b in zip(notes, notes[1:]) if b.start < a.end - 1e-3)
    single = 1.0 - overlaps / max(1, len(notes) - 1)
    mean_pitch = sum(n.pitch for n in notes) / len(notes)
    return 2.0 * single + mean_pitch / 12.0 + 0.5 * math.log2(len(notes))


def _notes_in_beats(pm, inst) -> tuple[list[Note], str]:
    """Notes of ``inst`` in beats (ticks / resolution), reduced to the top line if they overlap."""
    res = float(pm.resolution)
    raw = []
    for n in inst.notes:
        start, end = int(pm.time_to_tick(n.start)), int(pm.time_to_tick(n.end))
        if end > start and 1 <= n.velocity <= 127:
            raw.append(Note(int(n.pitch), start / res, (end - start) / res, int(n.velocity)))
    raw.sort(key=lambda n: (n.start, -n.pitch))
    line = skyline(raw)
    if len(line) == len(raw) and all(a.end <= b.start + 1e-9 for a, b in zip(raw, raw[1:])):
        return raw, ""
    return line, (f"the track is polyphonic, so its top line was kept (skyline): {len(line)} of "
                  f"{len(raw)} notes")


def skyline(notes: list[Note]) -> list[Note]:
    """The top voice of possibly overlapping notes: at each onset the highest note; a lower note that starts
    under a still-sounding higher one is dropped; a higher one cuts the note before it short."""
    out: list[Note] = []
    for n in sorted(notes, key=lambda n: (n.start, -n.pitch)):
        if out and n.start - out[-1].start < ONSET_TOLERANCE:
            continue  # same chord: the first (highest) note already won
        if out and out[-1].end > n.start + 1e-9:
            if out[-1].pitch >= n.pitch:
                continue
            prev = out.pop()
            if n.start - prev.start > 1e-9:
                out.append(Note(prev.pitch, prev.start, n.start - prev.start, prev.velocity))
        out.append(n)
    return out


def _first_tempo(pm) -> float:
    _, tempi = pm.get_tempo_changes()
    # 60e6 / an integer number of µs per beat: round off the float noise (130 BPM reads as 130.00001).
    return round(float(tempi[0]), 3) if len(tempi) else 120.0


def guess_key(notes: list[Note] | tuple[Note, ...]) -> str:
    """The most likely key of ``notes`` (profile correlation, see core.melody_events.estimate_key)."""
    from genai_studio.core.melody_events import estimate_key, melody_to_events

    try:
        return str(estimate_key(melody_to_events(Melody(tuple(notes)))))
    except BadInput:
        return "C major"


def _read_key(pm) -> tuple[str | None, str]:
    """(key text, remark) from our text event (keeps modes) or the first key signature; None if neither."""
    import pretty_midi

    for ev in getattr(pm, "text_events", []):
        match = _KEY_TEXT.match(ev.text.strip())
        if match:
            try:
                return str(parse_key(match.group(1))), ""
            except BadInput:
                pass
    if not pm.key_signature_changes:
        return None, ""
    remark = "the key changes; using the first key" if len(pm.key_signature_changes) > 1 else ""
    return str(parse_key(pretty_midi.key_number_to_key_name(pm.key_signature_changes[0].key_number))), remark


def _read_meter(pm) -> str:
    for ts in pm.time_signature_changes[:1]:
        try:
            return str(parse_meter(f"{ts.numerator}/{ts.denominator}"))
        except BadInput:
            break
    return "4/4"


def key_signature_number(key: Key) -> int:
    """pretty_midi key number (0-11 major, 12-23 minor) with the same accidentals as ``key``."""
    if key.mode == "minor":
        return 12 + key.tonic
    return (key.tonic - _MODE_TO_MAJOR[key.mode]) % 12


def melody_to_midi_bytes(melody: Melody) -> bytes:
    """A type-1 MIDI file: tempo, time and key signature, one track named after the melody."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=RESOLUTION, initial_tempo=float(melody.tempo_bpm))
    meter = parse_meter(melody.time_signature)
    key = parse_key(melody.key)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(meter.numerator, meter.denominator, 0.0))
    pm.key_signature_changes.append(pretty_midi.KeySignature(key_signature_number(key), 0.0))
    if key.mode not in ("major", "minor"):
        pm.text_events.append(pretty_midi.Text(f"genai-studio key: {key}", 0.0))
    # MIDI track names are Latin-1 bytes; other characters (emoji, CJK, "→") would make the writer raise.
    safe_name = melody.name.encode("latin-1", "replace").decode("latin-1")
    inst = pretty_midi.Instrument(program=int(melody.program), name=safe_name)
    spb = melody.seconds_per_beat
    for n in sorted(melody.notes, key=lambda n: (n.start, n.pitch)):
        inst.notes.append(pretty_midi.Note(velocity=int(n.velocity), pitch=int(n.pitch),
                                           start=n.start * spb, end=n.end * spb))
    pm.instruments.append(inst)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def save_midi(melody: Melody, path: str | os.PathLike[str]) -> Path:
    """Write ``melody`` as a .mid file, atomically."""
    p = Path(path)
    if not melody.notes:
        raise BadInput(f"Cannot save '{p.name}': the melody has no notes.")
    write_bytes_atomic(p, melody_to_midi_bytes(melody))
    return p


def save_musicxml(melody: Melody, path: str | os.PathLike[str]) -> Path:
    """Write ``melody`` as MusicXML (key, meter, tempo, notes; music21 adds bars, rests and ties), atomically."""
    from genai_studio.mediaio.notation import musicxml_bytes

    p = Path(path)
    if not melody.notes:
        raise BadInput(f"Cannot save '{p.name}': the melody has no notes.")
    write_bytes_atomic(p, musicxml_bytes(melody))
    return p


def load_melody(path: str | os.PathLike[str], track: int | None = None) -> Melody:
    """Any melody file by extension: MIDI (.mid/.midi), MusicXML (.musicxml/.xml/.mxl) or ABC (.abc)."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in MIDI_EXTENSIONS + SCORE_EXTENSIONS:
        kind = f"{ext} files are" if ext else "files without an extension are"
        raise BadInput(f"'{p.name}' cannot be opened as a melody: {kind} not supported; use MIDI (.mid), "
                       "MusicXML (.musicxml, .xml, .mxl) or ABC (.abc).")
    if ext in MIDI_EXTENSIONS:
        return load_midi_melody(p, track)
    from genai_studio.mediaio.notation import load_score_melody

    _check_file(p)
    return load_score_melody(p)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return text[:120] or type(exc).__name__
