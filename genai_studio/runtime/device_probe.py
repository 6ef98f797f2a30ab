"""Cheap compute-device facts for routing and the status bar, without importing torch (startup stays fast)."""

from __future__ import annotations

import os
from pathlib import Path


def nvidia_gpu_present() -> bool:
    """True when an NVIDIA driver is loaded; torch confirms CUDA later, on the first job."""
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


def worker_for(device: str) -> str:
    """Which worker queue a job's device choice goes to: 'gpu' or 'cpu'."""
    if device.startswith("cuda"):
        return "gpu"
    if device == "auto" and nvidia_gpu_present():
        return "gpu"
    return "cpu"


def describe_default_device() -> str:
    if nvidia_gpu_present():
        return "CUDA (NVIDIA GPU)"
    return f"CPU ({os.cpu_count() or 1} cores)"
