"""Lyrics → syllables → notes.

Rules (shown to users in the singing panel's help):
- Words are split into syllables automatically (English spelling rules); a hyphen inside a word forces the
  split: ``ho-ly`` → ``ho`` + ``ly``. A word written ``a-`` followed by ``men`` (lyric-sheet style) also joins.
- A token made only of ``_`` or ``-`` characters (``_``, ``-``, ``__``, ``--``) holds the previous syllable
  over one more note (a melisma). Each such token is one extra note.
- Syllables take notes in order, one each. Fewer syllables than notes: the last syllable is held (melisma)
  over the remaining notes. More syllables than notes: the extra ones are not sung, and a note names the
  words left out. Rests (gaps between notes) are silent; a held syllable resumes after a rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from genai_studio.core.errors import BadInput

HOLD = "_"  # in syllabify()/align() output: this note continues the previous syllable

_VOWELS = set("aeiouyàáâäèéêëìíîïòóôöùúûüæœ")
# Consonant pairs that begin syllables together (so "ta-ble", "mo-ther", "a-pron"); others split VC-CV.
_ONSETS = {"bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "kn", "ph", "pl", "pr", "qu", "sc",
           "sh", "sk", "sl", "sm", "sn", "sp", "st", "sw", "th", "tr", "tw", "wh", "wr", "thr", "str", "spr",
           "scr", "spl", "squ", "shr", "sch"}
# Pairs that stay with the syllable before ("sing-ing", "pick-le", "tax-i").
_CODAS = {"ng", "ck", "x", "gh"}
# Vowel pairs that are two syllables ("li-on", "vi-o-lin", "cre-ate") unless a soft consonant before them
# makes them one sound ("na-tion", "spe-cial", "re-gion").
_HIATUS = {"ia", "io", "iu", "eo", "ua", "uo"}
_SOFT_BEFORE_HIATUS = set("tcsgx")
_WORD_RE = re.compile(r"[^\W\d_][\w']*(?:-[\w']+)*-?|\d+", re.UNICODE)


@dataclass(frozen=True)
class Syllable:
    text: str  # spelling of this syllable ("ho"); HOLD for a melisma hold
    word: str  # the whole word without hyphens ("holy"); "" for a hold
    index: int  # position in the word, 0-based
    count: int  # syllables in the word

    @property
    def is_hold(self) -> bool:
        return self.text == HOLD


def parse_lyrics(lyrics: str) -> list[Syllable]:
    """Lyrics → syllables with their word context (sing() uses the word to pronounce each syllable)."""
    syllables: list[Syllable] = []
    pending = ""  # a word ending in "-" continues into the next token ("a- men")
    for token in lyrics.split():
        if set(token) <= {"_", "-"}:
            if pending:
                syllables.extend(_word_syllables(pending.rstrip("-")))
                pending = ""
            syllables.append(Syllable(HOLD, "", 0, 1))
            continue
        for word in _WORD_RE.findall(token):
            if word.isdigit():
                from genai_studio.engines.voice.text_norm import normalize_text

                for spoken in normalize_text(word)[0].split():
                    syllables.extend(_word_syllables(pending + spoken))
                    pending = ""
                continue
            if word.endswith("-"):
                pending += word
                continue
            syllables.extend(_word_syllables(pending + word))
            pending = ""
    if pending:
        syllables.extend(_word_syllables(pending.rstrip("-")))
    return syllables


def non_latin_words(syllables: list[Syllable]) -> list[str]:
    """Words of the lyrics with letters outside the Latin alphabet, in order, each once."""
    from genai_studio.engines.voice.text_norm import is_latin

    return [w for w in dict.fromkeys(s.word for s in syllables if s.word)
            if any(ch.isalpha() and not is_latin(ch) for ch in w)]


def foreign_words_note(syllables: list[Syllable], language: str) -> list[str]:
    """An English voice cannot read other scripts: a note naming the words that will not be sung as written."""
    words = non_latin_words(syllables) if language.startswith("en") else []
    if not words:
        return []
    shown = ", ".join(f"'{w}'" for w in words[:4]) + (" …" if len(words) > 4 else "")
    return [f"this voice sings English; {shown} {'is' if len(words) == 1 else 'are'} not in its alphabet and "
            "will not be sung as written"]


def syllabify(lyrics: str) -> list[str]:
    """English syllables of ``lyrics`` in order; :data:`HOLD` (``"_"``) marks a held (melisma) note."""
    return [s.text for s in parse_lyrics(lyrics)]


def align(syllables: list[str], notes: Sequence) -> tuple[list[tuple[int, str]], list[str]]:
    """Syllables onto notes → ([(note_index, syllable)], notes for the user). See the module rules.

    A held note is returned as ``(index, HOLD)``. ``notes`` only needs a length (their order is the sung order).
    """
    pairs, messages = _align_indices([s == HOLD for s in syllables], len(notes), syllables)
    return [(n, HOLD if i < 0 else syllables[i]) for n, i in pairs], messages


def align_syllables(syllables: list[Syllable], n_notes: int) -> tuple[list[tuple[int, int]], list[str]]:
    """Like :func:`align` for parsed syllables: [(note_index, syllable_index or -1 for a hold)]."""
    return _align_indices([s.is_hold for s in syllables], n_notes, [s.text for s in syllables], syllables)


def _align_indices(holds: list[bool], n_notes: int, texts: list[str],
                   parsed: list[Syllable] | None = None) -> tuple[list[tuple[int, int]], list[str]]:
    if not any(not h for h in holds):
        raise BadInput("The lyrics have no words to sing; write the words (for example 'la la la').")
    if n_notes <= 0:
        raise BadInput("The melody has no notes to sing.")
    messages: list[str] = []
    first = holds.index(False)
    if first:
        messages.append(f"ignored {first} hold mark(s) before the first word")
    order = list(range(first, len(holds)))
    sung, dropped = order[:n_notes], order[n_notes:]
    pairs = [(n, -1 if holds[i] else i) for n, i in enumerate(sung)]
    dropped = [i for i in dropped if not holds[i]]
    if dropped:
        messages.append(_dropped_message(dropped, texts, parsed))
    if len(pairs) < n_notes:
        last = max(i for i in sung if not holds[i])
        extra = n_notes - len(pairs)
        messages.append(f"{extra} note(s) had no syllable left; '{texts[last]}' is held over them")
        pairs.extend((n, -1) for n in range(len(pairs), n_notes))
    return pairs, messages


def _dropped_message(dropped: list[int], texts: list[str], parsed: list[Syllable] | None) -> str:
    if parsed is None:
        words = [texts[k] for k in dropped]
    else:
        words = []
        for k in dropped:
            word = parsed[k].word
            if not words or parsed[k].index == 0 or words[-1] != word:
                words.append(word)
    shown = " ".join(words)
    if len(shown) > 80:
        shown = shown[:77] + "…"
    return f"{len(dropped)} syllable(s) had no note and are not sung: {shown}"


# --- English syllabification --------------------------------------------------------------------------


def _word_syllables(word: str) -> list[Syllable]:
    pieces = [p for p in word.split("-") if p] if "-" in word else _split_word(word)
    whole = "".join(pieces)
    return [Syllable(p, whole, i, len(pieces)) for i, p in enumerate(pieces)]


def _split_word(word: str) -> list[str]:
    """Spelling → syllables: vowel groups are nuclei, consonants between them split by onset rules."""
    lower = word.lower()
    groups = _vowel_groups(lower)
    if len(groups) <= 1:
        return [word]
    cuts = []
    for (_a0, a1), (b0, _b1) in zip(groups, groups[1:]):
        cluster = lower[a1:b0]
        if b0 == len(lower) - 1 and lower.endswith("le") and len(cluster) >= 2:
            cuts.append(b0 - 2)  # consonant + "le" is the last syllable: lit-tle, twin-kle
        else:
            cuts.append(a1 + _cut_in_cluster(cluster))
    bounds = [0, *cuts, len(word)]
    return [word[s:e] for s, e in zip(bounds, bounds[1:]) if e > s]


def _vowel_groups(word: str) -> list[tuple[int, int]]:
    """[(start, end)] of the letters that make each syllable's vowel sound."""
    # y is a consonant at the start of a word or before a vowel ("yes", "be-yond"), else a vowel ("my", "ly-ric").
    is_vowel = [c in _VOWELS and not (c == "y" and (i == 0 or (i + 1 < len(word) and word[i + 1] in _VOWELS)))
                for i, c in enumerate(word)]
    if "qu" in word:  # the u of "qu" is a consonant sound
        for m in re.finditer("qu", word):
            is_vowel[m.start() + 1] = False
    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(word):
        if not is_vowel[i]:
            i += 1
            continue
        j = i + 1
        while j < len(word) and is_vowel[j]:
            pair = word[j - 1 : j + 1]
            soft = j >= 2 and word[j - 2] in _SOFT_BEFORE_HIATUS
            if pair in _HIATUS and not soft:
                break
            j += 1
        groups.append((i, j))
        i = j
    return _drop_silent_e(word, groups)


def _drop_silent_e(word: str, groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(groups) < 2:
        return groups
    start, end = groups[-1]
    tail = word[start:]
    consonant_before = start > 0 and word[start - 1] not in _VOWELS
    # "-e" (came), "-es" (makes), "-ed" (jumped) are silent after most consonants; "-le" is a syllable (ta-ble).
    if tail == "e" and consonant_before and not (word.endswith("le") and len(word) > 2 and word[-3] not in _VOWELS):
        return groups[:-1]
    if tail in ("es", "ed") and consonant_before:
        before = word[:start]
        if tail == "ed":  # wan-ted, nee-ded, hun-dred, sa-cred
            sounded = before.endswith(("t", "d")) or (before.endswith("r") and before[-2:-1] not in _VOWELS)
        else:  # box-es, wish-es
            sounded = before.endswith(("s", "x", "z", "ch", "sh", "ce", "ge"))
        if not sounded:
            return groups[:-1]
    return groups


def _cut_in_cluster(cluster: str) -> int:
    """Where, within the consonants between two vowel groups, the syllable boundary falls."""
    n = len(cluster)
    if n == 0:
        return 0
    if cluster in _CODAS:
        return n
    if n == 1:
        return 0
    for coda in _CODAS:
        if cluster.startswith(coda) and len(coda) < n:
            return len(coda)
    if cluster[0] == cluster[1]:  # doubled consonant: hel-lo, lit-tle
        return 1
    for size in (3, 2):
        if n >= size and cluster[-size:] in _ONSETS:
            return n - size
    return 1 if n == 2 else n - 1


# --- pronunciation: a word's phonemes split into its syllables ----------------------------------------

# IPA vowel symbols (espeak-ng output); a nucleus is a vowel plus length marks and a diphthong glide.
_IPA_VOWELS = set("aeiouyɑɐɒæɔəɘɚɛɜɝɞɤɨɪʉʊʌʏøœɶᵻɯɵ")
_IPA_MODIFIERS = set("ːˑ̃̆")
_DIPHTHONGS = {"aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ", "əʊ", "ɑɪ", "ɛə", "ɪə", "ʊə", "eə"}
_STRESS = set("ˈˌ")


def phoneme_syllables(phonemes: Sequence[str]) -> list[list[str]]:
    """A word's phonemes (espeak-ng IPA, one symbol per item) → syllables, each with one vowel nucleus.

    Consonants between two nuclei: one goes with the next syllable; of two or more, the first stays with
    the syllable before. Stress marks travel with the nucleus after them.
    """
    items = [p for p in phonemes if p.strip()]
    nuclei: list[tuple[int, int]] = []  # [start, end) of each nucleus in items
    i = 0
    while i < len(items):
        if items[i] not in _IPA_VOWELS:
            i += 1
            continue
        j = i + 1
        while j < len(items) and items[j] in _IPA_MODIFIERS:
            j += 1
        if j < len(items) and items[i] + items[j] in _DIPHTHONGS:
            j += 1
            while j < len(items) and items[j] in _IPA_MODIFIERS:
                j += 1
        nuclei.append((i, j))
        i = j
    if len(nuclei) <= 1:
        return [items] if items else []
    bounds = [0]
    for (_, a_end), (b_start, _) in zip(nuclei, nuclei[1:]):
        between = list(range(a_end, b_start))
        consonants = [k for k in between if items[k] not in _STRESS]
        if not consonants:
            cut = b_start
        elif len(consonants) == 1:
            # "ŋ" never starts an English syllable: sing-ing
            cut = consonants[0] + 1 if items[consonants[0]] == "ŋ" else consonants[0]
        else:
            cut = consonants[1]
        # a stress mark right before the cut belongs to the next syllable
        while cut > a_end and items[cut - 1] in _STRESS:
            cut -= 1
        bounds.append(cut)
    bounds.append(len(items))
    return [items[s:e] for s, e in zip(bounds, bounds[1:])]


def fit_syllables(phoneme_sylls: list[list[str]], count: int) -> list[list[str] | None]:
    """Match a word's phoneme syllables to its ``count`` written syllables.

    More phoneme syllables than written ones: the extras join the last written syllable ("fire" sung on one
    note). Fewer: the written syllables left over get None and are sung as holds of the one before.
    """
    if count <= 0:
        return []
    if not phoneme_sylls:
        return [None] * count
    if len(phoneme_sylls) >= count:
        head = phoneme_sylls[: count - 1]
        tail = [p for syl in phoneme_sylls[count - 1:] for p in syl]
        return [*head, tail]
    return [*phoneme_sylls, *([None] * (count - len(phoneme_sylls)))]


def pronounce_syllables(parsed: list[Syllable], phonemize: Callable[[str], list[str]]) -> list[str | None]:
    """Phonemes to sing for each parsed syllable (None: sung as a hold of the syllable before).

    Words are phonemized whole (``phonemize(word)`` → IPA symbols, e.g. from the voice's espeak-ng), split
    at their vowel nuclei and fitted to the written syllables; every sung syllable gets primary stress (full
    vowel quality and length).
    """
    result: list[str | None] = [None] * len(parsed)
    k = 0
    while k < len(parsed):
        syl = parsed[k]
        if syl.is_hold:
            k += 1
            continue
        run = 1  # written syllables of this word from here on
        while (k + run < len(parsed) and not parsed[k + run].is_hold and parsed[k + run].word == syl.word
               and parsed[k + run].index == syl.index + run):
            run += 1
        phonemes = [p for p in phonemize(syl.word) if p.strip() and p not in ".,;:!?"]
        fitted = fit_syllables(phoneme_syllables(phonemes), syl.count)[syl.index: syl.index + run]
        for offset, syllable in enumerate(fitted):
            result[k + offset] = _with_stress("".join(syllable)) if syllable else None
        k += run
    return result


def _with_stress(phonemes: str) -> str:
    plain = phonemes.replace("ˈ", "").replace("ˌ", "")
    for i, ch in enumerate(plain):
        if ch in _IPA_VOWELS:
            return plain[:i] + "ˈ" + plain[i:]
    return plain
