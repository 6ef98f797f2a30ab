"""`genai-studio melody hum|render`: hum-to-MIDI and melody rendering, headless.

Registered by :mod:`genai_studio.commands.melody` under its ``melody`` command. Bad input (a missing or silent
recording, an unknown key, a corrupt MIDI file, a missing SoundFont) prints ``error: <message>`` and exits 2.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from genai_studio.commands.reporting import check_output_writable, load_melody_noting, run_reporting_errors
from genai_studio.core.errors import BadInput

HUM_OUTPUTS = (".mid", ".midi", ".musicxml", ".xml")
RENDER_OUTPUTS = (".wav", ".flac", ".ogg")


def register(actions: argparse._SubParsersAction) -> None:
    """Add ``hum`` and ``render`` to the ``melody`` command's sub-commands."""
    h = actions.add_parser("hum", help="transcribe a hummed or sung recording into a melody (MIDI)")
    h.add_argument("input", metavar="IN", help="recording: WAV, FLAC or OGG, any sample rate")
    h.add_argument("-o", "--output", required=True, metavar="OUT.mid", help="MIDI (.mid) or MusicXML (.musicxml)")
    h.add_argument("--tempo", type=float, default=120.0, help="tempo the recording was sung at, BPM (default 120)")
    h.add_argument("--key", default=None, help='snap out-of-key notes into this key, e.g. "D major" (default: off)')
    h.add_argument("--grid", type=float, default=0.25,
                   help="quantize to this many beats: 0.25 = sixteenths, 0.5 = eighths, 0 = off (default 0.25)")
    h.add_argument("--min-note", type=float, default=0.25, help="shortest note kept, in beats (default 0.25)")
    h.set_defaults(func=cmd_hum)

    r = actions.add_parser("render", help="play a melody into an audio file (SoundFont or built-in synth)")
    r.add_argument("input", metavar="IN", help="MIDI, MusicXML or ABC file")
    r.add_argument("-o", "--output", required=True, metavar="OUT.wav", help="WAV, FLAC or OGG file")
    r.add_argument("--program", type=int, default=None,
                   help="General MIDI program 0-127 (default: the file's; 0 = piano, 40 = violin, 73 = flute)")
    r.add_argument("--soundfont", default=None, metavar="SF2", help="SoundFont file (default: the system's)")
    r.add_argument("--builtin", action="store_true", help="use the built-in synth even if a SoundFont exists")
    r.add_argument("--sample-rate", type=int, default=48000, help="output sample rate in Hz (default 48000)")
    r.set_defaults(func=cmd_render)


def _check_output(out: Path, allowed: tuple[str, ...], what: str) -> None:
    if out.suffix.lower() not in allowed:
        raise BadInput(f"{out.name}: {what} are written as {', '.join(allowed)}; choose one of those names")
    check_output_writable(out)


def cmd_hum(args: argparse.Namespace) -> int:
    def action() -> int:
        from genai_studio.core.music import parse_key
        from genai_studio.engines.music.hum import hum_to_melody
        from genai_studio.mediaio.audio import load_audio
        from genai_studio.mediaio.midi import save_midi, save_musicxml

        out = Path(args.output)
        _check_output(out, HUM_OUTPUTS, "melodies")
        if args.key:
            parse_key(args.key)  # a typo fails before the recording is analysed
        audio = load_audio(args.input)
        started = time.perf_counter()
        melody = hum_to_melody(audio, tempo_bpm=args.tempo, key=args.key, min_note_beats=args.min_note,
                               grid_beats=args.grid)
        out.parent.mkdir(parents=True, exist_ok=True)
        (save_midi if out.suffix.lower() in (".mid", ".midi") else save_musicxml)(melody, out)
        print(f"{out}: {len(melody.notes)} notes, {melody.bars:.1f} bars at {melody.tempo_bpm:g} BPM "
              f"from {audio.duration_s:.1f} s of audio ({time.perf_counter() - started:.1f} s)")
        return 0

    return run_reporting_errors(action)


def cmd_render(args: argparse.Namespace) -> int:
    def action() -> int:
        from genai_studio.dsp.synth import find_soundfont, render_builtin, render_melody, soundfont_status
        from genai_studio.mediaio.audio import save_audio
        out = Path(args.output)
        _check_output(out, RENDER_OUTPUTS, "renders")
        melody = load_melody_noting(args.input)
        if args.builtin:
            audio, engine = render_builtin(melody, args.sample_rate, args.program), "built-in synth"
        else:
            audio = render_melody(melody, args.sample_rate, args.program, args.soundfont)
            ready, _ = soundfont_status()
            sf = Path(args.soundfont) if args.soundfont else (find_soundfont() if ready else None)
            engine = f"FluidSynth, {sf.name}" if sf is not None else "built-in synth"
        out.parent.mkdir(parents=True, exist_ok=True)
        save_audio(audio, out)
        print(f"{out}: {audio.duration_s:.1f} s, {len(melody.notes)} notes ({engine})")
        return 0

    return run_reporting_errors(action)
