"""Text → what a voice should say: numbers, money, times and abbreviations spelled out, emoji removed.

Piper's phonemizer (espeak-ng) reads digits itself, but badly for money, times, ordinals and years, and it
spells out emoji names or stumbles on symbols. English rules only; for other languages only the clean-up
(emoji, unsupported characters, whitespace) runs, since espeak-ng reads numbers in the voice's language.
"""

from __future__ import annotations

import re
import unicodedata

from num2words import num2words

from genai_studio.core.errors import BadInput

MAX_TEXT_CHARS = 100_000

# Typography the voice reads better as plain ASCII; dashes become pauses.
_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2212": "-", "\u2014": ", ", "\u2015": ", ", "\u2026": "...",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\t": " ", "\r": "\n",
    "\u00d7": " times ", "\u00f7": " divided by ", "\u00b1": " plus or minus ",
})

# Abbreviation → spoken form. Keys match case-sensitively, followed by a word boundary.
_ABBREVIATIONS = {
    "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Dr.": "Doctor", "Prof.": "Professor",
    "Jr.": "Junior", "Sr.": "Senior", "Mt.": "Mount", "Ave.": "Avenue", "Rd.": "Road", "Blvd.": "Boulevard",
    "Inc.": "Incorporated", "Ltd.": "Limited", "Co.": "Company", "Corp.": "Corporation", "Dept.": "Department",
    "vs.": "versus", "approx.": "approximately", "etc.": "et cetera", "e.g.": "for example",
    "i.e.": "that is", "a.m.": "A M", "p.m.": "P M", "Jan.": "January", "Feb.": "February",
    "Aug.": "August", "Sept.": "September", "Oct.": "October", "Nov.": "November", "Dec.": "December",
}
_ABBR_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(k) for k in sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")"
    r"(?=\s+(\S)|$|[\s,;:!?)\"'])"
)
# "St." is "Saint" before a name ("St. Louis") and "Street" after one ("Main St.").
_SAINT_RE = re.compile(r"(?<![\w.])St\.(?=\s+[A-Z])")
_STREET_RE = re.compile(r"(?<![\w.])St\.")
_NUMBER_ABBR_RE = re.compile(r"(?<![\w.])No\.(?=\s*\d)")

_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
             "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "sen", "sen"),
             "₹": ("rupee", "rupees", "paisa", "paise"), "₩": ("won", "won", "jeon", "jeon")}
_SCALE_WORDS = r"(thousand|million|billion|trillion|k|m|bn)\b"
_MONEY_RE = re.compile(r"([$€£¥₹₩])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s?" + _SCALE_WORDS + ")?", re.I)
_PERCENT_RE = re.compile(r"((?:(?<![\w.-])-)?\d+(?:\.\d+)?)\s?%")
_CLOCK_SECONDS_RE = re.compile(r"\b([01]?\d|2[0-4]):([0-5]\d):([0-5]\d)\b")
_TIME_RE = re.compile(r"\b([01]?\d|2[0-4]):([0-5]\d)(?:\s?([AaPp])\.?\s?[Mm]\b\.?)?")
# Numeric dates, month first when that reads as a date (the voices are US English), else day first.
_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
# Version numbers and section numbers: "2.0.1" is "two point zero point one", not a decimal and a stray digit.
_DOTTED_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w.]*\d)")
# unit symbol → (singular, plural). Multi-letter symbols may follow a space; one-letter ones must touch the
# number ("5m" is five meters, "5 m" might be anything). US spellings, like the bundled voice.
_UNITS = {"km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"),
          "mm": ("millimeter", "millimeters"), "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"),
          "ml": ("milliliter", "milliliters"), "mph": ("mile per hour", "miles per hour"),
          "km/h": ("kilometer per hour", "kilometers per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
          "lbs": ("pound", "pounds"), "lb": ("pound", "pounds"), "ft": ("foot", "feet"),
          "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
          "GHz": ("gigahertz", "gigahertz"), "KB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
          "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "ms": ("millisecond", "milliseconds"),
          "m": ("meter", "meters"), "g": ("gram", "grams")}
_UNIT_RE = re.compile(
    r"((?:(?<![\w.-])-)?(?<![\d.])\d+(?:\.\d+)?)"
    r"(?:\s?(" + "|".join(re.escape(u) for u in sorted((u for u in _UNITS if len(u) > 1), key=len, reverse=True))
    + r")|(" + "|".join(u for u in _UNITS if len(u) == 1) + r"))(?![\w/])")
_ORDINAL_RE = re.compile(r"\b(\d{1,9})(st|nd|rd|th)\b", re.I)
_DEGREE_RE = re.compile(r"(-?\d+(?:\.\d+)?)\s?°\s?([CF])?\b")
_YEAR_RE = re.compile(r"(?<![\d.,$€£¥₹₩-])\b(1[1-9]\d\d|20\d\d)s?\b(?![.,]\d)")
# A minus sign only counts at the start of a word: "10-20" is a range, "-5" is negative.
_MINUS = r"(?:(?<![\w.-])-)?"
_DECIMAL_RE = re.compile(_MINUS + r"(?<![\d.])\d+\.\d+(?![\d.])")
_CARDINAL_RE = re.compile(_MINUS + r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)(?!\d)")
_HASH_NUMBER_RE = re.compile(r"#\s?(?=\d)")
_AMPERSAND_RE = re.compile(r"\s*&\s*")

# Punctuation espeak-ng handles (pauses, intonation); other languages also keep the symbols espeak-ng reads
# in that language (English ones were spelled out by _expand_english).
_KEEP_PUNCT = set(".,;:!?'\"()-/ \n")
_KEEP_SYMBOLS_OTHER_LANG = set("%$€£¥₹₩&+=@#°")


def normalize_text(text: str, lang: str = "en") -> tuple[str, list[str]]:
    """Text as it should be spoken, plus notes for the user (what was removed).

    ``lang`` is the voice's language code ("en", "en_US", "de_DE"…); number and abbreviation rules are
    English and only run for English. Paragraphs (blank lines) are kept as ``"\\n\\n"``; single line breaks
    are kept as ``"\\n"`` (a sentence boundary for :func:`split_sentences`).
    """
    if len(text) > MAX_TEXT_CHARS:
        raise BadInput(f"The text is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}. "
                       "Split it into parts.")
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").translate(_TRANSLATE)
    notes: list[str] = []
    text, emoji = _remove_emoji(text)
    if emoji:
        notes.append(f"removed {emoji} emoji")
    english = lang.lower().startswith("en")
    if english:
        text = _expand_english(text)
    text, dropped = _remove_unsupported(text, english)
    if dropped:
        shown = " ".join(dict.fromkeys(dropped))
        kind = "character" if len(dropped) == 1 else "characters"
        notes.append(f"removed {len(dropped)} unsupported {kind}: {shown[:60]}")
    return _tidy_whitespace(text), notes


def split_sentences(text: str, max_chars: int = 300) -> list[str]:
    """Sentences of ``text`` (line breaks also end one), each at most ``max_chars`` long.

    Does not split after abbreviations ("Dr.", "e.g."), initials ("J. R. R.") or inside decimals ("3.14");
    an over-long sentence is cut at the last comma/semicolon/colon before the limit, else at a space.
    """
    if max_chars < 20:
        raise ValueError("max_chars must be at least 20")
    sentences: list[str] = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END_RE.finditer(line):
            end = match.end()
            if _is_abbreviation_end(line, match.start()):
                continue
            sentences.extend(_split_long(line[start:end].strip(), max_chars))
            start = end
        if line[start:].strip():
            sentences.extend(_split_long(line[start:].strip(), max_chars))
    return [s for s in sentences if s]


def paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs of normalized text (separated by blank lines)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# --- numbers and abbreviations ------------------------------------------------------------------------


def _words(number: int | str) -> str:
    """num2words without its thousands commas, which espeak would read as pauses."""
    return num2words(number).replace(",", "").replace("-", " ")


def _expand_english(text: str) -> str:
    text = _MONEY_RE.sub(_money, text)
    text = _DATE_RE.sub(_date, text)
    text = _CLOCK_SECONDS_RE.sub(_clock_with_seconds, text)
    text = _TIME_RE.sub(_time, text)
    text = _PERCENT_RE.sub(lambda m: f"{_number(m.group(1))} percent", text)
    text = _DEGREE_RE.sub(_degrees, text)
    text = _UNIT_RE.sub(_unit, text)
    text = _DOTTED_RE.sub(lambda m: " point ".join(_words(int(part)) for part in m.group(0).split(".")), text)
    text = _ORDINAL_RE.sub(lambda m: num2words(int(m.group(1)), to="ordinal").replace(",", "").replace("-", " "), text)
    text = _NUMBER_ABBR_RE.sub("number", text)
    text = _HASH_NUMBER_RE.sub("number ", text)
    text = _SAINT_RE.sub("Saint", text)
    text = _ABBR_RE.sub(_abbreviation, text)
    text = _STREET_RE.sub("Street", text)
    text = _YEAR_RE.sub(_year, text)
    text = _DECIMAL_RE.sub(lambda m: _number(m.group(0)), text)
    text = _CARDINAL_RE.sub(lambda m: _number(m.group(0)), text)
    text = _AMPERSAND_RE.sub(" and ", text)
    return text.replace("+", " plus ").replace("=", " equals ").replace("@", " at ")


def _number(token: str) -> str:
    """'3.14' → 'three point one four', '-5' → 'minus five', '1,500' → 'one thousand five hundred'."""
    token = token.replace(",", "")
    negative = token.startswith("-")
    token = token.lstrip("-")
    whole, _, frac = token.partition(".")
    if len(whole) > 15:  # IDs, phone numbers: digit by digit
        spoken = " ".join(_words(int(d)) for d in whole)
    else:
        spoken = _words(int(whole))
    if frac:
        spoken += " point " + " ".join(_words(int(d)) for d in frac)
    return ("minus " if negative else "") + spoken


def _money(m: re.Match[str]) -> str:
    one, many, cent, cents = _CURRENCY[m.group(1)]
    whole = int(m.group(2).replace(",", ""))
    frac = m.group(3) or ""
    scale = (m.group(4) or "").lower()
    if scale:
        scale = {"k": "thousand", "m": "million", "bn": "billion"}.get(scale, scale)
        amount = _number(f"{whole}.{frac}" if frac else str(whole))
        return f"{amount} {scale} {many}"
    subunits = int((frac + "00")[:2]) if frac else 0
    parts = []
    if whole or not subunits:
        parts.append(f"{_words(whole)} {one if whole == 1 else many}")
    if subunits:
        parts.append(f"{_words(subunits)} {cent if subunits == 1 else cents}")
    return " and ".join(parts)


def _time(m: re.Match[str]) -> str:
    return _clock(int(m.group(1)), int(m.group(2)), f" {m.group(3).upper()} M" if m.group(3) else "")


def _clock(hour: int, minute: int, suffix: str = "") -> str:
    if minute == 0:
        spoken = f"{_words(hour)} o'clock" if not suffix and hour <= 12 else _words(hour)
        if not suffix and hour > 12:
            spoken += " hundred"
    elif minute < 10:
        spoken = f"{_words(hour)} oh {_words(minute)}"
    else:
        spoken = f"{_words(hour)} {_words(minute)}"
    return spoken + suffix


def _clock_with_seconds(m: re.Match[str]) -> str:
    clock, seconds = _clock(int(m.group(1)), int(m.group(2))), int(m.group(3))
    return f"{clock} and {_words(seconds)} second{'' if seconds == 1 else 's'}" if seconds else clock


def _date(m: re.Match[str]) -> str:
    first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
    year_words = num2words(int(year), to="year").replace("-", " ") if len(year) == 4 else _words(int(year))
    if 1 <= first <= 12 and 1 <= second <= 31:
        return f"{_MONTHS[first - 1]} {_ordinal(second)}, {year_words}"
    if 1 <= second <= 12 and 1 <= first <= 31:
        return f"the {_ordinal(first)} of {_MONTHS[second - 1]}, {year_words}"
    return m.group(0)


def _ordinal(number: int) -> str:
    return num2words(number, to="ordinal").replace(",", "").replace("-", " ")


def _unit(m: re.Match[str]) -> str:
    value, symbol = m.group(1), m.group(2) or m.group(3)
    one, many = _UNITS[symbol]
    return f"{_number(value)} {one if value.lstrip('-') == '1' else many}"


def _degrees(m: re.Match[str]) -> str:
    unit = {"C": " Celsius", "F": " Fahrenheit"}.get(m.group(2) or "", "")
    return f"{_number(m.group(1))} degrees{unit}"


def _year(m: re.Match[str]) -> str:
    year = int(m.group(1))
    spoken = num2words(year, to="year").replace("-", " ")
    if m.group(0).endswith("s"):  # "1990s" → "nineteen nineties"
        spoken = spoken[:-1] + "ies" if spoken.endswith("y") else spoken + "s"
    return spoken


def _abbreviation(m: re.Match[str]) -> str:
    spoken = _ABBREVIATIONS[m.group(1)]
    # The abbreviation's period also ended the sentence when a capitalized word or the end follows.
    following = m.group(2)
    ends_sentence = following is None and m.end() == len(m.string) or (following or "").isupper()
    if ends_sentence and m.group(1) in ("etc.", "a.m.", "p.m.", "Inc.", "Ltd.", "Co.", "Corp."):
        return spoken + "."
    return spoken


# --- emoji, unsupported characters, whitespace --------------------------------------------------------

# Pictographs, dingbats, flags, keycaps; ZWJ sequences and modifiers count as part of one emoji.
_EMOJI_RE = re.compile(
    "(?:[\U0001F1E6-\U0001F1FF]{2}"  # flags
    "|[0-9#*]\uFE0F?\u20E3"  # keycaps
    "|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u2190-\u21FF\u3030\u303D\u3297\u3299]"
    "[\uFE0E\uFE0F\U0001F3FB-\U0001F3FF]*"
    "(?:\u200D[\U0001F000-\U0001FAFF\u2600-\u27BF\u2640\u2642\u2695\u2696\u2708\u2764][\uFE0F\U0001F3FB-\U0001F3FF]*)*)"
)


def _remove_emoji(text: str) -> tuple[str, int]:
    count = 0

    def drop(_m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return " "

    text = _EMOJI_RE.sub(drop, text)
    return text.replace("\uFE0F", "").replace("\u200D", ""), count


def _remove_unsupported(text: str, english: bool) -> tuple[str, list[str]]:
    """Drop characters a voice cannot say; English voices keep Latin letters only."""
    kept: list[str] = []
    dropped: list[str] = []
    for ch in text:
        if ch in _KEEP_PUNCT or ch.isdigit() or (not english and ch in _KEEP_SYMBOLS_OTHER_LANG):
            kept.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat[0] in "LM" and (not english or is_latin(ch)):
            kept.append(ch)
        elif cat[0] == "P" or cat == "Zs":
            kept.append(" ")  # other punctuation reads as a short break at most
        elif cat[0] == "C" and ch not in "\n":
            kept.append(" ")  # control and format characters are silently invisible
        else:
            dropped.append(ch)
            kept.append(" ")
    return "".join(kept), dropped


def is_latin(ch: str) -> bool:
    """A Latin letter or a combining mark (accents): what an English voice can read."""
    try:
        return "LATIN" in unicodedata.name(ch) or unicodedata.category(ch)[0] == "M"
    except ValueError:
        return False


def _tidy_whitespace(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(lines).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    return re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)


# --- sentence splitting -------------------------------------------------------------------------------

_SENTENCE_END_RE = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)")
_NO_SPLIT_AFTER = {k.rstrip(".").lower() for k in _ABBREVIATIONS} | {"st", "no", "vol", "fig", "ch", "p", "pp"}


def _is_abbreviation_end(line: str, dot: int) -> bool:
    """True when the period at ``dot`` belongs to an abbreviation or an initial rather than ending a sentence."""
    if line[dot] != ".":
        return False
    rest = line[dot + 1:].lstrip(" .")
    if not rest:
        return False
    if rest[0].islower():  # a new sentence starts with a capital (or a digit/quote); "e.g. this" does not
        return True
    word = re.search(r"([\w.]+)$", line[:dot])
    if not word:
        return False
    token = word.group(1)
    if token.lower().rstrip(".") in _NO_SPLIT_AFTER:  # titles before names: "Dr. Smith"
        return True
    return len(token) == 1 and token.isupper()  # initials: "J. R. R. Tolkien"


def _split_long(sentence: str, max_chars: int) -> list[str]:
    parts: list[str] = []
    while len(sentence) > max_chars:
        window = sentence[:max_chars]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        if cut < max_chars // 3:
            cut = window.rfind(" ")
        if cut < max_chars // 3:
            cut = max_chars - 1
        parts.append(sentence[:cut + 1].strip())
        sentence = sentence[cut + 1:].strip()
    if sentence:
        parts.append(sentence)
    return parts
