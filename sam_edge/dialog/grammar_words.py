"""The offline grammar's words: clean-up of a transcript before matching, number words,
platform names, and the vocabulary that tells a title from a pronoun, a mood or "some music".

:func:`_prepare` strips politeness ("hey sam", "could you", "please") and punctuation; the rest
are pieces of the rules in :mod:`sam_edge.dialog.grammar_commands` and
:mod:`sam_edge.dialog.grammar`.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# --- cleaning ---------------------------------------------------------------------------------


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


def _words(text: str, sep: str | None = None) -> frozenset[str]:
    return frozenset(text.split(sep))


_CHARMAP = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_END_PUNCT = re.compile(r"[\s.,;:!?…]+$")
_TRAILING_POLITE = re.compile(
    _any(r"[\s,]+(?:please|thanks|thank you)$", r"\s*,\s*(?:(?:right )?now|for me|sam)$"), _I
)
# Without a comma, a trailing "now"/"for me" may belong to a title ("Love Me Now", "Pray for Me").
_SOFT_TAIL = re.compile(r" (?:(?:right )?now|for me)$", _I)
_SEPARATORS = re.compile(
    _any(r"[,;:!?¡¿\"“”«»()\[\]{}…]+", r"\.(?!\w)", r"(?<!\w)['-]", r"['-](?!\w)")
)
_LEADING_POLITE = re.compile(
    _any(
        r"(?:hey|hi|hello|ok|okay) sam",
        "sam",
        "please",
        "kindly",
        "just",
        "(?:could|can|would|will) you",
        "i want to",
        "i wanna",
        "i'?d like to",
        "i would like to",
        "go ahead and",
        "let's",
    )
    + "(?: |$)",
    _I,
)


def _prepare(text: str) -> str:
    t = _END_PUNCT.sub("", text.translate(_CHARMAP).strip())
    while (shorter := _END_PUNCT.sub("", _TRAILING_POLITE.sub("", t))) != t:
        t = shorter
    t = " ".join(_SEPARATORS.sub(" ", t).split())
    while m := _LEADING_POLITE.match(t):
        t = t[m.end() :]
    return t


def _clean_slot(slot: str) -> str:
    return slot.strip(" .,;:!?'\"-")


# --- vocabulary -------------------------------------------------------------------------------

_UNITS = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"),
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUES = {word: value for value, word in enumerate(_UNITS)} | {
    word: 20 + 10 * i for i, word in enumerate(_TENS)
}
_NUMBER = _any(
    r"\d{1,4}",
    "(?:(?:a|one) )?hundred",
    _any(*_TENS) + "(?:[ -]" + _any(*_UNITS[1:10]) + ")?",
    *sorted(_UNITS, key=len, reverse=True),
)
_PLATFORM = _any(
    "spotify",
    "sound ?cloud",
    "my music",
    "(?:(?:my|the) )?"
    + _any(
        "local(?: (?:music|files|songs|library|folder))?",
        "music (?:folder|files|library)",
        "(?:music )?files",
        "downloaded (?:music|songs)",
        "offline music",
    ),
)
_UNSUPPORTED = re.compile(
    ".+ (?:on|from|in|using|via|through) "
    + _any(
        *("youtube(?: music)?", "apple music", "itunes", "deezer", "tidal", "amazon music"),
        *("pandora", "gaana", "jiosaavn", "saavn", "wynk", "the radio"),
    ),
    _I,
)
_PRONOUNS = _words(
    "it|that|that one|this|this one|that song|this song|the same|the same song|the same one"
    "|that track|this track|the song|the track",
    "|",
)
# After " by ", these mean the "by" belongs to the title ("Stand by Me", "Stand by Your Man").
_BY_TITLE_WORDS = _words(
    "me you it us them him her myself yourself himself herself ourselves themselves now then"
    " my your his our their the way"
)
_GENERIC = _words(
    "music|songs|a song|any song|some song|a random song|random song|random songs|random|a track"
    "|tracks|tunes|some tunes|stuff|some stuff|radio|the radio|another song|another one"
    "|a different song|more|more music|more songs|good music|a good song|whatever",
    "|",
)
_GENRES_MOODS = _words(
    "jazz rock pop classical hip-hop hiphop rap country blues metal edm lofi lo-fi indie reggae"
    " folk r&b rnb soul funk electronic techno house dance ambient disco punk gospel latin kpop"
    " k-pop bollywood tollywood kollywood carnatic ghazals qawwali opera salsa afrobeats trap"
    " dubstep relaxing chill chilled upbeat happy sad romantic party workout calm calming sleep"
    " sleepy study focus mellow energetic good nice new old popular latest top trending classic"
    " instrumental acoustic devotional"
)
_LIKED = re.compile(
    _any(
        "(?:all (?:of )?)?(?:my |the )?(?:liked|saved|favou?rite|loved|hearted)"
        " (?:songs|tracks|music)(?: playlist)?",
        "my (?:favou?rites|likes|liked|saved|loved)",
        "(?:the )?(?:songs|tracks) (?:that )?i(?:'ve| have)? (?:liked|saved|loved|love|like)",
    ),
    _I,
)


def _number(words: str) -> int:
    words = words.strip().lower()
    if words.isdigit():
        value = int(words)
    else:
        value = 0
        for token in words.replace("-", " ").split():
            if token == "hundred":
                value = max(value, 1) * 100
            elif token != "a":
                value += _WORD_VALUES[token]
    return max(0, min(100, value))


def _platform(words: str) -> str:
    low = words.lower()
    if low == "spotify":
        return "spotify"
    return "soundcloud" if low.replace(" ", "") == "soundcloud" else "local"
