"""Text helpers shared by search, the personal-data vault's blind index and duplicate finding.

:func:`name_key` reduces a name written in Tajik Cyrillic, Russian Cyrillic or Latin to one Latin
skeleton, so that "Ҷамшед Раҳимов", "Джамшед Рахимов" and "Jamshed Rakhimov" all become
"jamshed rahimov". It is deliberately lossy: it is for matching, never for display.

The skeleton is a fixed point (``name_key(name_key(x)) == name_key(x)``) and contains only
``a-z``, ``0-9`` and single spaces. Changing the rules changes every stored key: re-run
``hamkori load_places`` (places search) and ``hamkori rotate-keys --reindex`` (vault blind index).
"""

from __future__ import annotations

import re
import unicodedata

# Multi-letter Cyrillic sequences first (Russian renders Tajik ҷ as дж, ӯ as у, ҳ as х ...).
_CYRILLIC_SEQ = [("дж", "j"), ("кх", "h"), ("ъ", ""), ("ь", "")]
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "ӣ": "i", "й": "y", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ӯ": "u", "ф": "f", "х": "h",
    "ҳ": "h", "ц": "ts", "ч": "ch", "ҷ": "j", "ш": "sh", "щ": "sh", "ы": "i", "э": "e", "ю": "yu",
    "я": "ya", "ў": "u", "і": "i", "ї": "i", "є": "e", "ґ": "g", "ә": "a", "ө": "o", "ү": "u",
    "ң": "n", "һ": "h",
}  # fmt: skip
# Latin letters whose accent carries a sound (č is "ch", not "c"); the rest lose their accents.
_LATIN_SPECIAL = {
    "č": "ch", "š": "sh", "ž": "zh", "ǰ": "j", "ǧ": "g", "ğ": "g", "ḥ": "h", "ḫ": "h", "ı": "i",
    "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ß": "ss",
}  # fmt: skip
# Apostrophes and hamza/ayn marks (Ma'ruf, Maʼruf, Маъруф) vanish rather than split a name.
_APOSTROPHES = re.compile("['`´ʹʺʻʼʽʾʿˈ‘’‛′]")
# Latin spellings folded to the same skeleton (applied in order, repeatedly, until nothing changes).
_LATIN_SEQ = [
    ("dzh", "j"), ("dj", "j"), ("kh", "h"), ("gh", "g"), ("q", "k"), ("x", "h"), ("w", "v"),
    ("iy", "i"), ("yy", "y"), ("ee", "i"),
]  # fmt: skip
# "y" between vowels is written in one spelling only (Mirzoyeva / Мирзоева, Ayub / Аюб → "aub");
# after a vowel otherwise it is "i" (Haydar / Haidar, Boymurod / Boimurod).
_Y_BETWEEN_VOWELS = re.compile(r"(?<=[aeiou])y(?=[aeiou])")
_Y_AFTER_VOWEL = re.compile(r"(?<=[aeiou])y")
# Doubled letters are spelt singly in one script and doubly in the other (Иззатулло / Izatullo).
_DOUBLED = re.compile(r"([a-z])\1+")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def strip_accents(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def _transliterate(text: str) -> str:
    for seq, rep in _CYRILLIC_SEQ:
        text = text.replace(seq, rep)
    return "".join(_CYRILLIC.get(ch) or _LATIN_SPECIAL.get(ch) or ch for ch in text)


def _fold_latin(text: str) -> str:
    for seq, rep in _LATIN_SEQ:
        text = text.replace(seq, rep)
    text = _Y_BETWEEN_VOWELS.sub("", text)
    text = _Y_AFTER_VOWEL.sub("i", text)
    return _DOUBLED.sub(r"\1", text)


def name_key(value: str) -> str:
    """A Latin matching skeleton of ``value`` (lower case ``a-z0-9``, single spaces)."""
    text = _transliterate(unicodedata.normalize("NFC", value or "").casefold())
    text = _APOSTROPHES.sub("", text)
    # Letters with marks nobody spells differently (ӥ, ä, é) lose them; a second pass catches a
    # Cyrillic letter left bare by that.
    text = _transliterate(strip_accents(text).casefold())
    text = _NON_WORD.sub(" ", text)
    # Every rule shortens the text or swaps q/x/w for letters no rule produces, so this ends;
    # looping makes the result a fixed point (one rule can expose another: "kkh" → "kh" → "h").
    while (folded := _fold_latin(text)) != text:
        text = folded
    return " ".join(text.split())


def name_tokens(value: str) -> list[str]:
    return [token for token in name_key(value).split(" ") if token]


def trigrams(value: str, *, limit: int = 400) -> frozenset[str]:
    """The character trigrams of the matching skeleton (:func:`name_key`) of the first ``limit``
    characters of ``value``: a text in Tajik or Russian Cyrillic and its Latin transliteration share
    most of them. For "possible duplicates" of free text (concern descriptions), not for display."""
    padded = f" {name_key((value or '')[:limit])} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2)) if padded.strip() else frozenset()


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """The Jaccard similarity of two sets of trigrams: 1.0 the same, 0.0 nothing in common."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
