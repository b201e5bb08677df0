"""Text helpers shared by search, the personal-data vault's blind index and duplicate finding.

:func:`name_key` reduces a name written in Tajik Cyrillic, Russian Cyrillic or Latin to one Latin
skeleton, so that "Ҷамшед Раҳимов", "Джамшед Рахимов" and "Jamshed Rakhimov" all become
"jamshed rahimov". It is deliberately lossy: it is for matching, never for display.
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
    "я": "ya", "ў": "u", "і": "i",
}
# Latin spellings folded to the same skeleton.
_LATIN_SEQ = [
    ("dzh", "j"), ("dj", "j"), ("kh", "h"), ("gh", "g"), ("q", "k"), ("x", "h"), ("w", "v"),
    ("ts", "ts"), ("yo", "yo"), ("iy", "i"), ("yy", "y"), ("ii", "i"), ("ee", "i"),
]
_NON_WORD = re.compile(r"[^a-z0-9]+")


def strip_accents(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def name_key(value: str) -> str:
    """A Latin matching skeleton of ``value`` (lower case, single spaces)."""
    text = unicodedata.normalize("NFC", value or "").casefold()
    for seq, rep in _CYRILLIC_SEQ:
        text = text.replace(seq, rep)
    text = "".join(_CYRILLIC.get(ch, ch) for ch in text)
    text = strip_accents(text)
    text = text.replace("'", "").replace("`", "").replace("’", "")
    for seq, rep in _LATIN_SEQ:
        text = text.replace(seq, rep)
    text = _NON_WORD.sub(" ", text)
    # Doubled letters are spelt singly in one script and doubly in the other (Иззатулло / Izatullo).
    text = re.sub(r"([a-z])\1+", r"\1", text)
    return " ".join(text.split())


def name_tokens(value: str) -> list[str]:
    return [token for token in name_key(value).split(" ") if token]
