"""Lyrics → syllables → notes, and a word's phonemes → its sung syllables."""

from __future__ import annotations

import pytest

from genai_studio.core.errors import BadInput
from genai_studio.engines.voice.lyrics import (HOLD, align, align_syllables, fit_syllables, parse_lyrics,
                                               phoneme_syllables, pronounce_syllables, syllabify)


@pytest.mark.parametrize("lyrics, expected", [
    ("hello world", ["hel", "lo", "world"]),
    ("beautiful", ["beau", "ti", "ful"]),
    ("singing", ["sing", "ing"]),
    ("table little twinkle", ["ta", "ble", "lit", "tle", "twin", "kle"]),
    ("came makes jumped", ["came", "makes", "jumped"]),  # silent e, -es, -ed
    ("wanted boxes hundred", ["wan", "ted", "box", "es", "hun", "dred"]),  # sounded -ed / -es
    ("lion nation", ["li", "on", "na", "tion"]),
    ("yes beyond my lyric", ["yes", "be", "yond", "my", "ly", "ric"]),
    ("Don't stop!", ["Don't", "stop"]),
    ("I have 2 cats", ["I", "have", "two", "cats"]),
])
def test_syllabify(lyrics, expected):
    assert syllabify(lyrics) == expected


def test_hyphens_force_the_split():
    assert syllabify("ho-ly night") == ["ho", "ly", "night"]
    assert syllabify("a- men") == ["a", "men"]  # lyric-sheet style: the word continues after "-"
    assert syllabify("beau-ti-ful") == ["beau", "ti", "ful"]


def test_hold_tokens_each_hold_one_note():
    assert syllabify("la _ la - la -- la __") == ["la", HOLD, "la", HOLD, "la", HOLD, "la", HOLD]


def test_parsed_syllables_know_their_word():
    first, second, third = parse_lyrics("ho-ly night")
    assert (first.word, first.index, first.count) == ("holy", 0, 2)
    assert (second.word, second.index) == ("holy", 1)
    assert (third.word, third.count) == ("night", 1)


def test_align_one_syllable_per_note():
    pairs, notes = align(["si", "lent", "night"], range(3))
    assert pairs == [(0, "si"), (1, "lent"), (2, "night")] and notes == []


def test_align_holds_the_last_syllable_over_extra_notes():
    pairs, notes = align(["ho", "ly"], range(4))
    assert pairs == [(0, "ho"), (1, "ly"), (2, HOLD), (3, HOLD)]
    assert len(notes) == 1 and "'ly' is held" in notes[0]


def test_align_drops_extra_syllables_and_names_the_words():
    pairs, notes = align_syllables(parse_lyrics("si-lent night ho-ly night"), 3)
    assert pairs == [(0, 0), (1, 1), (2, 2)]
    assert len(notes) == 1 and "3 syllable(s)" in notes[0] and notes[0].endswith("holy night")


def test_align_melisma_marks_and_leading_holds():
    pairs, notes = align(syllabify("_ a _ _ men"), range(4))
    assert pairs == [(0, "a"), (1, HOLD), (2, HOLD), (3, "men")]
    assert notes == ["ignored 1 hold mark(s) before the first word"]


def test_align_needs_words_and_notes():
    with pytest.raises(BadInput, match="no words"):
        align([HOLD, HOLD], range(3))
    with pytest.raises(BadInput, match="no notes"):
        align(["la"], [])


@pytest.mark.parametrize("phonemes, expected", [
    ("hˈoʊli", ["hˈoʊ", "li"]),
    ("bjˈuːɾifəl", ["bjˈuː", "ɾi", "fəl"]),
    ("sˈɪŋɪŋ", ["sˈɪŋ", "ɪŋ"]),
    ("tʃˈɪldɹən", ["tʃˈɪl", "dɹən"]),
    ("stˈɑːɹ", ["stˈɑːɹ"]),
    ("həlˈoʊ", ["hə", "lˈoʊ"]),
])
def test_phoneme_syllables(phonemes, expected):
    assert ["".join(s) for s in phoneme_syllables(list(phonemes))] == expected


def test_fit_syllables_merges_or_holds():
    fire = phoneme_syllables(list("fˈaɪɚ"))  # two vowel nuclei, one written syllable
    assert ["".join(s) for s in fit_syllables(fire, 1)] == ["fˈaɪɚ"]
    came = phoneme_syllables(list("kˈeɪm"))
    fitted = fit_syllables(came, 2)  # spelled as two syllables: the second is sung as a hold
    assert "".join(fitted[0]) == "kˈeɪm" and fitted[1] is None


def test_pronounce_syllables_uses_whole_word_phonemes():
    dictionary = {"holy": "hˈoʊli", "night": "nˈaɪt", "came": "kˈeɪm", "hello": "həlˈoʊ"}
    parsed = parse_lyrics("ho-ly night _ ca-me hello")
    sung = pronounce_syllables(parsed, lambda word: list(dictionary[word]))
    # every sung syllable is stressed; the hold stays a hold; "ca-me" has one vowel, so "me" is held
    assert sung == ["hˈoʊ", "lˈi", "nˈaɪt", None, "kˈeɪm", None, "hˈə", "lˈoʊ"]
