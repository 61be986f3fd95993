"""Indic scripts to Latin letters and back, with ``indic-transliteration`` (MIT).

:func:`romanize` renders a title in Devanagari (Hindi, Marathi), Bengali, Gurmukhi (Punjabi),
Gujarati, Oriya, Tamil, Telugu, Kannada or Malayalam in plain ASCII the way people spell it:
``సామజవరగమన`` → ``samajavaragamana``, ``तुम ही हो`` → ``tum hi ho``. The library's IAST output
is folded to ASCII here, with three corrections it does not make itself:

* Hindi and the other northern languages drop the inherent vowel at the end of a word and
  between a vowel and a consonant+vowel ("dilavale" is said "dilwale"); both renderings are
  returned, since the rule has exceptions;
* Tamil is read with the superscripted scheme, because the plain one turns every unvoiced
  letter voiced and aspirated (பேபி → "bhebhi"); the voicing fold is left to the phonetic key;
* Bengali ব is "b", not "v".

:func:`to_native` goes the other way for a platform search ("naatu naatu" → నాటు నాటు-ish):
search engines are forgiving, so the ITRANS reading of a lowercase query is good enough.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Unicode blocks: (first, last, scheme, drops its inherent vowel like Hindi).
_BLOCKS: tuple[tuple[int, int, str, bool], ...] = (
    (0x0900, 0x097F, "devanagari", True),
    (0x0980, 0x09FF, "bengali", True),
    (0x0A00, 0x0A7F, "gurmukhi", True),
    (0x0A80, 0x0AFF, "gujarati", True),
    (0x0B00, 0x0B7F, "oriya", True),
    (0x0B80, 0x0BFF, "tamil_superscripted", False),
    (0x0C00, 0x0C7F, "telugu", False),
    (0x0C80, 0x0CFF, "kannada", False),
    (0x0D00, 0x0D7F, "malayalam", False),
)

LANGUAGE_SCRIPTS: dict[str, str] = {
    "hi": "devanagari", "mr": "devanagari", "ne": "devanagari",
    "bn": "bengali", "pa": "gurmukhi", "gu": "gujarati",
    "or": "oriya", "ta": "tamil", "te": "telugu",
    "kn": "kannada", "ml": "malayalam",
}
"""ISO 639-1 language → the script its titles are written in."""

# IAST letters whose ASCII spelling is not just the letter without its accent.
_IAST_ASCII = str.maketrans({
    "ś": "sh", "ṣ": "sh", "ṛ": "ri", "ṝ": "ri", "ḷ": "l", "ṅ": "n", "ñ": "n", "ṉ": "n",
    "ḻ": "zh", "ḥ": "", "ṁ": "m",
})
_TAMIL_LL = "l\u0324"  # l̤ (ழ) in the superscripted scheme
_VOWELS = ("ai", "au", "a", "ā", "i", "ī", "u", "ū", "ṛ", "ṝ", "e", "ē", "è", "o", "ō", "ò")
_UNIT = re.compile(r"ai|au|[kgcjṭḍtdpb]h|.", re.S)


def script_of(char: str) -> tuple[str, bool] | None:
    """(scheme, drops inherent vowel) of an Indic letter, else ``None``."""
    code = ord(char)
    for first, last, scheme, drops in _BLOCKS:
        if first <= code <= last:
            return scheme, drops
    return None


def has_indic(text: str) -> bool:
    return any(script_of(c) is not None for c in text)


def voices_freely(text: str) -> bool:
    """Tamil or Malayalam: one letter is said voiced or unvoiced by position (பேபி "baby")."""
    return any(0x0B80 <= ord(c) <= 0x0BFF or 0x0D00 <= ord(c) <= 0x0D7F for c in text)


_CHILLU = str.maketrans({"\u0D7A": "ണ്", "\u0D7B": "ന്", "\u0D7C": "ര്", "\u0D7D": "ല്",
                         "\u0D7E": "ള്", "\u0D7F": "ക്"})


def _malayalam(run: str) -> str:
    """Malayalam as the library reads it: a word-final virama is said "u" (കുടുക്ക്
    "kudukku"), and the chillu letters it does not know are spelled with a virama."""
    return re.sub("\u0D4D(?!\\w)", "\u0D41", run).translate(_CHILLU)


def _runs(text: str) -> list[tuple[str, tuple[str, bool] | None]]:
    """``text`` split into runs of one script (``None`` = anything that is not Indic)."""
    runs: list[tuple[str, tuple[str, bool] | None]] = []
    for char in text:
        found = script_of(char)
        if found is None and runs and runs[-1][1] is not None and not char.isalpha():
            found = runs[-1][1]  # spaces and punctuation inside a native-script title
        if runs and runs[-1][1] == found:
            runs[-1] = (runs[-1][0] + char, found)
        else:
            runs.append((char, found))
    return runs


def _drop_schwas(word: str) -> str:
    """Hindi's inherent-vowel deletion on one IAST word: final, and in V C a C V."""
    units = _UNIT.findall(word)
    vowel = [u in _VOWELS for u in units]
    keep = [True] * len(units)
    for i in range(len(units) - 1, 0, -1):
        if units[i] != "a" or vowel[i - 1] or not any(vowel[: i - 1]):
            continue
        final = i == len(units) - 1
        between = (i + 2 < len(units) and not vowel[i + 1] and vowel[i + 2] and keep[i + 2]
                   and i >= 2 and vowel[i - 2])
        if final or between:
            keep[i] = False
    return "".join(u for u, k in zip(units, keep, strict=True) if k)


def _ascii(iast: str) -> str:
    # IAST "c" is च, said "ch"; its "ch" is the aspirate छ.
    text = re.sub("c(h?)", lambda m: "chh" if m.group(1) else "ch", iast)
    text = text.replace(_TAMIL_LL, "zh").translate(_IAST_ASCII)
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def romanize(text: str) -> tuple[str, ...]:
    """ASCII renderings of ``text`` (best first); ``(text,)`` unchanged when it has no Indic
    letters. Northern scripts give a second rendering with the inherent vowels kept."""
    if not has_indic(text):
        return (text,)
    spoken: list[str] = []
    literal: list[str] = []
    rounded: list[str] = []
    for run, found in _runs(text):
        if found is None:
            spoken.append(run)
            literal.append(run)
            rounded.append(run)
            continue
        scheme, drops = found
        if scheme == "malayalam":
            run = _malayalam(run)
        iast = _transliterate(run, scheme, "iast")
        if scheme == "bengali":
            iast = iast.replace("v", "b")
        literal.append(_ascii(iast))
        raw = iast
        if drops:
            # A final anusvara or candrabindu only nasalises the vowel: छैयां is "chaiyya".
            iast = re.sub("(?:ṃ|m\u0310)(?!\\w)", "", iast)
            iast = re.sub(r"\w+", lambda m: _drop_schwas(m.group()), iast)
        spoken.append(_ascii(iast))
        if scheme == "bengali":
            # Bengali says its inherent vowel "o": তুমি রবে is "tumi robe".
            final_dropped = re.sub(r"(?<=[^\W\d_aāiīuūeo])a\b", "", raw)
            rounded.append(_ascii(re.sub(r"a(?![iu])", "o", final_dropped)))
        else:
            rounded.append(spoken[-1])
    out = ("".join(spoken), "".join(literal), "".join(rounded))
    return tuple(dict.fromkeys(out))


def to_native(text: str, language: str) -> str | None:
    """``text`` (Latin letters) written in ``language``'s script, or ``None`` when the
    language has no Indic script here or ``text`` has no Latin letters to convert."""
    scheme = LANGUAGE_SCRIPTS.get(language.strip().lower())
    if scheme is None or not any(c.isascii() and c.isalpha() for c in text):
        return None
    native = _transliterate(text.lower(), "itrans", scheme)
    if scheme in _DROPS_FINAL_VOWEL:
        # "dil" is दिल: these scripts write a word's last consonant without a virama.
        native = re.sub(r"\u094D(?!\w)", "", native)
    return native


_DROPS_FINAL_VOWEL = frozenset({"devanagari"})


def _transliterate(text: str, source: str, target: str) -> str:
    # indic-transliteration loads its scheme tables on import: only when a name needs it.
    from indic_transliteration import sanscript

    result: str = sanscript.transliterate(text, source, target)
    return result
