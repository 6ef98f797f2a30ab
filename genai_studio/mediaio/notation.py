"""Melodies as notation (music21): MusicXML out, MusicXML/ABC in. No Qt, no torch.

music21 does the engraving work — bars, rests, ties across barlines, note spelling — so a melody written here
opens in MuseScore or a DAW as a readable score. Reading takes the first part (the top staff), merges tied
notes back together and reduces chords to their top note. music21 is imported inside the functions: it
takes ~0.4 s to import and most sessions never touch notation.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from genai_studio.core.errors import BadInput
from genai_studio.core.music import MODES, PC_NAMES, Key, Melody, Note, parse_key, parse_meter
from genai_studio.mediaio.midi import skyline

# Finest rhythm written: 1/48 beat covers 64th notes, triplets and sextuplets; anything finer (a hum's raw
# timing, say) would make music21 refuse the duration as inexpressible.
NOTATION_GRID = Fraction(1, 48)
_FORMATS = {".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "musicxml", ".abc": "abc"}


def _on_grid(beats: float) -> Fraction:
    return Fraction(round(Fraction(beats) / NOTATION_GRID)) * NOTATION_GRID


def _m21_key(key: Key):
    from music21 import key as m21key

    return m21key.Key(PC_NAMES[key.tonic].replace("b", "-"), key.mode)


def _spelled(midi: int, flats: bool):
    """A music21 pitch for ``midi``, with flats for black keys in flat keys (Bb, not A#, in F major)."""
    from music21 import pitch

    p = pitch.Pitch(midi=midi)
    if flats and p.accidental is not None and p.accidental.name == "sharp":
        p = p.getEnharmonic()
    return p


def build_score(melody: Melody):
    """A music21 Score with one part: instrument, meter, key, tempo (per quarter note) and the notes."""
    from music21 import duration, instrument, meter, metadata, note, stream, tempo

    key = _m21_key(parse_key(melody.key))
    part = stream.Part()
    try:
        part.insert(0, instrument.instrumentFromMidiProgram(int(melody.program)))
    except Exception:  # music21 knows most but not all of the 128 GM programs
        part.insert(0, instrument.Instrument())
    part.insert(0, meter.TimeSignature(str(parse_meter(melody.time_signature))))
    part.insert(0, key)
    part.insert(0, tempo.MetronomeMark(number=float(melody.tempo_bpm), referent=duration.Duration(1.0)))
    flats = key.sharps < 0
    last_end = Fraction(0)
    for n in sorted(melody.notes, key=lambda n: (n.start, -n.pitch)):
        start = max(_on_grid(n.start), last_end)  # one line: an overlapping note starts when the last ends
        end = max(_on_grid(n.end), start + NOTATION_GRID)
        element = note.Note(_spelled(n.pitch, flats))
        element.quarterLength = end - start
        element.volume.velocity = int(n.velocity)
        part.insert(start, element)
        last_end = end
    score = stream.Score([part])
    score.insert(0, metadata.Metadata(title=melody.name))
    return score


def musicxml_bytes(melody: Melody) -> bytes:
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    try:
        return GeneralObjectExporter(build_score(melody)).parse()
    except Exception as exc:  # music21 raises its own exception types for notation it cannot engrave
        raise BadInput(f"'{melody.name}' cannot be written as MusicXML: {exc}") from exc


def load_score_melody(path: Path) -> Melody:
    """The melody of a MusicXML or ABC file: first part, ties merged, top note of chords."""
    from music21 import converter

    fmt = _FORMATS[path.suffix.lower()]
    try:
        # forceSource/storePickle: never read or write music21's pickle cache (a pickle from a shared temp
        # folder could run code).
        parsed = converter.parseFile(str(path), format=fmt, forceSource=True, storePickle=False)
    except Exception as exc:
        raise BadInput(f"'{path.name}' cannot be read as {fmt.upper() if fmt == 'abc' else 'MusicXML'}: the file "
                       f"is corrupt or not in that format ({str(exc).strip()[:120] or type(exc).__name__}).") from exc
    remarks = []
    scores = getattr(parsed, "scores", None)
    if scores is not None:  # an ABC tune book parses as an Opus of scores
        if not scores:
            raise BadInput(f"'{path.name}' contains no tunes.")
        if len(scores) > 1:
            remarks.append(f"the file holds {len(scores)} tunes; took the first")
        parsed = scores[0]
    return melody_from_score(parsed, path.name, remarks)


def melody_from_score(score, name: str, remarks: list[str] | None = None) -> Melody:
    """A :class:`Melody` from any music21 stream (its first part when it has parts)."""
    from music21 import key as m21key, meter, tempo

    remarks = list(remarks or [])
    parts = list(getattr(score, "parts", []))
    if len(parts) > 1:
        remarks.append(f"the score has {len(parts)} parts; took the top one")
    source = parts[0] if parts else score
    flat = source.stripTies().flatten()
    notes, chords = [], 0
    for element in flat.notes:
        if element.duration.isGrace or element.quarterLength <= 0:
            continue
        pitches = [p.midi for p in element.pitches]
        chords += len(pitches) > 1
        velocity = element.volume.velocity
        notes.append(Note(max(pitches), float(element.offset), float(element.quarterLength),
                          int(velocity) if velocity else 90))
    if chords:
        remarks.append(f"kept the top note of {chords} chords")
    line = skyline(notes)  # several voices in one part overlap: keep the top line, as for MIDI
    if len(line) < len(notes):
        remarks.append(f"the part has several voices; kept its top line ({len(line)} of {len(notes)} notes)")
    notes = line
    if not notes:
        raise BadInput(f"'{name}' contains no notes.")
    everything = score.flatten()
    bpm = next((m.getQuarterBPM() for m in everything.getElementsByClass(tempo.MetronomeMark)
                if m.getQuarterBPM()), 120.0)
    meter_text = next((ts.ratioString for ts in everything.getElementsByClass(meter.TimeSignature)), "4/4")
    try:
        meter_text = str(parse_meter(meter_text))
    except BadInput:
        remarks.append(f"unusual time signature {meter_text}; using 4/4")
        meter_text = "4/4"
    key_text = _key_text(next(iter(everything.getElementsByClass(m21key.KeySignature)), None))
    meta = {"source": name}
    if remarks:
        text = "; ".join(remarks)
        meta["note"] = text[0].upper() + text[1:] + "."
    title = getattr(getattr(score, "metadata", None), "bestTitle", None)
    instrument = source.getInstrument(returnDefault=False) if hasattr(source, "getInstrument") else None
    program = getattr(instrument, "midiProgram", None)
    if not 1 <= bpm <= 400:
        raise BadInput(f"'{name}' sets a tempo of {bpm:g} BPM; tempos between 1 and 400 BPM are supported.")
    return Melody(tuple(notes), tempo_bpm=round(float(bpm), 3), key=key_text,
                  time_signature=meter_text, name=title or Path(name).stem or "melody",
                  program=int(program) if program is not None and 0 <= program <= 127 else 0, metadata=meta)


def _key_text(signature) -> str:
    """'D dorian' for a music21 Key in one of our modes; the major key of the signature otherwise."""
    if signature is None:
        return "C major"
    mode = getattr(signature, "mode", None)
    tonic = getattr(signature, "tonic", None)
    if mode in MODES and tonic is not None:
        return str(Key(tonic.pitchClass, mode))
    return str(parse_key(signature.asKey("major").tonic.name.replace("-", "b") + " major"))
