"""Answers to "Did you mean … or …?": "the first one", "number two", "the last one", "yes", or
one of the offered titles said again.

The question is the previous turn: a ``not_found`` answer whose parameters list
``candidates``. :func:`pick` returns the chosen title, or ``None`` when the text is not an
answer to it (then it is understood as any other request).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text.phonetic import phonetic_key

_ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "1": 0, "second": 1, "2nd": 1, "two": 1, "2": 1,
    "third": 2, "3rd": 2, "three": 2, "3": 2,
}
_CHOICE = re.compile(
    r"(?:(?:play|i meant|i mean|i want|the|number|option|no|yes|please|)\s+)*"
    r"(?P<which>first|1st|one|1|second|2nd|two|2|third|3rd|three|3|last|latter|former)"
    r"(?:\s+(?:one|song|track|option|please))*"
)
_YES = re.compile(r"(?:yes|yeah|yep|sure|ok|okay|right|that one|correct)(?:\s+please)?")
_PLAY = re.compile(r"(?:(?:play|i meant|i mean|i want)\s+)+(?P<title>.+)")


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def pick(text: str, candidates: Sequence[str]) -> str | None:
    """The candidate ``text`` chooses, if it is an answer to the question."""
    if not candidates:
        return None
    said = _clean(text)
    if m := _CHOICE.fullmatch(said):
        which = m["which"]
        if which in ("last", "latter"):
            return candidates[-1]
        at = 0 if which == "former" else _ORDINALS[which]
        return candidates[at] if at < len(candidates) else None
    if len(candidates) == 1 and _YES.fullmatch(said):
        return candidates[0]
    title = m["title"] if (m := _PLAY.fullmatch(said)) else said
    key = phonetic_key(title)
    for candidate in candidates:
        if key and key == phonetic_key(candidate):
            return candidate
    return None
