"""The offline grammar: the fast path from a transcript to an intent, in microseconds.

``parse`` returns a match only when a whole rule matches the utterance (after politeness such as
"hey sam", "could you" and "please" is removed, and the hesitations, openers and reasons of
spoken English, :mod:`sam_edge.dialog.spoken`); anything else returns ``None`` and goes to the
LLM. Slots (titles, artists) keep the capitalization the user typed: the rules run with
``re.IGNORECASE`` on a case-preserving copy, so groups slice the original words.

A trailing "now" or "for me" is dropped from commands ("skip now") but makes a title ambiguous
("play Love Me Now", "play Pray for Me"), so such requests go to the LLM unless a comma sets the
filler apart ("play Hello, for me").

This module holds the rules with a slot (play, queue, like a title) and ``parse``; the commands
without a slot are in :mod:`sam_edge.dialog.grammar_commands` and the clean-up and vocabulary in
:mod:`sam_edge.dialog.grammar_words`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sam_edge.dialog.grammar_commands import _COMMANDS, GrammarMatch, Params, _intent
from sam_edge.dialog.grammar_indic import parse_indic
from sam_edge.dialog.grammar_rooms import split_room
from sam_edge.dialog.grammar_words import (
    _BY_TITLE_WORDS,
    _GENERIC,
    _GENRES_MOODS,
    _I,
    _LIKED,
    _PLATFORM,
    _PRONOUNS,
    _SOFT_TAIL,
    _UNSUPPORTED,
    _any,
    _clean_slot,
    _platform,
    _prepare,
)
from sam_edge.dialog.intents import Action
from sam_edge.dialog.spoken import strip_spoken, without_qualifier

__all__ = ["GrammarMatch", "parse"]

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


def parse(text: str, languages: Sequence[str] = ()) -> GrammarMatch | None:
    """The intent of a fully matched utterance, or ``None`` to let the LLM decide.

    ``languages`` (``[speech] languages``) adds the Hindi and Telugu phrase packs written in
    Latin letters ("gaana band karo", "paata aapu"). A room named ("in the kitchen") is the
    ``device`` parameter (:mod:`sam_edge.dialog.grammar_rooms`)."""
    rest, room = split_room(text)
    found = _parse(rest, languages)
    if room is not None and found is not None:
        found.intent.parameters["device"] = room
    return found


def _parse(text: str, languages: Sequence[str]) -> GrammarMatch | None:
    if languages and (found := parse_indic(text, languages)) is not None:
        return found
    full = _prepare(strip_spoken(text))
    if not full:
        return None
    command = full
    while (shorter := _SOFT_TAIL.sub("", command)) != command:
        command = shorter
    if command != full and command.lower() in ("play", ""):
        # "play now" may be a resume or the song "Now"; "play Right Now" is a title.
        return None
    for candidate in dict.fromkeys((command, without_qualifier(command))):
        for pattern, make in _COMMANDS:
            if m := pattern.fullmatch(candidate):
                return make(m)
    return _match_slot(full)
