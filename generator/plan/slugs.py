"""Slugs: the ASCII names bookgen gives folders and published files."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["slugify"]

# Letters NFKD does not decompose into ASCII.
_TRANSLITERATE = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o"})
_TRANSLITERATE.update(str.maketrans({"đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "&": " and "}))


def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens ("Clinique du Lac" → ``clinique-du-lac``)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:64].rstrip("-")
