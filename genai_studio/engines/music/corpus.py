"""The committed melody corpus (``models/data/melody_corpus.npz``, built by scripts/build_melody_corpus.py)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio.core.errors import ModelError
from genai_studio.core.melody_events import TICKS_PER_BEAT, MelodyEvents
from genai_studio.core.music import Key, Meter
from genai_studio.engines.music.tokens import EncodedTune, encode_events, style_of

SPLITS = ("train", "valid", "test")


def default_corpus_path() -> Path:
    from genai_studio.paths import PACKAGE_DIR

    return PACKAGE_DIR / "models" / "data" / "melody_corpus.npz"


@dataclass(frozen=True)
class CorpusTune:
    events: MelodyEvents
    book: str
    split: str
    style: str
    title: str


@functools.lru_cache(maxsize=2)
def _load(path: str) -> tuple[CorpusTune, ...]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}  # NpzFile decompresses on every [] access
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"melody corpus {path} cannot be read ({exc}); rebuild it with "
                         "scripts/build_melody_corpus.py") from None
    if int(data["ticks_per_beat"]) != TICKS_PER_BEAT:
        raise ModelError(f"melody corpus {path} uses another time grid; rebuild it")
    off = data["offsets"]
    pitch, dur, pos = data["pitch"].astype(np.int64), data["dur"].astype(np.int64), data["pos"].astype(np.int64)
    books, modes, splits = [list(map(str, data[k])) for k in ("book_names", "mode_names", "split_names")]
    tunes = []
    for i in range(len(off) - 1):
        a, b = int(off[i]), int(off[i + 1])
        meter = Meter(int(data["meter_num"][i]), int(data["meter_den"][i]))
        key = Key(int(data["tonic"][i]), modes[int(data["mode"][i])])
        title = str(data["title"][i])
        events = MelodyEvents(pitch[a:b], dur[a:b], pos[a:b], meter, key, title)
        book = books[int(data["book"][i])]
        tunes.append(CorpusTune(events, book, splits[int(data["split"][i])], style_of(book, meter, dur[a:b]), title))
    return tuple(tunes)


def load_corpus(split: str | None = None, path: str | Path | None = None,
                books: tuple[str, ...] | None = None) -> list[CorpusTune]:
    """Tunes of one split ("train" | "valid" | "test", or all), optionally from some books only."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    tunes = _load(str(path or default_corpus_path()))
    return [t for t in tunes if (split is None or t.split == split) and (books is None or t.book in books)]


def encode_corpus(tunes: list[CorpusTune]) -> list[EncodedTune]:
    return [encode_events(t.events, t.style) for t in tunes]
