"""Load the engine stack (torch, spandrel, the upscale engine) ahead of the first job.

Importing torch holds the interpreter lock for a few hundred milliseconds while its libraries load;
doing it on a background thread right after the window appears keeps that hitch out of the user's
first job. Returns a description of the default compute device for the status bar, and whether CUDA is usable
(the UI greys out its CUDA choices when it is not).
"""

from __future__ import annotations


def warm_up() -> tuple[str, bool]:
    import spandrel  # noqa: F401 - imported for its side effect: loading every architecture once

    from genai_studio.engines import devices
    from genai_studio.engines.restore import detect, upscale  # noqa: F401 - same

    devices.configure_cpu_threads()
    return devices.describe(devices.resolve_device("auto")), devices.cuda_available()
