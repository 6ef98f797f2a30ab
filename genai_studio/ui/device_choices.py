"""The compute-device combo boxes (Preferences, Upscale, Train): one list of choices, and CUDA greyed out once
the engine warm-up has found that no NVIDIA GPU is usable (the UI never imports torch itself)."""

from __future__ import annotations

from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox

DEVICE_CHOICES = (("Auto", "auto"), ("CPU", "cpu"), ("CUDA (NVIDIA GPU)", "cuda"))
NO_GPU_LABEL = "CUDA (no NVIDIA GPU found)"
NO_GPU_TIP = "No NVIDIA GPU is usable here (no GPU, no driver, or a CPU-only PyTorch): choose Auto or CPU."


def fill_device_combo(combo: QComboBox, auto_label: str = "Auto") -> None:
    for label, value in DEVICE_CHOICES:
        combo.addItem(auto_label if value == "auto" else label, value)


def mark_cuda_unavailable(combo: QComboBox, keep_selection: bool = False) -> None:
    """Grey out the CUDA entry and say why. A combo showing CUDA moves to Auto, except where the choice is a
    saved preference (``keep_selection``): that stays shown as the user set it, labelled, until they change it
    (jobs asked to run on CUDA say clearly that there is no GPU)."""
    index = combo.findData("cuda")
    model = combo.model()
    if index < 0 or not isinstance(model, QStandardItemModel):
        return
    item = model.item(index)
    item.setText(NO_GPU_LABEL)
    item.setToolTip(NO_GPU_TIP)
    item.setEnabled(False)
    if combo.currentIndex() == index and not keep_selection:
        combo.setCurrentIndex(combo.findData("auto"))
