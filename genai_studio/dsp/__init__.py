"""Signal processing with numpy only (no Qt, no torch): melody synthesis, metronome.

Usable from every layer, including ``state`` for timeline playback; optional native libraries (FluidSynth)
are imported lazily inside functions and have a pure-numpy fallback.
"""
