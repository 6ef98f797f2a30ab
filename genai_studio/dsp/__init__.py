"""Signal processing without Qt or torch: melody synthesis, metronome, track effects.

Usable from every layer, including ``state`` for timeline playback; native libraries (FluidSynth for
SoundFont rendering, pedalboard for effects) are imported lazily inside functions. FluidSynth has a
pure-numpy fallback synth.
"""
