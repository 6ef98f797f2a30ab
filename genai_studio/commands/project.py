"""`genai-studio project info FILE [--json]`: what a .gstudio file holds, without opening the app.

Reads project.json and the assets' headers only (no pixels or samples are decoded), so it is fast on big
projects and safe on damaged ones. Exit codes: 0 the file is a readable project; 2 it is not (missing,
unreadable, corrupt, truncated, or saved by a newer version), explained in one line "error: …" on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from genai_studio.core.errors import StudioError
from genai_studio.commands.reporting import print_usage


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `project` command to the CLI's subparsers; every leaf parser sets ``func=handler``."""
    parser = subparsers.add_parser("project", help="inspect project files (.gstudio)")
    parser.set_defaults(func=lambda args: print_usage(parser))
    actions = parser.add_subparsers(dest="project_action", metavar="ACTION")

    p = actions.add_parser("info", help="summarize a project: schema version, layers, tracks, clips, assets")
    p.add_argument("file", metavar="FILE", help="a .gstudio project file")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")
    p.set_defaults(func=cmd_info)
    return parser


def cmd_info(args: argparse.Namespace) -> int:
    from genai_studio.mediaio.project_file import read_project_info  # soundfile/Pillow load only when used

    try:
        info = read_project_info(args.file)
    except StudioError as exc:
        print(f"error: {' '.join(exc.message.split())}", file=sys.stderr)  # one line, whatever the message
        return 2
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        print(format_info(info))
    return 0


def format_info(info: dict[str, Any]) -> str:
    """The human summary: a header, then one line per layer, track and clip, then the assets."""
    version = info["schema_version"]
    if info["needs_migration"]:
        fmt = f"{version} (older; upgraded to {info['current_schema_version']} when opened)"
    else:
        fmt = f"{version} (current)"
    lines = [
        f"{info['file']}  ({human_size(info['file_size_bytes'])})",
        f"  project format  {fmt}",
        f"  saved by        GenAI Studio {info['app_version'] or 'unknown version'}",
        f"  layers          {info['layer_count']}",
    ]
    for layer in info["layers"]:
        active = "  (active)" if layer["id"] == info["active_layer_id"] else ""
        alpha = "RGBA" if layer["channels"] == 4 else "RGB"
        flags = "" if layer["visible"] else ", hidden"
        spec = f", made by {layer.get('job') or 'a job'}" if layer["has_spec"] else ""
        lines.append(f"    {layer['id']:>3}  {layer['name']}  [{layer['kind']}{flags}{spec}]  "
                     f"{layer['width']}×{layer['height']} {alpha} {layer['bit_depth']}-bit{active}")
    t = info["timeline"]
    lines.append(f"  timeline        {t['sample_rate']} Hz, {t['tempo_bpm']:g} BPM, {t['key']}, {t['time_signature']}, "
                 f"length {_duration(info['timeline_length_s'])}")
    lines.append(f"  tracks          {info['track_count']}, {_plural(info['clip_count'], 'clip')}, "
                 f"{_duration(info['audio_duration_s'])} of audio")
    for track in info["tracks"]:
        muted = ", muted" if track["muted"] else ""
        lines.append(f"    {track['name']}  [gain {track['gain']:g}{muted}]  {_plural(len(track['clips']), 'clip')}")
        for clip in track["clips"]:
            if clip.get("type") == "midi":
                what = f"MIDI, {_plural(clip['notes'], 'note')}, program {clip['program']}"
            else:
                what = f"{clip['sample_rate']} Hz, {clip['channels']} ch"
            lines.append(f"      {clip['name']}  at {_duration(clip['start_s'])}, {_duration(clip['duration_s'])}, {what}")
    total = sum(a["size_bytes"] for a in info["assets"])
    lines.append(f"  assets          {len(info['assets'])} files, {human_size(total)} unpacked")
    for asset in info["assets"]:
        lines.append(f"    {asset['name']}  {human_size(asset['size_bytes'])}")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _duration(seconds: float) -> str:
    if seconds >= 60:
        return f"{int(seconds // 60)} min {seconds % 60:04.1f} s"
    return f"{seconds:.2f} s"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
