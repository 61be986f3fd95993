"""Names in the music folder made comparable: normalization and the fuzzy score used for
albums and artists (titles go through :mod:`sam_edge.text.matcher`)."""

from __future__ import annotations

import unicodedata

from rapidfuzz import fuzz

from ...text.scripts import romanize

_DROPPED = frozenset("'’‘`.")


def normalize(text: str) -> str:
    """Casefolded, Latin accents and punctuation removed, spaces collapsed ("Beyoncé" -> "beyonce").

    Combining marks are only dropped after a Latin letter: in scripts such as Telugu they are
    vowel signs that change the word.
    """
    out: list[str] = []
    after_latin = False
    for char in unicodedata.normalize("NFKD", text.casefold()):
        if char in _DROPPED or (after_latin and unicodedata.combining(char)):
            continue
        if unicodedata.category(char)[0] in "PSZC":
            out.append(" ")
            after_latin = False
        else:
            out.append(char)
            after_latin = char.isascii()
    return " ".join(unicodedata.normalize("NFC", "".join(out)).split())


def score(query: str, *candidates: str) -> float:
    """Best fuzzy score of a normalized ``query`` against normalized ``candidates``.

    Not WRatio: its partial token scores give 85 to any long string sharing one word.
    """
    return max(
        (max(fuzz.ratio(query, r), fuzz.token_ratio(query, r))
         for c in candidates if c for r in romanize(c)),
        default=0.0,
    )
