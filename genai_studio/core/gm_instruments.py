"""General MIDI Level 1 instrument names (programs 0..127) and their 16 families of eight.

The table is what a MIDI clip's ``Melody.program`` means to a listener; the piano roll's instrument chooser
shows it grouped by family, and SoundFonts built for GM (FluidR3, TimGM6mb) hold these sounds at bank 0.
Programs are numbered from 0 here, as in MIDI data; many manuals number them from 1 (see :func:`display_number`).
"""

from __future__ import annotations

PROGRAM_COUNT = 128
PROGRAMS_PER_FAMILY = 8  # GM lays its families out as consecutive runs of eight programs

# (family, its eight instruments in program order); the order of families is the order of programs.
_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Piano", ("Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
               "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet")),
    ("Chromatic Percussion", ("Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone",
                              "Tubular Bells", "Dulcimer")),
    ("Organ", ("Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion",
               "Harmonica", "Tango Accordion")),
    ("Guitar", ("Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)",
                "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar",
                "Guitar Harmonics")),
    ("Bass", ("Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1",
              "Slap Bass 2", "Synth Bass 1", "Synth Bass 2")),
    ("Strings", ("Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings",
                 "Orchestral Harp", "Timpani")),
    ("Ensemble", ("String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs",
                  "Voice Oohs", "Synth Choir", "Orchestra Hit")),
    ("Brass", ("Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1",
               "Synth Brass 2")),
    ("Reed", ("Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon",
              "Clarinet")),
    ("Pipe", ("Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina")),
    ("Synth Lead", ("Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
                    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)")),
    ("Synth Pad", ("Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)",
                   "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)")),
    ("Synth Effects", ("FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
                       "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)")),
    ("Ethnic", ("Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai")),
    ("Percussive", ("Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom",
                    "Synth Drum", "Reverse Cymbal")),
    ("Sound Effects", ("Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring",
                       "Helicopter", "Applause", "Gunshot")),
)

FAMILIES: tuple[str, ...] = tuple(family for family, _names in _TABLE)
INSTRUMENTS: tuple[str, ...] = tuple(name for _family, names in _TABLE for name in names)  # index = program
_BY_NAME = {name.casefold(): program for program, name in enumerate(INSTRUMENTS)}


def _check(program: int) -> int:
    program = int(program)
    if not 0 <= program < PROGRAM_COUNT:
        raise ValueError(f"General MIDI programs are numbered 0..127, got {program}")
    return program


def instrument_name(program: int) -> str:
    """'Violin' for 40. ValueError outside 0..127."""
    return INSTRUMENTS[_check(program)]


def family_of(program: int) -> str:
    """'Strings' for 40. ValueError outside 0..127."""
    return FAMILIES[_check(program) // PROGRAMS_PER_FAMILY]


def family_programs(family: str) -> range:
    """The programs of one family, e.g. range(40, 48) for 'Strings'. KeyError for an unknown family."""
    try:
        first = FAMILIES.index(family) * PROGRAMS_PER_FAMILY
    except ValueError:
        raise KeyError(family) from None
    return range(first, first + PROGRAMS_PER_FAMILY)


def program_of(name: str) -> int | None:
    """The program called ``name`` (case and surrounding spaces ignored), or None."""
    return _BY_NAME.get(name.strip().casefold())


def display_number(program: int) -> int:
    """The 1-based number printed in GM charts and most synth manuals (Violin is 41)."""
    return _check(program) + 1
