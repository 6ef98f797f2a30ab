"""`genai-studio models …`: list, import, verify and remove models from the command line.

Exit codes: 0 success; 1 `verify` found a missing or tampered file; 2 a user-facing error (printed as
one line "error: …" on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

from genai_studio.commands.reporting import print_usage, run_reporting_errors
from genai_studio.runtime.model_store import MISMATCH, MISSING, ModelEntry, ModelStore

StoreFactory = Callable[[], ModelStore]


def register(subparsers: argparse._SubParsersAction, store_factory: StoreFactory = ModelStore) -> argparse.ArgumentParser:
    """Add the `models` command to the CLI's subparsers; every leaf parser sets ``func=handler``."""
    parser = subparsers.add_parser("models", help="list, import, verify and remove models")
    parser.set_defaults(func=lambda args: print_usage(parser), store_factory=store_factory)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")

    p = actions.add_parser("list", help="show every model with its status")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    p.set_defaults(func=cmd_list)

    p = actions.add_parser("import", help="import a restoration model file (.safetensors/.pth/.pt/.ckpt)")
    p.add_argument("file", metavar="FILE", help="weight file to import")
    p.add_argument("--name", help="display name (default: the file name)")
    p.set_defaults(func=cmd_import)

    p = actions.add_parser("verify", help="check the sha256 of model files (exit 1 on any mismatch)")
    p.add_argument("id", metavar="ID", nargs="?", help="one model id (default: all)")
    p.set_defaults(func=cmd_verify)

    p = actions.add_parser("prepare", help="convert the built-in models from their packages now (else: on first use)")
    p.add_argument("id", metavar="ID", nargs="?", help="one model id (default: all)")
    p.set_defaults(func=cmd_prepare)

    p = actions.add_parser("remove", help="delete an imported model")
    p.add_argument("id", metavar="ID", help="id of an imported model")
    p.set_defaults(func=cmd_remove)
    return parser


def _store(args: argparse.Namespace) -> ModelStore:
    return getattr(args, "store_factory", ModelStore)()


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn a StudioError into one stderr line and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        return run_reporting_errors(lambda: handler(args))

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@_guarded
def cmd_list(args: argparse.Namespace) -> int:
    entries = _store(args).list()
    if args.json:
        print(json.dumps([entry_to_json(e) for e in entries], indent=2))
        return 0
    if not entries:
        print("No models yet. Import one with: genai-studio models import FILE")
        return 0
    header = ("ID", "TASK", "ARCHITECTURE", "SCALE", "SIZE", "SOURCE", "LICENSE", "STATUS")
    rows = [
        (
            e.id,
            e.task,
            _clip(e.manifest.architecture, 32),  # `models list --json` has the full texts
            f"x{e.manifest.effective_scale}",
            human_size(e.size_bytes),
            e.manifest.source.kind,
            _clip(e.manifest.license, 32),
            e.status,
        )
        for e in entries
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


@_guarded
def cmd_import(args: argparse.Namespace) -> int:
    entry = _store(args).import_file(args.file, name=args.name)
    print(
        f"imported '{entry.id}': {entry.manifest.architecture} x{entry.manifest.scale} ({entry.task}), "
        f"{human_size(entry.size_bytes)} -> {entry.weight_path}"
    )
    return 0


@_guarded
def cmd_verify(args: argparse.Namespace) -> int:
    results = _store(args).verify(args.id)
    if not results:
        print("No models to verify.")
        return 0
    width = max(len(model_id) for model_id, _, _ in results)
    for model_id, status, detail in results:
        print(f"{model_id.ljust(width)}  {status}{'  ' + detail if detail else ''}")
    bad = [r for r in results if r[1] in (MISMATCH, MISSING)]
    return 1 if bad else 0


@_guarded
def cmd_prepare(args: argparse.Namespace) -> int:
    from genai_studio.engines import registry

    store = _store(args)
    entries = [store.get(args.id)] if args.id else store.list()
    for entry in entries:
        if entry.manifest.source.kind == "converted":
            path = registry.call("models.ensure_converted", entry.manifest, entry.weight_path.parent)
            print(f"{entry.id}: {path}")
    for model_id, status, detail in store.verify(args.id):
        if status in (MISMATCH, MISSING):
            print(f"error: {model_id}: {status} {detail}", file=sys.stderr)
            return 1
    return 0


@_guarded
def cmd_remove(args: argparse.Namespace) -> int:
    _store(args).remove(args.id)
    print(f"removed '{args.id}'")
    return 0


def entry_to_json(entry: ModelEntry) -> dict[str, Any]:
    m = entry.manifest
    return {
        "id": m.id,
        "name": m.name,
        "family": m.family,
        "task": m.task,
        "architecture": m.architecture,
        "scale": m.scale,
        "effective_scale": m.effective_scale,
        "size_bytes": entry.size_bytes,
        "source": m.source.kind,
        "license": m.license,
        "builtin": entry.builtin,
        "status": entry.status,
        "detail": entry.detail,
        "files": [
            {"name": f.name, "path": str(p), "sha256": f.sha256, "exists": p.is_file()}
            for f, p in zip(m.files, entry.paths)
        ],
    }


def human_size(n: int) -> str:
    if n <= 0:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
