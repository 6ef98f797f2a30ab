"""Render packaging/icons/genai-studio.svg into the PNG sizes desktops use, plus .ico (Windows) and .icns (macOS).

Run from the repository root with the project's venv: ``python packaging/make_icons.py``. The outputs are
committed (packaging/icons/hicolor/<N>x<N>/apps/io.genaistudio.GenAIStudio.png, genai-studio.ico,
genai-studio.icns), so building the app needs no SVG renderer.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
APP_ID = "io.genaistudio.GenAIStudio"
ICONS = Path(__file__).resolve().parent / "icons"


def render_png(svg: Path, size: int) -> bytes:
    """PNG bytes of ``svg`` rendered at size x size with Qt's SVG renderer (antialiased, transparent)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=ICONS / "genai-studio.svg")
    parser.add_argument("--out", type=Path, default=ICONS)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QPainter on a QImage needs one
    print(f"rendering {args.svg} with Qt ({app.platformName()})")
    images = {}
    for size in PNG_SIZES:
        png = render_png(args.svg, size)
        target = args.out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png)
        images[size] = Image.open(io.BytesIO(png)).convert("RGBA")
        print(target)
    # Pillow picks each embedded size from the largest image; give it the 256 px render.
    images[256].save(args.out / "genai-studio.ico", sizes=[(s, s) for s in ICO_SIZES])
    images[512].save(args.out / "genai-studio.icns")
    print(args.out / "genai-studio.ico")
    print(args.out / "genai-studio.icns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
