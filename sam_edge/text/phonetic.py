"""Phonetic keys: one spelling for the many ways a title is written in Latin letters.

People and speech-to-text spell Indian titles freely ("naatu naatu", "natu natu"; "dilwale",
"dilvale"; "singh", "sinh"), and a native-script title romanized by
:func:`~sam_edge.text.scripts.romanize` is one more spelling. :func:`phonetic_key` folds them
all to one key, word by word:

* long vowels and doubled letters: ``aa``→``a``, ``ee``/``ii``→``i``, ``oo``/``uu``→``u``,
  ``nn``→``n``; ``ow``/``au``/``avu``→``au``; a final ``y`` after a consonant → ``i``;
* aspiration: a consonant followed by ``h`` loses the ``h`` (``th``→``t``, ``dh``→``d``,
  ``sh``→``s``, ``bh``→``b``, ``gh``→``g``); ``ph``→``f`` first, ``zh``→``l`` (Tamil ழ);
* ``w``→``v``, ``z``→``j``, ``q``→``k``, ``x``→``ks``; a ``c`` that is not ``ch`` → ``k``
  ("coming"), ``ch``→``c`` (च);
* the nasal mark before a consonant: ``m``/``n``/``ng`` → ``n`` (सिंह "simha" = "singh");
* English loanwords as they are written in a native script (:data:`LOANWORDS`: "baby" is
  బేబీ "bebi").

:func:`devoiced` is the extra fold for Tamil, whose letters stand for both voiced and unvoiced
sounds (பேபி "pepi" = "baby"). :func:`without_noise` drops "song", "paata", "gaana" and the
like, which people add to a title but titles rarely carry.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

LOANWORDS: dict[str, str] = {
    "baby": "bebi", "coming": "kaming", "love": "lav", "lover": "lavar", "rowdy": "raudi",
    "dance": "dans", "party": "parti", "sorry": "sari", "darling": "darling", "crazy": "krezi",
    "heart": "hart", "dj": "dije", "girl": "garl", "boy": "bay", "my": "mai", "hello": "helo",
    "beautiful": "byutiful", "selfie": "selfi", "why": "vai", "this": "dis", "kolaveri": "kolaveri",
    "single": "singil", "lady": "ledi", "naughty": "nati", "sunday": "sande", "monday": "monde",
    "kiss": "kis", "mummy": "mami", "daddy": "dedi", "hero": "hiro", "enjoy": "enjay",
    "mind": "maind", "block": "blak", "punjab": "panjab", "punjabi": "panjabi", "rock": "rak",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10",
}
"""English words → how Indian scripts spell them (then folded like any word)."""

NOISE_WORDS = frozenset({
    "song", "songs", "track", "paata", "pata", "paatalu", "patalu", "paatu", "patu", "gaana",
    "gana", "gaane", "gane", "gaanaa", "geet", "geetham", "audio", "full", "video", "lyrics",
})
"""Words people add to a request for a title ("naatu naatu song", "tum hi ho gaana")."""

_CONSONANT = "bcdfghjklmnpqrstvwxyz"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        ("ph", "f"), ("zh", "l"), ("ow", "au"), ("ou", "au"), ("avu", "au"), ("w", "v"),
        ("z", "j"), ("qu(?=[ie])", "k"), ("q", "k"), ("x", "ks"), ("ck", "k"), ("ch", "\x01"),
        ("c", "k"), ("\x01", "c"),
        (f"([{_CONSONANT}])\\1+", r"\1"),
        (f"[mn](?=[{_CONSONANT.replace('y', '')}])", "n"), (f"ng(?=[{_CONSONANT}]|$)", "n"),
        (f"([{_CONSONANT}])h", r"\1"),
        ("aa+", "a"), ("ee+", "i"), ("ii+", "i"), ("oo+", "u"), ("uu+", "u"),
        (f"([{_CONSONANT}])y$", r"\1i"), ("ey$", "e"), ("ie(?=[bcdfgjklmnpqrstvz])", "i"),
        (f"([{_CONSONANT}])\\1+", r"\1"), ("([aeiou])\\1+", r"\1"),
    )
)
_DEVOICE = str.maketrans("gjdb", "kctp")


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    kept = "".join(c for c in folded if not unicodedata.combining(c))
    kept = re.sub(r"['’‘`´ʼ.]", "", kept)
    return re.sub(r"[^a-z0-9]+", " ", kept).split()


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """The phonetic key of one lowercase ASCII word."""
    word = LOANWORDS.get(word, word)
    if word.isdigit():
        return word
    for pattern, replacement in _RULES:
        word = pattern.sub(replacement, word)
    return word


def phonetic_key(text: str) -> str:
    """Space-separated word keys of Latin ``text`` ("Naatu Naatu" → "natu natu")."""
    return " ".join(word_key(w) for w in _ascii_words(text))


def devoiced(key: str) -> str:
    """``key`` with voiced stops unvoiced, for Tamil titles ("bebi" → "pepi")."""
    return key.translate(_DEVOICE)


def without_noise(text: str) -> str:
    """``text`` (lowercase words) without :data:`NOISE_WORDS`; unchanged if nothing is left."""
    words = [w for w in _ascii_words(text) if w not in NOISE_WORDS]
    return " ".join(words) if words else " ".join(_ascii_words(text))
