"""Which language a reply's words are in, from their script, for choosing a voice.

A reply is mostly English with a title in it: "Playing సామజవరగమన." :func:`script_runs` cuts it
into runs of one language (``None`` = the default voice's language: Latin letters, digits and any
script SAM does not know), and :func:`reply_language` names the language of the reply's longest
native-script run. Scripts shared by several languages (Devanagari: Hindi, Marathi, Nepali) are
read as the first of the user's ``[speech] languages`` written in it, else the most common one.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..text.scripts import script_of

SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "devanagari": ("hi", "mr", "ne"),
    "bengali": ("bn",),
    "gurmukhi": ("pa",),
    "gujarati": ("gu",),
    "oriya": ("or",),
    "tamil": ("ta",),
    "telugu": ("te",),
    "kannada": ("kn",),
    "malayalam": ("ml",),
}
"""Script → the languages written in it, the usual one first."""


def language_of_char(char: str, preferred: Iterable[str] = ()) -> str | None:
    """The language a letter or sign of a native script is read in; ``None`` for others."""
    found = script_of(char)
    if found is None:
        return None
    candidates = SCRIPT_LANGUAGES[found[0].split("_")[0]]
    for language in preferred:
        if language in candidates:
            return language
    return candidates[0]


def script_runs(text: str, preferred: Iterable[str] = ()) -> list[tuple[str, str | None]]:
    """``text`` as consecutive runs of (text, language); ``None`` = the default voice.

    Spaces and punctuation between two words of one native-script title stay in its run; at a
    run's edge they go to the default voice, so "Playing తెలుగు పాట." keeps the full stop English.
    """
    wanted = tuple(preferred)
    labels = [language_of_char(c, wanted) for c in text]
    # A neutral character joins a native run only when the same language resumes after it.
    pending: list[int] = []
    last: str | None = None
    for i, char in enumerate(text):
        if labels[i] is None and not char.isalnum():
            pending.append(i)
            continue
        if labels[i] is not None and labels[i] == last:
            for j in pending:
                labels[j] = last
        pending.clear()
        last = labels[i]
    runs: list[tuple[str, str | None]] = []
    for char, label in zip(text, labels, strict=True):
        if runs and runs[-1][1] == label:
            runs[-1] = (runs[-1][0] + char, label)
        else:
            runs.append((char, label))
    return runs


def reply_language(text: str, preferred: Iterable[str] = ()) -> str | None:
    """The language of the most native-script letters in ``text``; ``None`` when it has none."""
    counts: dict[str, int] = {}
    wanted = tuple(preferred)
    for char in text:
        language = language_of_char(char, wanted)
        if language is not None:
            counts[language] = counts.get(language, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None
