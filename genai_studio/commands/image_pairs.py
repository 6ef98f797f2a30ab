"""Input → output file pairs for the image commands (upscale, restore), checked before any work.

IN may be a file or a folder of images. Everything that can be known up front is checked here, so a typo
costs nothing and no original is ever overwritten: OUT naming IN (the same file or folder, by any path),
an output type that cannot be written, an output folder that cannot be created or written in.
"""

from __future__ import annotations

from pathlib import Path

from genai_studio.commands.reporting import check_output_writable, refuse_overwriting_input
from genai_studio.core.errors import BadInput


def image_pairs(src: Path, dst: Path, suffix: str) -> list[tuple[Path, Path]]:
    """(input, output) for every image to process. A folder IN maps each image to the same name in the OUT
    folder; a file IN writes OUT, or ``<stem>_<suffix><ext>`` inside OUT when OUT is an existing folder."""
    if src.is_dir():
        if dst.exists() and not dst.is_dir():
            raise BadInput(f"{dst} is a file; when IN is a folder, OUT must be a folder")
        if dst.exists() and dst.resolve() == src.resolve():
            raise BadInput("OUT is the same folder as IN; choose another so the originals are kept")
        from genai_studio.engines.restore.recipes import batch_inputs

        pairs = [(f, dst / f.name) for f in batch_inputs(src)]
    elif not src.exists():
        raise BadInput(f"{src} does not exist")
    elif dst.is_dir():
        pairs = [(src, dst / f"{src.stem}_{suffix}{src.suffix}")]
    else:
        refuse_overwriting_input(dst, src)
        pairs = [(src, dst)]
    check_image_output(pairs[0][1])
    return pairs


def check_image_output(out: Path) -> None:
    """An image can be written at ``out``: a supported type, in a folder that can be created and written in."""
    from genai_studio.mediaio.images import SUPPORTED_EXTENSIONS

    if out.suffix.lower() not in SUPPORTED_EXTENSIONS:
        shown = f"'{out.suffix}'" if out.suffix else "a name without an extension"
        raise BadInput(f"cannot write {out.name}: {shown} is not a supported image type; use .png, .jpg, .webp, "
                       ".tif or .bmp")
    check_output_writable(out)
