"""The About box: what the app is, its license, and every model it can use with that model's license."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from genai_studio import __version__
from genai_studio.runtime.model_store import ModelEntry

LIBRARIES = (
    ("PySide6 (Qt 6)", "LGPL-3.0"), ("PyTorch", "BSD-3-Clause"), ("spandrel", "MIT"), ("NumPy", "BSD-3-Clause"),
    ("Pillow", "MIT-CMU"), ("safetensors", "Apache-2.0"), ("soundfile / libsndfile", "BSD-3-Clause / LGPL-2.1"),
    ("sounddevice / PortAudio", "MIT"), ("platformdirs", "MIT"), ("superqt", "BSD-3-Clause"),
)


def about_html(models: list[ModelEntry]) -> str:
    rows = "".join(
        f"<tr><td>{escape(e.name)}</td><td>{escape(e.manifest.architecture)}</td>"
        f"<td>{escape(e.manifest.license)}</td><td>{escape(_source(e))}</td></tr>"
        for e in models
    )
    libs = "".join(f"<tr><td>{escape(n)}</td><td>{escape(lic)}</td></tr>" for n, lic in LIBRARIES)
    return (
        f"<h2>GenAI Studio {escape(__version__)}</h2>"
        "<p>Offline creative AI for artists and musicians: everything runs on this computer, with no network.</p>"
        "<p>Licensed under the GNU General Public License v3.0 or later.</p>"
        f"<h3>Models ({len(models)})</h3>"
        "<table cellspacing='6'><tr><th align='left'>Model</th><th align='left'>Architecture</th>"
        f"<th align='left'>License</th><th align='left'>Source</th></tr>{rows}</table>"
        f"<h3>Libraries</h3><table cellspacing='6'>{libs}</table>"
    )


def _source(entry: ModelEntry) -> str:
    src = entry.manifest.source
    if src.kind == "converted":
        return f"converted from {src.package}; {src.upstream}"
    if src.kind == "imported":
        return f"imported by you from {src.original_path}"
    return src.upstream or src.kind


class AboutDialog(QDialog):
    def __init__(self, models: list[ModelEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About GenAI Studio")
        self.resize(760, 520)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(about_html(models))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
