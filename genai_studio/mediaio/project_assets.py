"""The assets inside a ``.gstudio`` zip: reading members safely, recognizing PNG/WAV/MIDI by their first
bytes, reading PNG and WAV headers without decoding, encoding WAV audio, and MIDI clips both ways.

Every problem becomes a BadInput naming the project file (``name``) and the asset, in one line.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections import defaultdict, deque
from dataclasses import replace

import soundfile as sf

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note

MAX_ASSET_BYTES = 2 * 1024**3  # uncompressed size refused before reading: a zip bomb, not a layer
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIDI_MAGIC = b"MThd"
# Errors zipfile/zlib raise for damaged archives: bad CRC, bad headers, cut-off deflate streams,
# encrypted members (RuntimeError), unknown compression methods (NotImplementedError).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
              ValueError, struct.error)


# --------------------------------------------------------------------------------------------- reading


def check_size(member: zipfile.ZipInfo, name: str, limit: int) -> None:
    if member.file_size > limit:
        raise BadInput(f"'{name}' is not safe to open: {member.filename} claims to unpack to "
                       f"{member.file_size / 1024**3:,.1f} GiB (the limit is {limit / 1024**3:,.1f} GiB).")


def read_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, limit: int = MAX_ASSET_BYTES) -> bytes:
    """The whole member, checked against its CRC; the declared size is checked before any byte is read."""
    check_size(member, name, limit)
    try:
        with zf.open(member) as f:
            return f.read()  # zipfile stops at the declared size, so a lying deflate stream cannot grow this
    except ZIP_ERRORS as exc:
        raise BadInput(f"'{name}' is damaged: {member.filename} cannot be read ({exc}).") from exc


def read_head(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, size: int) -> bytes:
    try:
        with zf.open(member) as f:
            return f.read(size)
    except ZIP_ERRORS as exc:
        raise BadInput(f"'{name}' is damaged: {member.filename} cannot be read ({exc}).") from exc


# ----------------------------------------------------------------------------------------------- kinds


def kind_of(head: bytes) -> str:
    if head.startswith(PNG_MAGIC):
        return "png"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(MIDI_MAGIC):
        return "mid"
    return "unknown"


_KIND_TEXT = {"png": "a PNG image", "wav": "WAV audio", "mid": "a MIDI file", "unknown": "data of an unknown type"}


def expect_kind(head: bytes, kind: str, asset: str, name: str) -> None:
    found = kind_of(head)
    if found != kind:
        raise BadInput(f"'{name}' is damaged: {asset} should be {_KIND_TEXT[kind]} but holds {_KIND_TEXT[found]}.")


# --------------------------------------------------------------------------------------------- headers


def png_header(head: bytes, asset: str, name: str) -> tuple[int, int, int, int]:
    """(width, height, channels as loaded, bits per channel) from the IHDR chunk."""
    expect_kind(head, "png", asset, name)
    if len(head) < 26 or head[12:16] != b"IHDR":
        raise BadInput(f"'{name}' is damaged: {asset} has no PNG image header.")
    width, height, depth, color_type = struct.unpack(">IIBB", head[16:26])
    # Gray and palette images load as RGB; gray+alpha and RGBA as RGBA (see mediaio.images).
    channels = 4 if color_type in (4, 6) else 3
    return width, height, channels, 16 if depth == 16 else 8


def wav_header(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> tuple[int, int, int]:
    """(channels, sample rate in Hz, frames) by walking the RIFF chunks up to ``data``, forward only."""
    asset = member.filename
    damaged = BadInput(f"'{name}' is damaged: {asset} has no valid WAV header.")
    try:
        with zf.open(member) as f:
            head = f.read(12)
            expect_kind(head, "wav", asset, name)
            fmt = None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    raise damaged
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"data":
                    if fmt is None:
                        raise damaged
                    channels, rate, block_align = fmt
                    available = member.file_size - f.tell()  # a streamed WAV may not know its data size
                    return channels, rate, min(size, available) // block_align
                if size > 1 << 20:  # header chunks are small; skipping a huge one means reading it
                    raise damaged
                body = f.read(size + (size & 1))  # chunks are word-aligned
                if cid == b"fmt ":
                    if len(body) < 16:
                        raise damaged
                    channels, rate, _, block_align = struct.unpack("<HIIH", body[2:14])
                    if channels == 0 or rate == 0 or block_align == 0:
                        raise damaged
                    fmt = (channels, rate, block_align)
    except ZIP_ERRORS as exc:
        raise BadInput(f"'{name}' is damaged: {asset} cannot be read ({exc}).") from exc


# -------------------------------------------------------------------------------------------- encoding


def encode_wav(audio: AudioBuffer) -> bytes:
    """32-bit float WAV at the clip's own rate and channel count: samples come back bit-exact."""
    out = io.BytesIO()
    sf.write(out, audio.samples, audio.sample_rate, format="WAV", subtype="FLOAT")
    return out.getvalue()


def wav_compression(wav: bytes) -> int:
    """Deflate only audio that shrinks: float32 music saves ~8% for ~0.7 s per stereo minute, while
    silence, gaps and quiet takes shrink several-fold. Probes three 256 KiB slices (start, middle, end)."""
    probe = 256 * 1024
    if len(wav) <= 3 * probe:
        return zipfile.ZIP_DEFLATED
    middle = len(wav) // 2
    sample = wav[:probe] + wav[middle:middle + probe] + wav[-probe:]
    return zipfile.ZIP_DEFLATED if len(zlib.compress(sample, 1)) < 0.7 * len(sample) else zipfile.ZIP_STORED


# ------------------------------------------------------------------------------------------------ MIDI


def encode_midi(melody: Melody) -> bytes:
    """The clip as a Standard MIDI File, written by mediaio.midi like any exported melody. MIDI track names
    are Latin-1, so other characters become '?': the exact name is kept in project.json."""
    from genai_studio.mediaio.midi import melody_to_midi_bytes  # pretty_midi loads only for MIDI clips

    safe = melody.name.encode("latin-1", "replace").decode("latin-1")
    return melody_to_midi_bytes(melody if safe == melody.name else replace(melody, name=safe))


def decode_midi_notes(data: bytes, asset: str, name: str) -> tuple[Note, ...]:
    """Every note of a MIDI asset in beats, exact to the tick, in file order.

    mediaio.midi's reader picks one melodic line (it is made for importing tunes); a clip's chords must
    come back too, so notes are paired here straight from the events: each note-off (or note-on at
    velocity 0) ends the earliest sounding note of its channel and pitch.
    """
    import mido

    expect_kind(data, "mid", asset, name)
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
        tpb = float(midi.ticks_per_beat)
        notes: list[tuple[int, Note]] = []  # (start tick, note): ticks keep the order exact
        for track in midi.tracks:
            tick = 0
            sounding: defaultdict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
            for msg in track:
                tick += msg.time
                if msg.type == "note_on" and msg.velocity > 0:
                    sounding[(msg.channel, msg.note)].append((tick, msg.velocity))
                elif msg.type in ("note_on", "note_off") and sounding[(msg.channel, msg.note)]:
                    start, velocity = sounding[(msg.channel, msg.note)].popleft()
                    length = max(1, tick - start)  # a note cannot be shorter than one tick
                    notes.append((start, Note(msg.note, start / tpb, length / tpb, velocity)))
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError… on damaged data
        text = str(exc).strip().rstrip(".")[:120] or type(exc).__name__
        raise BadInput(f"'{name}' is damaged: {asset} cannot be read as MIDI ({text}).") from exc
    if tpb <= 0:
        raise BadInput(f"'{name}' is damaged: {asset} has no timing (0 ticks per beat).")
    return tuple(n for _, n in sorted(notes, key=lambda item: item[0]))
