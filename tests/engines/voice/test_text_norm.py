"""Text normalization for speech: what the voice is asked to say, and the notes users get."""

from __future__ import annotations

import pytest

from genai_studio.core.errors import BadInput
from genai_studio.engines.voice.text_norm import MAX_TEXT_CHARS, normalize_text, paragraphs, split_sentences


def spoken(text: str) -> str:
    return normalize_text(text)[0]


@pytest.mark.parametrize("text, expected", [
    ("It costs $3.50.", "It costs three dollars and fifty cents."),
    ("Only $1 or $0.99 each", "Only one dollar or ninety nine cents each"),
    ("A €2,000,000 prize", "A two million euros prize"),
    ("Raised $1.5 million", "Raised one point five million dollars"),
    ("£12.01", "twelve pounds and one penny"),
])
def test_money(text, expected):
    assert spoken(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("at 3:30", "at three thirty"),
    ("at 3:05 p.m.", "at three oh five P M"),
    ("at 9:00", "at nine o'clock"),
    ("at 15:45", "at fifteen forty five"),
])
def test_times(text, expected):
    assert spoken(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("the 21st day", "the twenty first day"),
    ("in 1984", "in nineteen eighty four"),
    ("the 1990s", "the nineteen nineties"),
    ("pi is 3.14", "pi is three point one four"),
    ("up 50% today", "up fifty percent today"),
    ("it was -5 outside", "it was minus five outside"),
    ("1,500 people", "one thousand five hundred people"),
    ("No. 7 and #3", "number seven and number three"),
    ("72°F", "seventy two degrees Fahrenheit"),
])
def test_numbers(text, expected):
    assert spoken(text) == expected


def test_a_range_is_not_a_negative_number():
    assert "minus" not in spoken("pages 10-20")


@pytest.mark.parametrize("text, expected", [
    ("Dr. Smith met Mr. and Mrs. Jones.", "Doctor Smith met Mister and Missus Jones."),
    ("He lives on Main St. in St. Louis.", "He lives on Main Street in Saint Louis."),
    ("Fruit, e.g. apples, vs. candy", "Fruit, for example apples, versus candy"),
    ("Pens, paper, etc. Then more.", "Pens, paper, et cetera. Then more."),
])
def test_abbreviations(text, expected):
    assert spoken(text) == expected


def test_emoji_are_removed_and_counted():
    text, notes = normalize_text("Hi 😀 there 👍🏽, family 👨‍👩‍👧 from 🇺🇸!")
    assert text == "Hi there, family from!"
    assert notes == ["removed 4 emoji"]  # skin tone, ZWJ family and flag each count as one


def test_unsupported_characters_are_removed_with_a_note():
    text, notes = normalize_text("Say 你好 and ∑ now")
    assert text == "Say and now"
    assert len(notes) == 1 and "3 unsupported characters" in notes[0] and "你" in notes[0]


def test_clean_text_has_no_notes():
    assert normalize_text("Hello there, friend.") == ("Hello there, friend.", [])


def test_whitespace_and_paragraphs():
    text = spoken("First   line\twith  gaps\r\nsecond line\r\n\r\n\n\nNew paragraph.  ")
    assert text == "First line with gaps\nsecond line\n\nNew paragraph."
    assert paragraphs(text) == ["First line with gaps\nsecond line", "New paragraph."]


def test_other_languages_only_get_the_cleanup():
    text, notes = normalize_text("Es kostet 50% 😀", lang="de_DE")
    assert text == "Es kostet 50%" and notes == ["removed 1 emoji"]


def test_too_long_text_names_the_limit():
    with pytest.raises(BadInput, match=f"{MAX_TEXT_CHARS:,}"):
        normalize_text("a" * (MAX_TEXT_CHARS + 1))


def test_split_sentences_keeps_abbreviations_initials_and_decimals():
    text = "Dr. Smith met J. R. R. Tolkien. It cost 3.50 dollars! Did it? Yes, e.g. this one.\nA new line"
    assert split_sentences(text) == [
        "Dr. Smith met J. R. R. Tolkien.", "It cost 3.50 dollars!", "Did it?", "Yes, e.g. this one.", "A new line"]


def test_split_sentences_cuts_long_sentences_at_commas_then_spaces():
    sentence = ", ".join(f"item number {i}" for i in range(60)) + "."
    parts = split_sentences(sentence, max_chars=80)
    assert all(len(p) <= 80 for p in parts) and len(parts) > 5
    assert all(p.endswith((",", ".")) for p in parts)
    assert " ".join(parts) == sentence
    words = " ".join(["word"] * 100)
    parts = split_sentences(words, max_chars=50)
    assert all(len(p) <= 50 for p in parts) and " ".join(parts) == words


@pytest.mark.parametrize("text, expected", [
    ("Run 5km today", "Run five kilometers today"),
    ("a 1 kg bag", "a one kilogram bag"),
    ("the 100m sprint", "the one hundred meters sprint"),
    ("I am 5 m tall", "I am five m tall"),  # a spaced one-letter symbol stays as written: it may not be a unit
    ("at 10:45:30", "at ten forty five and thirty seconds"),
    ("at 24:00", "at twenty four hundred"),
    ("costs ¥100", "costs one hundred yen"),
    ("version 2.0.1", "version two point zero point one"),
    ("on 1/2/2024", "on January second, twenty twenty four"),
    ("on 13/2/2024", "on the thirteenth of February, twenty twenty four"),
])
def test_units_clock_seconds_more_currencies_versions_and_dates(text, expected):
    assert spoken(text) == expected
