"""The offline grammar: the fast path from a transcript to an intent, in microseconds.

``parse`` returns a match only when a whole rule matches the utterance (after politeness such as
"hey sam", "could you" and "please" is removed); anything else returns ``None`` and goes to the
LLM. Slots (titles, artists) keep the capitalization the user typed: the rules run with
``re.IGNORECASE`` on a case-preserving copy, so groups slice the original words.

A trailing "now" or "for me" is dropped from commands ("skip now") but makes a title ambiguous
("play Love Me Now", "play Pray for Me"), so such requests go to the LLM unless a comma sets the
filler apart ("play Hello, for me").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sam_edge.dialog.intents import Action, Intent


@dataclass(frozen=True, slots=True)
class GrammarMatch:
    """A grammar hit; ``refers_back`` when the slot was a pronoun ("play it", "queue that")."""

    intent: Intent
    refers_back: bool = False


Params = dict[str, Any]
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


def _intent(
    action: Action, params: Params | None = None, refers_back: bool = False
) -> GrammarMatch:
    return GrammarMatch(Intent(action, dict(params or {}), "", "grammar"), refers_back)


# --- whole-utterance commands (no slot) -------------------------------------------------------

_THIS = r"(?:this|that|it)(?: (?:one|song|track))?"
_BIT = r"(?:a (?:little |tiny )?(?:bit )?)?"
_BIT_AFTER = r"(?: a (?:little |tiny )?bit| a little| a notch)?"
_SOUND = r"(?:volume|music|sound)"
_COMMANDS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], GrammarMatch]]] = []


def _rule(pattern: str, make: Callable[[re.Match[str]], GrammarMatch]) -> None:
    _COMMANDS.append((re.compile(pattern, _I), make))


def _fixed(pattern: str, action: Action, params: Params | None = None) -> None:
    _rule(pattern, lambda _m: _intent(action, params))


_fixed(
    _any(
        "(?:pause|stop)(?: (?:it|this|the music|music|the song|playback|playing|everything))?",
        *("hold on", "hold it", "be quiet", "shut up", "silence", "quiet"),
    ),
    Action.PAUSE,
)
_fixed(
    _any(
        "(?:resume|continue)(?: (?:it|playing|playback|the music|the song|music))?",
        "un ?pause(?: it| the music)?",
        "keep (?:playing|going)",
        "carry on",
        "play(?: (?:some |the )?music)?",
        "start (?:the music|playing)(?: again)?",
        "turn (?:it|the music) back on",
    ),
    Action.RESUME,
)
_fixed(
    _any(
        "(?:(?:play|go to|skip to) )?(?:the )?next(?: (?:song|track|one))?",
        "skip(?: (?:it|this|this one|this song|this track|the song|the track|song|track|ahead))?",
    ),
    Action.NEXT,
)
# "Play that again" is PREVIOUS: like a player's previous button, the router may restart the
# current track instead when it is already well under way.
_fixed(
    _any(
        "(?:(?:play|go to|go back to) )?(?:the )?(?:previous|last)(?: (?:song|track|one))?",
        "go back(?: (?:a|one) (?:song|track))?",
        "back",
        f"(?:play )?{_THIS} again",
        "play the same song again",
        "replay(?: (?:this|that|it)(?: (?:one|song|track))?)?",
        "restart (?:the|this) (?:song|track)",
        "start (?:the|this) (?:song|track) over",
        "start over",
    ),
    Action.PREVIOUS,
)
_PERCENT = "(?: ?(?:%|percent|per cent))?"
_rule(
    _any(
        _any(
            "(?:set|change|put|adjust|make|bring|turn) (?:the )?volume(?: level)?(?: (?:up|down))?"
            " (?:to|at)",
            "(?:set|put|bring|turn) it(?: (?:up|down))? to",
            "volume(?: level)?(?: (?:to|at))?",
        )
        + f" (?P<num>{_NUMBER}){_PERCENT}",
        f"(?P<num2>{_NUMBER}) ?(?:%|percent) volume",
    ),
    lambda m: _intent(Action.SET_VOLUME, {"level": _number(m["num"] or m["num2"])}),
)
_fixed(
    _any(
        "(?:max|maximum|full) volume",
        "volume (?:to )?(?:the )?(?:max|maximum|full)",
        "max it out",
        "(?:set|turn|put|crank|pump) (?:the volume|it)"
        " (?:all the way up|(?:up )?to (?:the )?(?:max|maximum))",
        "volume all the way up",
    ),
    Action.SET_VOLUME,
    {"level": 100},
)
_fixed(
    _any(
        "mute(?: (?:it|this|everything|the (?:music|volume|sound|speaker)))?",
        "volume (?:to )?(?:the )?(?:off|min|minimum)",
        "(?:set|turn) (?:the volume|it) (?:down )?to (?:the )?minimum",
    ),
    Action.SET_VOLUME,
    {"level": 0},
)
_fixed("half volume|volume (?:to )?half", Action.SET_VOLUME, {"level": 50})
_fixed(
    _any(
        f"(?:turn|crank|pump) (?:up(?: the {_SOUND})?|(?:it|this|the {_SOUND}) up){_BIT_AFTER}",
        f"(?:make it |play it )?{_BIT}louder",
        "volume up",
        "more volume",
        "(?:increase|raise|boost) (?:the )?(?:volume|sound)",
        "(?:increase|raise) it",
        "up the volume",
    ),
    Action.VOLUME_UP,
)
_fixed(
    _any(
        f"turn (?:down(?: the {_SOUND})?|(?:it|this|the {_SOUND}) down){_BIT_AFTER}",
        f"(?:make it |play it )?{_BIT}(?:quieter|softer)",
        "volume down",
        "less volume",
        "(?:lower|decrease|reduce) (?:the )?(?:volume|sound)",
        "lower it",
        "(?:it's |its |it is |that's )?too loud",
        "not so loud",
    ),
    Action.VOLUME_DOWN,
)
_fixed(
    _any(
        "shuffle(?: (?:on|it|mode(?: on)?|everything|the (?:music|songs|playlist|queue|album)))?",
        "(?:turn|switch|put) on shuffle(?: mode)?",
        "(?:turn|switch) shuffle(?: mode)? on",
        "(?:enable|activate) shuffle(?: mode)?",
        "start shuffling",
        "(?:put it|play) on shuffle",
    ),
    Action.SHUFFLE,
    {"state": True},
)
_fixed(
    _any(
        "shuffle(?: mode)? off",
        "(?:turn|switch) off shuffle(?: mode)?",
        "(?:turn|switch) shuffle(?: mode)? off",
        "(?:disable|deactivate|stop|cancel) shuffl(?:e|ing)(?: mode)?",
        "no (?:more )?shuffl(?:e|ing)",
        *("don't shuffle", "unshuffle", "play in order"),
    ),
    Action.SHUFFLE,
    {"state": False},
)
_fixed(
    _any(
        "(?:repeat|loop) (?:(?:this|that|the|the current|current) )?(?:song|track|one)",
        "repeat this",
        "(?:put|set) (?:it|this|(?:this|the) (?:song|track)) on (?:repeat|loop)",
        "repeat mode (?:one|track|song)",
        "(?:turn on|set) repeat (?:one|song|track)",
        "on repeat",
    ),
    Action.REPEAT,
    {"state": "track"},
)
_fixed(
    _any(
        "(?:repeat|loop)"
        "(?: (?:on|all|everything|mode(?: on)?|(?:(?:the|this) )?(?:album|playlist|queue)))?",
        "(?:turn|switch) on (?:repeat|loop)(?: mode)?",
        "(?:turn|switch) (?:repeat|loop)(?: mode)? on",
        "(?:enable|activate) (?:repeat|loop)(?: mode)?",
        "(?:put|set) (?:the|this) (?:album|playlist) on repeat",
    ),
    Action.REPEAT,
    {"state": "context"},
)
_REPEATING = "(?:repeat|loop|repeating|looping)"
_fixed(
    _any(
        "(?:repeat|loop)(?: mode)? off",
        f"(?:turn|switch) off {_REPEATING}(?: mode)?",
        "(?:turn|switch) (?:repeat|loop)(?: mode)? off",
        f"no (?:more )?{_REPEATING}",
        f"(?:stop|disable|cancel|deactivate) {_REPEATING}(?: mode)?",
        "don't repeat",
    ),
    Action.REPEAT,
    {"state": "off"},
)
_fixed(
    "(?:(?:tell me|do you know) )?"
    + _any(
        "(?:what's|whats|what is) "
        + _any(
            "playing",
            "on",
            "this",
            "currently playing",
            "(?:this|that|the|the current) (?:song|track)(?: playing| called)?",
            "the name of (?:this|the|that) (?:song|track)",
        ),
        "what (?:song|track) (?:is )?(?:this|that|playing|on)",
        "which (?:song|track) is (?:this|that|playing)",
        "who (?:sings|sang|performs|made) (?:this|that|it)(?: (?:song|track))?",
        "who sings",
        "who(?:'s| is) (?:singing|this|this by|performing|the artist)",
        "what (?:am i|are we) listening to",
        "now playing",
    ),
    Action.NOW_PLAYING,
)
_fixed(
    _any(
        "(?:i )?(?:really )?(?:like|love|heart|favou?rite|save)"
        f" (?:{_THIS}|the (?:current )?(?:song|track))(?: a lot)?",
        f"(?:add|save) {_THIS} to (?:my )?"
        + _any(
            *("liked songs", "liked tracks", "likes", "liked", "library"),
            *("favou?rites", "favou?rite songs", "saved songs"),
        ),
        "thumbs up",
    ),
    Action.LIKE,
)
_rule(
    _any(
        "(?:(?:switch|change|go|move|swap)(?: (?:over|back))?"
        "|(?:switch|change) (?:the )?(?:platform|source|service|music source))"
        f" to (?P<p>{_PLATFORM})(?: instead)?",
        f"use (?P<p2>{_PLATFORM})(?: instead)?",
        "(?:play|listen)(?: (?:some )?(?:music|songs))? (?:from|on|using|via|through)"
        f" (?P<p3>{_PLATFORM})",
    ),
    lambda m: _intent(
        Action.SWITCH_PLATFORM, {"platform": _platform(m["p"] or m["p2"] or m["p3"])}
    ),
)

# --- utterances with a slot -------------------------------------------------------------------

_PLATFORM_TAIL = re.compile(f"(?P<rest>.+) (?:on|from|in|using|via|through) (?P<p>{_PLATFORM})", _I)
_ARTIST_FORMS = re.compile(
    _any(
        "(?:(?:some|a few|more) )?(?:songs|music|tracks|stuff|hits|something|anything)"
        " (?:by|from) (?P<a>.+)",
        "(?:the )?artist (?P<b>.+)",
        "(?P<c>.+?)'s (?:songs|music|hits|tracks)",
        "some (?P<d>.+)",
    ),
    _I,
)
_ALBUM = re.compile("(?:the )?album (?:called |named )?(?P<x>.+)", _I)
_PLAYLIST = re.compile(
    "(?:the |my )?playlist (?:called |named )?(?P<x>.+)|(?:my|the) (?P<y>.+) playlist", _I
)
_TRACK_PREFIX = re.compile(
    "(?:the (?:song|track)|(?:song|track) (?:called|named))(?: called| named)? (?P<x>.+)", _I
)
_QUEUE_RULES = [
    re.compile(p, _I)
    for p in (
        "add (?P<s>.+?) to (?:the |my )?(?:queue|play queue|playing queue|up next)(?: next)?",
        "(?:put|stick) (?P<s>.+?) (?:in|on|into) (?:the |my )?queue",
        "queue(?: up)? (?P<s>.+?)(?: next)?",
        "play (?P<s>.+?) (?:next|after this(?: one| song)?|after the current song)",
    )
]
_LIKE_RULES = [
    re.compile(p, _I)
    for p in (
        "(?:add|save) (?P<s>.+?) to (?:my )?(?:liked songs|likes|library|favou?rites|saved songs)",
        "like (?P<s>.+)",
    )
]
_PLAY_RULE = re.compile("(?:play|put on|listen to|hear|let me hear) (?P<s>.+)", _I)
_REJECTED_ENDINGS = (" album", " playlist", " on repeat", " on shuffle", " on loop")


def _is_artistless_title(artist: str, title: str) -> bool:
    words = artist.lower().split()
    return not words or words[0] in _BY_TITLE_WORDS or artist.lower() == title.lower()


def _split_artist(slot: str) -> tuple[str, str | None]:
    # Only the last " by " separates an artist, and only when what follows is not a pronoun or
    # a repeat of the title: "Stand by Me", "Stand by Your Man" and "Side by Side" stay whole.
    idx = slot.lower().rfind(" by ")
    if idx <= 0:
        return slot, None
    title, artist = _clean_slot(slot[:idx]), _clean_slot(slot[idx + 4 :])
    if not title or _is_artistless_title(artist, title):
        return slot, None
    return title, artist


def _usable(query: str, *, has_artist: bool) -> bool:
    low = query.lower()
    if not low or low in _GENERIC or low in _PRONOUNS:
        return False
    if low in _GENRES_MOODS and not has_artist:
        return False
    if low.split()[0] in ("something", "anything", "me", "my", "by"):
        return False
    if low.endswith(_REJECTED_ENDINGS):
        return False
    # "play relaxing music" is a mood, not a title; "Love Songs by Kaash Paige" is a title.
    return has_artist or not low.endswith((" music", " songs"))


def _titled(query: str, kind: str) -> Params | None:
    title, artist = _split_artist(query)
    if not _usable(title, has_artist=artist is not None):
        return None
    params: Params = {"query": title, "kind": kind}
    if artist:
        params["artist"] = artist
    return params


def _slot_params(raw: str, *, play: bool) -> tuple[Params, bool] | None:
    """Parameters for a PLAY (or QUEUE) slot, and whether the slot referred back."""
    slot = _clean_slot(raw)
    if not slot or _SOFT_TAIL.search(slot) or _UNSUPPORTED.fullmatch(slot):
        return None
    extra: Params = {}
    if m := _PLATFORM_TAIL.fullmatch(slot):
        slot, extra = _clean_slot(m["rest"]), {"platform": _platform(m["p"])}
    low = slot.lower()
    if low in _PRONOUNS:
        return extra, True
    if _LIKED.fullmatch(low):
        return ({"kind": "liked"} | extra, False) if play else None
    params: Params | None
    if m := _ARTIST_FORMS.fullmatch(slot):
        artist = _clean_slot(m["a"] or m["b"] or m["c"] or m["d"])
        words = artist.lower().split()
        if not play or not words or words[0] in _GENRES_MOODS:
            return None
        if not _usable(artist, has_artist=False):
            return None
        params = {"query": artist, "artist": artist, "kind": "artist"}
    elif m := _ALBUM.fullmatch(slot):
        params = _titled(_clean_slot(m["x"]), "album")
    elif m := _PLAYLIST.fullmatch(slot):
        name = _clean_slot(m["x"] or m["y"])
        usable = name.lower() not in _GENERIC and name.lower() not in _PRONOUNS
        params = {"query": name, "kind": "playlist"} if usable else None
    else:
        if m := _TRACK_PREFIX.fullmatch(slot):
            slot = _clean_slot(m["x"])
        params = _titled(slot, "track")
    return None if params is None else (params | extra, False)


def _match_slot(text: str) -> GrammarMatch | None:
    for rule in _QUEUE_RULES:
        if m := rule.fullmatch(text):
            found = _slot_params(m["s"], play=False)
            return None if found is None else _intent(Action.QUEUE, found[0], found[1])
    for rule in _LIKE_RULES:
        if m := rule.fullmatch(text):
            slot = _clean_slot(m["s"])
            if slot.lower() in _PRONOUNS:
                return _intent(Action.LIKE)
            if _SOFT_TAIL.search(slot):
                return None
            title, artist = _split_artist(slot)
            if not _usable(title, has_artist=artist is not None):
                return None
            return _intent(Action.LIKE, {"query": title} | ({"artist": artist} if artist else {}))
    if m := _PLAY_RULE.fullmatch(text):
        found = _slot_params(m["s"], play=True)
        return None if found is None else _intent(Action.PLAY, found[0], found[1])
    return None


def parse(text: str) -> GrammarMatch | None:
    """The intent of a fully matched utterance, or ``None`` to let the LLM decide."""
    full = _prepare(text)
    if not full:
        return None
    command = full
    while (shorter := _SOFT_TAIL.sub("", command)) != command:
        command = shorter
    if command != full and command.lower() in ("play", ""):
        # "play now" may be a resume or the song "Now"; "play Right Now" is a title.
        return None
    for pattern, make in _COMMANDS:
        if m := pattern.fullmatch(command):
            return make(m)
    return _match_slot(full)
