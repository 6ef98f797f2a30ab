"""The `genai-studio` command: no arguments opens the GUI; subcommands run the same engines headless."""

from __future__ import annotations

import argparse
import sys

from genai_studio import __version__


COMMANDS = ("gui", "upscale", "restore", "models", "bench", "project", "melody", "speak", "voice", "train", "style", "generate")


def build_parser() -> argparse.ArgumentParser:
    from genai_studio.commands import bench, generate, melody, models, project, restore, style, train, upscale, voice

    parser = argparse.ArgumentParser(
        prog="genai-studio", description="GenAI Studio: offline creative AI. With no command, opens the app."
    )
    parser.add_argument("--version", action="version", version=f"genai-studio {__version__}")
    # Handled in main() before parsing; listed here so --help shows it.
    parser.add_argument("--self-test", action="store_true",
                        help="check the install (Qt, models, one tiny job per engine, audio) and print a "
                             "pass/fail table; add --json for JSON lines")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("files", nargs="*", help="images or audio files to open")
    gui.set_defaults(func=_gui)
    upscale.register(sub)
    restore.register(sub)
    models.register(sub)
    bench.register(sub)
    project.register(sub)
    melody.register(sub)
    voice.register(sub)
    train.register(sub)
    style.register(sub)
    generate.register(sub)
    return parser


def _gui(args: argparse.Namespace) -> int:
    from genai_studio.app import run_app

    return run_app(list(getattr(args, "files", [])))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from genai_studio.logs import setup_logging

    setup_logging()
    if argv[:1] == ["--self-test"] or argv[:2] == ["--json", "--self-test"]:
        from genai_studio.selftest.runner import main as self_test  # `genai-studio --self-test [--json]`

        return self_test([a for a in argv if a != "--self-test"])
    if not argv:
        return _gui(argparse.Namespace(files=[]))
    if not argv[0].startswith("-") and argv[0] not in COMMANDS:
        return _gui(argparse.Namespace(files=argv))  # `genai-studio photo.png song.wav` opens them
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        return _gui(argparse.Namespace(files=[]))
    return _run_command(args)


def _run_command(args: argparse.Namespace) -> int:
    """Run a subcommand. What no command reports itself still ends in one line, never a traceback: Ctrl-C
    (exit 130, as shells expect) and running out of memory (exit 2, with what to try)."""
    from genai_studio.commands.reporting import close_progress_line
    from genai_studio.core.errors import OUT_OF_MEMORY_ADVICE, looks_like_out_of_memory

    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        close_progress_line()
        print("cancelled", file=sys.stderr)
        return 130
    except (MemoryError, RuntimeError) as exc:
        if not looks_like_out_of_memory(exc):
            raise
        close_progress_line()
        print(f"error: {OUT_OF_MEMORY_ADVICE}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
