"""`genai-studio speak` and `genai-studio voice transform|denoise|sing`: the Voice panel's jobs, headless.

Every command builds the same job spec as the panel and runs it through the same JobRunner, so ranges and
messages are the panel's. Bad input prints ``error: <message>`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from genai_studio.commands.reporting import (
    check_output_writable, close_progress_line, load_melody_noting, print_usage, progress_printer,
    refuse_overwriting_input, run_reporting_errors,
)
from genai_studio.core.errors import BadInput
from genai_studio.core.voice_jobs import (
    BUNDLED_VOICE_ID, DENOISE_METHODS, SPEECH_STYLES, TRANSFORM_EFFECTS, SingSpec, SpeakSpec, VoiceDenoiseSpec,
    VoiceTransformSpec,
)

# Reading a text file for `speak --text-file`: anything bigger is not something to speak in one go.
MAX_TEXT_FILE_BYTES = 4 * 1024 * 1024


def register(subparsers: argparse._SubParsersAction) -> None:
    s = subparsers.add_parser("speak", help="text to speech (WAV/FLAC/OGG)")
    s.add_argument("text", nargs="?", help="the text to speak (or use --text-file)")
    s.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    s.add_argument("--text-file", metavar="FILE", help="read the text from a UTF-8 file ('-' = stdin)")
    s.add_argument("--voice", default=BUNDLED_VOICE_ID, help=f"voice id from `models list` (default {BUNDLED_VOICE_ID})")
    s.add_argument("--speed", type=float, default=1.0, help="0.5-2.0 (default 1.0)")
    s.add_argument("--pitch", type=float, default=0.0, metavar="SEMITONES", help="-12…12 (default 0)")
    s.add_argument("--volume", type=float, default=0.0, metavar="DB", help="-30…12 dB (default 0)")
    s.add_argument("--pause", type=float, default=0.35, metavar="SECONDS", help="between sentences (default 0.35)")
    s.add_argument("--style", choices=SPEECH_STYLES, default="neutral")
    _quiet(s)
    s.set_defaults(func=cmd_speak)

    v = subparsers.add_parser("voice", help="transform, denoise or sing with a voice")
    actions = v.add_subparsers(dest="voice_action", metavar="ACTION")
    v.set_defaults(func=lambda _args: print_usage(v))

    t = actions.add_parser("transform", help="pitch, formant, tempo and voice effects")
    t.add_argument("input", metavar="IN")
    t.add_argument("-o", "--output", required=True, metavar="OUT")
    t.add_argument("--pitch", type=float, default=0.0, metavar="SEMITONES", help="-24…24 (default 0)")
    t.add_argument("--formant", type=float, default=1.0, metavar="RATIO",
                   help="0.5-2.0; >1 brighter/younger, <1 darker/older (default 1)")
    t.add_argument("--tempo", type=float, default=1.0, metavar="RATIO", help="0.25-4.0, pitch kept (default 1)")
    t.add_argument("--effect", choices=TRANSFORM_EFFECTS, default="none")
    _quiet(t)
    t.set_defaults(func=cmd_transform)

    d = actions.add_parser("denoise", help="remove background noise from speech")
    d.add_argument("input", metavar="IN")
    d.add_argument("-o", "--output", required=True, metavar="OUT")
    d.add_argument("--strength", type=float, default=1.0, help="0 (off) … 1 (full, default)")
    d.add_argument("--method", choices=DENOISE_METHODS, default="deepfilternet")
    _quiet(d)
    d.set_defaults(func=cmd_denoise)

    g = actions.add_parser("sing", help="sing lyrics on a melody")
    g.add_argument("melody", metavar="MELODY", help="MIDI, MusicXML or ABC file (its top line is sung)")
    g.add_argument("--lyrics", required=True, help='the words, e.g. "twin-kle twin-kle lit-tle star"')
    g.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    g.add_argument("--voice", default=BUNDLED_VOICE_ID)
    g.add_argument("--legato", type=float, default=0.5, help="0 detached … 1 connected (default 0.5)")
    g.add_argument("--vibrato", type=float, default=30.0, metavar="CENTS", help="vibrato depth (default 30)")
    g.add_argument("--breathiness", type=float, default=0.1, help="0…1 (default 0.1)")
    _quiet(g)
    g.set_defaults(func=cmd_sing)


def _quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _spec(make: Callable[[], object]):
    """Build a spec; its range checks (ValueError) become the user-facing BadInput."""
    try:
        return make()
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _run_and_save(spec, output: str, label: str, quiet: bool, inputs: tuple[str, ...] = ()) -> int:
    from genai_studio.core.progress import CancelToken
    from genai_studio.mediaio.audio import format_duration, save_audio
    from genai_studio.runtime.job_runner import JobRunner
    from genai_studio.runtime.model_store import ModelStore

    out = Path(output)
    if out.suffix.lower() not in (".wav", ".flac", ".ogg"):
        raise BadInput(f"{out.name}: write audio as .wav, .flac or .ogg")
    refuse_overwriting_input(out, *inputs)
    check_output_writable(out)
    result = JobRunner(ModelStore())(spec, CancelToken(progress_printer(label, quiet)))
    close_progress_line()
    out.parent.mkdir(parents=True, exist_ok=True)
    save_audio(result.audio, out)
    if not quiet:
        print(f"{out}: {format_duration(result.audio.duration_s)} at {result.audio.sample_rate} Hz, "
              f"made in {result.seconds:.1f} s")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _load_audio(path: str):
    from genai_studio.mediaio.audio import load_audio

    return load_audio(path)


def _read_text(args: argparse.Namespace) -> str:
    if args.text_file and args.text:
        raise BadInput("give the text either as an argument or with --text-file, not both")
    if args.text_file == "-":
        return sys.stdin.read()
    if args.text_file:
        p = Path(args.text_file)
        if not p.is_file():
            raise BadInput(f"{p} does not exist")
        if p.stat().st_size > MAX_TEXT_FILE_BYTES:
            raise BadInput(f"{p.name} is {p.stat().st_size / 1e6:.1f} MB; speak at most 4 MB of text at a time")
        try:
            return p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise BadInput(f"{p.name} is not UTF-8 text") from None
    if args.text is None:
        raise BadInput("give the text to speak, or --text-file FILE")
    return args.text


def cmd_speak(args: argparse.Namespace) -> int:
    def action() -> int:
        text = _read_text(args)
        spec = _spec(lambda: SpeakSpec(text=text, voice_id=args.voice, speed=args.speed, pitch_semitones=args.pitch,
                                       volume_db=args.volume, pause_s=args.pause, style=args.style,
                                       device=args.device))
        return _run_and_save(spec, args.output, "speak", args.quiet)

    return run_reporting_errors(action)


def cmd_transform(args: argparse.Namespace) -> int:
    def action() -> int:
        audio = _load_audio(args.input)
        spec = _spec(lambda: VoiceTransformSpec(audio=audio, pitch_semitones=args.pitch, formant_ratio=args.formant,
                                                tempo_ratio=args.tempo, effect=args.effect, device=args.device))
        return _run_and_save(spec, args.output, "transform", args.quiet, inputs=(args.input,))

    return run_reporting_errors(action)


def cmd_denoise(args: argparse.Namespace) -> int:
    def action() -> int:
        audio = _load_audio(args.input)
        spec = _spec(lambda: VoiceDenoiseSpec(audio=audio, strength=args.strength, method=args.method,
                                              device=args.device))
        return _run_and_save(spec, args.output, "denoise", args.quiet, inputs=(args.input,))

    return run_reporting_errors(action)


def cmd_sing(args: argparse.Namespace) -> int:
    def action() -> int:
        from dataclasses import replace

        from genai_studio.mediaio.midi import skyline

        melody = load_melody_noting(args.melody)
        if not melody.is_monophonic():
            print("note: the melody is polyphonic; singing its top line", file=sys.stderr)
            melody = replace(melody, notes=tuple(skyline(list(melody.notes))))
        spec = _spec(lambda: SingSpec(melody=melody, lyrics=args.lyrics, voice_id=args.voice, legato=args.legato,
                                      vibrato_cents=args.vibrato, breathiness=args.breathiness, device=args.device))
        return _run_and_save(spec, args.output, "sing", args.quiet)

    return run_reporting_errors(action)
