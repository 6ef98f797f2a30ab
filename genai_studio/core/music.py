"""Melodies as plain data: notes in beats (quarter notes), keys, scales and meters. No Qt, no torch.

Times are in beats (one beat = one quarter note) so a melody keeps its rhythm when the tempo changes;
seconds come from ``tempo_bpm``. Pitches are MIDI note numbers (60 = middle C).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genai_studio.core.errors import BadInput

PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
PC_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MODES = {  # semitone steps of each mode from its tonic
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),  # natural minor / aeolian
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}
MODE_ALIASES = {"maj": "major", "ionian": "major", "min": "minor", "m": "minor", "aeolian": "minor",
                "dor": "dorian", "mix": "mixolydian"}


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class 0..11
    mode: str  # one of MODES

    @property
    def scale(self) -> frozenset[int]:
        """Pitch classes of the scale."""
        return frozenset((self.tonic + step) % 12 for step in MODES[self.mode])

    def contains(self, pitch: int) -> bool:
        return pitch % 12 in self.scale

    def __str__(self) -> str:
        return f"{PC_NAMES[self.tonic]} {self.mode}"


def parse_key(text: str) -> Key:
    """'D major', 'e minor', 'F# dorian', 'Bb mix', 'Am' → Key; unknown text is a clear BadInput."""
    match = re.fullmatch(r"\s*([A-Ga-g])([#b♯♭]?)\s*([A-Za-z]*)\s*", text or "")
    if not match:
        raise BadInput(f"'{text}' is not a key; write it like 'D major', 'E minor' or 'G mixolydian'.")
    letter, accidental, mode = match.groups()
    tonic = (PITCH_CLASSES[letter.upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)) % 12
    mode = MODE_ALIASES.get(mode.lower(), mode.lower() or "major")
    if mode not in MODES:
        raise BadInput(f"'{text}': unknown mode '{mode}'; use one of {', '.join(MODES)}.")
    return Key(tonic, mode)


@dataclass(frozen=True)
class Meter:
    numerator: int
    denominator: int

    @property
    def beats_per_bar(self) -> float:
        """Bar length in quarter-note beats (6/8 → 3.0)."""
        return self.numerator * 4.0 / self.denominator

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


def parse_meter(text: str) -> Meter:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*", text or "")
    if not match:
        raise BadInput(f"'{text}' is not a time signature; write it like 4/4, 3/4 or 6/8.")
    num, den = int(match.group(1)), int(match.group(2))
    if num < 1 or den not in (1, 2, 4, 8, 16):
        raise BadInput(f"'{text}' is not a usable time signature (the lower number must be 1, 2, 4, 8 or 16).")
    return Meter(num, den)


@dataclass(frozen=True)
class Note:
    pitch: int  # MIDI note number 0..127
    start: float  # beats from the start of the clip
    duration: float  # beats
    velocity: int = 90  # 1..127

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class Melody:
    notes: tuple[Note, ...] = ()
    tempo_bpm: float = 120.0
    key: str = "C major"
    time_signature: str = "4/4"
    name: str = "melody"
    program: int = 0  # General MIDI program (0 = acoustic grand piano)
    metadata: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.tempo_bpm <= 400:
            raise BadInput(f"tempo must be between 1 and 400 BPM, got {self.tempo_bpm:g}")
        for n in self.notes:
            if not 0 <= n.pitch <= 127 or n.duration <= 0 or n.start < 0 or not 1 <= n.velocity <= 127:
                raise BadInput(f"invalid note {n}: pitch 0..127, start ≥ 0, duration > 0, velocity 1..127")

    @property
    def duration_beats(self) -> float:
        return max((n.end for n in self.notes), default=0.0)

    @property
    def seconds_per_beat(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def bars(self) -> float:
        return self.duration_beats / parse_meter(self.time_signature).beats_per_bar

    def is_monophonic(self, tolerance: float = 1e-6) -> bool:
        ordered = sorted(self.notes, key=lambda n: n.start)
        return all(a.end <= b.start + tolerance for a, b in zip(ordered, ordered[1:]))

    def sorted(self) -> "Melody":
        from dataclasses import replace

        return replace(self, notes=tuple(sorted(self.notes, key=lambda n: (n.start, n.pitch))))
