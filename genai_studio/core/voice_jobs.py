"""Job specs and the result type of the voice features: speak, transform, denoise, sing.

Ranges are checked here so the GUI, the CLI and the engines reject the same values with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from genai_studio.core.jobs import DEVICES, JobSpec
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody

BUNDLED_VOICE_ID = "piper-en-us-joe-medium"
SPEECH_STYLES = ("neutral", "calm", "excited", "sad", "whisper")
TRANSFORM_EFFECTS = ("none", "robot", "whisper", "monotone")
DENOISE_METHODS = ("deepfilternet", "rnnoise")
# Longer text is refused with this limit named (about 15,000 words, an hour of speech).
MAX_SPEAK_CHARS = 100_000


def _in_range(name: str, value: float, low: float, high: float, unit: str = "") -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}{unit}, got {value:g}{unit}")


def _check_device(device: str) -> None:
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")


@dataclass(frozen=True, eq=False)
class SpeakSpec(JobSpec):
    text: str = ""
    voice_id: str = BUNDLED_VOICE_ID
    speed: float = 1.0  # 2.0 = twice as fast
    pitch_semitones: float = 0.0
    volume_db: float = 0.0
    pause_s: float = 0.35  # silence between sentences; paragraphs get twice as much
    style: str = "neutral"

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("type or paste some text to speak")
        if len(self.text) > MAX_SPEAK_CHARS:
            raise ValueError(f"the text has {len(self.text):,} characters; the limit is {MAX_SPEAK_CHARS:,}. "
                             "Split it into several clips.")
        _in_range("speed", self.speed, 0.5, 2.0, "x")
        _in_range("pitch", self.pitch_semitones, -12, 12, " semitones")
        _in_range("volume", self.volume_db, -30, 12, " dB")
        _in_range("pause", self.pause_s, 0, 3, " s")
        if self.style not in SPEECH_STYLES:
            raise ValueError(f"style must be one of {', '.join(SPEECH_STYLES)}, got {self.style!r}")
        _check_device(self.device)

    @property
    def title(self) -> str:
        words = self.text.split()
        head = " ".join(words[:6]) + ("…" if len(words) > 6 else "")
        return f"Speak · {head}"


@dataclass(frozen=True, eq=False)
class VoiceTransformSpec(JobSpec):
    audio: AudioBuffer | None = None
    pitch_semitones: float = 0.0
    formant_ratio: float = 1.0  # > 1 brighter ("younger/female"), < 1 darker ("older/male")
    tempo_ratio: float = 1.0  # 2.0 = twice as fast, same pitch
    effect: str = "none"

    def __post_init__(self) -> None:
        if self.audio is None:
            raise ValueError("select an audio clip to transform")
        _in_range("pitch", self.pitch_semitones, -24, 24, " semitones")
        _in_range("formant ratio", self.formant_ratio, 0.5, 2.0)
        _in_range("tempo ratio", self.tempo_ratio, 0.25, 4.0)
        if self.effect not in TRANSFORM_EFFECTS:
            raise ValueError(f"effect must be one of {', '.join(TRANSFORM_EFFECTS)}, got {self.effect!r}")
        _check_device(self.device)

    @property
    def title(self) -> str:
        parts = []
        if self.pitch_semitones:
            parts.append(f"{self.pitch_semitones:+g} st")
        if self.formant_ratio != 1.0:
            parts.append(f"formant ×{self.formant_ratio:g}")
        if self.tempo_ratio != 1.0:
            parts.append(f"tempo ×{self.tempo_ratio:g}")
        if self.effect != "none":
            parts.append(self.effect)
        return f"Transform {self.audio.name} ({', '.join(parts) or 'unchanged'})"


@dataclass(frozen=True, eq=False)
class VoiceDenoiseSpec(JobSpec):
    audio: AudioBuffer | None = None
    strength: float = 1.0  # 0 = unchanged … 1 = full noise removal
    method: str = "deepfilternet"

    def __post_init__(self) -> None:
        if self.audio is None:
            raise ValueError("select an audio clip to denoise")
        _in_range("strength", self.strength, 0.0, 1.0)
        if self.method not in DENOISE_METHODS:
            raise ValueError(f"method must be one of {', '.join(DENOISE_METHODS)}, got {self.method!r}")
        _check_device(self.device)

    @property
    def title(self) -> str:
        return f"Denoise {self.audio.name} ({self.method}, {self.strength:.0%})"


@dataclass(frozen=True, eq=False)
class SingSpec(JobSpec):
    melody: Melody | None = None
    lyrics: str = ""
    voice_id: str = BUNDLED_VOICE_ID
    legato: float = 0.5  # 0 = detached notes … 1 = notes run into each other
    vibrato_cents: float = 30.0  # depth (peak deviation)
    breathiness: float = 0.1  # 0 … 1

    def __post_init__(self) -> None:
        if self.melody is None or not self.melody.notes:
            raise ValueError("select a MIDI clip with notes to sing")
        if not self.lyrics.strip():
            raise ValueError("type the lyrics to sing")
        _in_range("legato", self.legato, 0.0, 1.0)
        _in_range("vibrato depth", self.vibrato_cents, 0.0, 200.0, " cents")
        _in_range("breathiness", self.breathiness, 0.0, 1.0)
        _check_device(self.device)

    @property
    def title(self) -> str:
        return f"Sing {self.melody.name}"


@dataclass(frozen=True, eq=False)
class AudioResult:
    audio: AudioBuffer
    spec: JobSpec
    seconds: float
    notes: tuple[str, ...] = ()  # things the user should know, e.g. "removed 2 emoji"
