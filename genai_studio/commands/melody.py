"""`genai-studio melody generate|continue|vary|interpolate|score`: the Melody panel's jobs, headless.

Bad input (0 bars, tempo 0, an unknown key, an empty/corrupt/drum-only MIDI file…) prints
``error: <message>`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from genai_studio.core.errors import StudioError
from genai_studio.commands.reporting import (
    check_output_writable, load_melody_noting, refuse_overwriting_input, run_reporting_errors,
)

STYLES = ("reel", "jig", "air", "hymn")
VARY_MODES = ("keep_rhythm", "keep_contour", "free")
_NOTE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d)$")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("melody", help="generate, continue, vary, interpolate or score melodies (MIDI)")
    actions = p.add_subparsers(dest="melody_action", metavar="ACTION")

    g = actions.add_parser("generate", help="a new melody")
    g.add_argument("-o", "--output", required=True, metavar="OUT.mid")
    g.add_argument("--bars", type=int, default=8, help="length in bars (1-64, default 8)")
    g.add_argument("--key", default="D major", help='key and mode, e.g. "D major", "E minor", "A dorian"')
    g.add_argument("--meter", default="4/4", help="time signature, e.g. 4/4, 6/8, 3/4 (default 4/4)")
    g.add_argument("--tempo", type=float, default=120.0, help="beats (quarter notes) per minute (default 120)")
    g.add_argument("--style", choices=STYLES, default=None, help="default: jig in 6/8, 9/8, 12/8; reel otherwise")
    _common(g, with_range=True)
    g.set_defaults(func=cmd_generate)

    c = actions.add_parser("continue", help="continue a melody by N bars (the original notes are kept)")
    c.add_argument("input", metavar="IN", help="MIDI, MusicXML or ABC file")
    c.add_argument("-o", "--output", required=True, metavar="OUT.mid")
    c.add_argument("--bars", type=int, default=4)
    c.add_argument("--style", choices=STYLES, default=None)
    _common(c, with_range=True)
    c.set_defaults(func=cmd_continue)

    v = actions.add_parser("vary", help="a variation of a melody")
    v.add_argument("input", metavar="IN")
    v.add_argument("-o", "--output", required=True, metavar="OUT.mid")
    v.add_argument("--mode", choices=VARY_MODES, default="keep_rhythm")
    v.add_argument("--amount", type=float, default=0.5, help="0 = unchanged … 1 = everything may change")
    v.add_argument("--style", choices=STYLES, default=None)
    _common(v, with_range=True)
    v.set_defaults(func=cmd_vary)

    i = actions.add_parser("interpolate", help="N melodies moving from A to B")
    i.add_argument("a", metavar="A")
    i.add_argument("b", metavar="B")
    i.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    i.add_argument("--steps", type=int, default=4)
    _common(i, with_range=False)
    i.set_defaults(func=cmd_interpolate)

    s = actions.add_parser("score", help="bits per note of the model and the n-gram baseline for each file")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--json", action="store_true", help="JSON output")
    s.add_argument("--model", default=None, help="melody model file (default: the shipped melody-folk)")
    s.set_defaults(func=cmd_score)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
    try:
        from genai_studio.commands import melody_audio  # hum, render: added by the audio side
    except ImportError:
        pass
    else:
        melody_audio.register(actions)
    return p


def _common(p: argparse.ArgumentParser, with_range: bool) -> None:
    p.add_argument("--seed", type=int, default=None, help="random seed (same seed, same melody)")
    p.add_argument("--temperature", type=float, default=1.0, help="0.05-3; lower is safer, higher wilder")
    p.add_argument("--model", default=None, help="melody model file (default: the shipped melody-folk)")
    if with_range:
        p.add_argument("--range", dest="pitch_range", default=None, metavar="LOW-HIGH",
                       help="allowed pitches, MIDI numbers or names: 55-84, G3-C6 (default G3-C6; for "
                            "continue/vary: around the input's notes)")


def parse_pitch(text: str) -> int:
    from genai_studio.core.errors import BadInput
    from genai_studio.core.music import PITCH_CLASSES

    text = text.strip()
    if re.fullmatch(r"\d{1,3}", text):
        return int(text)
    match = _NOTE.match(text)
    if not match:
        raise BadInput(f"'{text}' is not a pitch; use a MIDI number (60) or a note name (C4, F#3, Bb5)")
    letter, accidental, octave = match.groups()
    return 12 * (int(octave) + 1) + PITCH_CLASSES[letter.upper()] + {"#": 1, "b": -1}.get(accidental, 0)


def parse_range(text: str | None) -> tuple[int, int] | None:
    from genai_studio.core.errors import BadInput

    if text is None:
        return None
    match = re.fullmatch(r"\s*([^\s-]+)\s*-\s*([^\s-]+)\s*", text) or re.fullmatch(r"\s*(\S+?)\s*\.\.\s*(\S+)\s*", text)
    if not match:
        raise BadInput(f"'{text}' is not a range; write LOW-HIGH, e.g. 55-84 or G3-C6")
    return parse_pitch(match.group(1)), parse_pitch(match.group(2))


def _model(args: argparse.Namespace):
    from genai_studio.engines.music.melody_runtime import load_melody_model

    return load_melody_model(args.model)


def _check_output(out: Path, source: str | None = None) -> None:
    from genai_studio.core.errors import BadInput

    if out.suffix.lower() not in (".mid", ".midi"):
        raise BadInput(f"{out.name}: melodies are written as MIDI; give the output a .mid name")
    refuse_overwriting_input(out, source)
    check_output_writable(out)


def _save(melody, out: Path) -> None:
    from genai_studio.mediaio.midi import save_midi

    _check_output(out)
    save_midi(melody, out)


def _describe(melody, out: Path) -> None:
    print(f"{out}: {len(melody.notes)} notes, {melody.bars:g} bars of {melody.time_signature} in {melody.key}, "
          f"seed {melody.metadata.get('seed')}")


def cmd_generate(args: argparse.Namespace) -> int:
    def action() -> int:
        from genai_studio.core.music import parse_key, parse_meter
        from genai_studio.engines.music.generate import DEFAULT_RANGE, generate

        _check_output(Path(args.output))
        key, meter = parse_key(args.key), parse_meter(args.meter)
        style = args.style or ("jig" if meter.denominator == 8 and meter.numerator % 3 == 0 else "reel")
        melody = generate(_model(args), key, meter, args.bars, args.tempo, style, args.temperature, args.seed,
                          parse_range(args.pitch_range) or DEFAULT_RANGE)
        _save(melody, Path(args.output))
        _describe(melody, Path(args.output))
        return 0

    return run_reporting_errors(action)


def cmd_continue(args: argparse.Namespace) -> int:
    def action() -> int:
        from genai_studio.engines.music.generate import continue_melody

        _check_output(Path(args.output), args.input)
        source = load_melody_noting(args.input)
        if not source.is_monophonic():
            print("note: the input is polyphonic; continuing its top line", file=sys.stderr)
        melody = continue_melody(_model(args), source, args.bars, args.temperature, args.seed,
                                 parse_range(args.pitch_range), args.style)
        _save(melody, Path(args.output))
        _describe(melody, Path(args.output))
        return 0

    return run_reporting_errors(action)


def cmd_vary(args: argparse.Namespace) -> int:
    def action() -> int:
        from genai_studio.engines.music.generate import vary

        _check_output(Path(args.output), args.input)
        source = load_melody_noting(args.input)
        melody = vary(_model(args), source, args.mode, args.amount, args.seed, args.temperature,
                      parse_range(args.pitch_range), args.style)
        _save(melody, Path(args.output))
        _describe(melody, Path(args.output))
        return 0

    return run_reporting_errors(action)


def cmd_interpolate(args: argparse.Namespace) -> int:
    def action() -> int:
        from genai_studio.core.errors import BadInput
        from genai_studio.engines.music.generate import interpolate

        out_dir = Path(args.output)
        if out_dir.exists() and not out_dir.is_dir():
            raise BadInput(f"{out_dir} is a file; interpolate writes a folder of MIDI files")
        a, b = load_melody_noting(args.a), load_melody_noting(args.b)
        melodies = interpolate(_model(args), a, b, args.steps, args.seed, args.temperature)
        out_dir.mkdir(parents=True, exist_ok=True)
        for index, melody in enumerate(melodies, 1):
            path = out_dir / f"{Path(args.a).stem}_to_{Path(args.b).stem}_{index:02d}.mid"
            _save(melody, path)
            _describe(melody, path)
        return 0

    return run_reporting_errors(action)


def cmd_score(args: argparse.Namespace) -> int:
    def action() -> int:
        from genai_studio.mediaio.midi import load_melody
        from genai_studio.engines.music.ngram import baseline_ngram
        from genai_studio.engines.music.score import score_melody

        model, ngram = _model(args), baseline_ngram()
        rows, failures = [], 0
        for name in args.files:
            try:
                rows.append({"file": name, **score_melody(load_melody(name), model, ngram)})
            except StudioError as exc:
                failures += 1
                rows.append({"file": name, "error": exc.message})
                print(f"error: {name}: {exc.message}", file=sys.stderr)
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print(f"{'file':<32} {'notes':>6} {'model':>8} {f'{ngram.order}-gram':>8}  key")
            for r in rows:
                if "error" not in r:
                    print(f"{Path(r['file']).name[:32]:<32} {r['notes']:>6} {r['model_bits_per_note']:>8.3f} "
                          f"{r['ngram_bits_per_note']:>8.3f}  {r['key']} {r['meter']} ({r['style']})")
            print("bits per note event (lower = the model finds the melody more predictable)")
        return 2 if failures else 0

    return run_reporting_errors(action)
