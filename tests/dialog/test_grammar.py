"""The offline grammar: each phrasing maps to one intent, or to ``None`` for the LLM."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sam_edge.dialog.grammar import GrammarMatch, parse
from sam_edge.dialog.intents import Action

A = Action
_TRACK = {"kind": "track"}

# (utterance, action, parameters, refers_back)
CASES: list[tuple[str, Action, dict[str, Any], bool]] = [
    # pause
    ("pause", A.PAUSE, {}, False),
    ("Pause the music.", A.PAUSE, {}, False),
    ("stop", A.PAUSE, {}, False),
    ("stop playing", A.PAUSE, {}, False),
    ("hold on", A.PAUSE, {}, False),
    ("Hey Sam, be quiet!", A.PAUSE, {}, False),
    ("shut up", A.PAUSE, {}, False),
    ("stop the music now", A.PAUSE, {}, False),
    # resume
    ("resume", A.RESUME, {}, False),
    ("continue", A.RESUME, {}, False),
    ("unpause", A.RESUME, {}, False),
    ("keep playing", A.RESUME, {}, False),
    ("play", A.RESUME, {}, False),
    ("play music", A.RESUME, {}, False),
    ("Start the music again", A.RESUME, {}, False),
    # next / previous
    ("next", A.NEXT, {}, False),
    ("skip", A.NEXT, {}, False),
    ("skip this one", A.NEXT, {}, False),
    ("next song please", A.NEXT, {}, False),
    ("play the next song", A.NEXT, {}, False),
    ("previous", A.PREVIOUS, {}, False),
    ("go back", A.PREVIOUS, {}, False),
    ("back", A.PREVIOUS, {}, False),
    ("last song", A.PREVIOUS, {}, False),
    ("play the previous song", A.PREVIOUS, {}, False),
    ("play that again", A.PREVIOUS, {}, False),
    # relative volume
    ("turn it up", A.VOLUME_UP, {}, False),
    ("louder", A.VOLUME_UP, {}, False),
    ("a little bit louder please", A.VOLUME_UP, {}, False),
    ("can you increase the volume", A.VOLUME_UP, {}, False),
    ("turn it down", A.VOLUME_DOWN, {}, False),
    ("quieter", A.VOLUME_DOWN, {}, False),
    ("softer", A.VOLUME_DOWN, {}, False),
    ("lower the volume", A.VOLUME_DOWN, {}, False),
    ("volume down", A.VOLUME_DOWN, {}, False),
    # absolute volume
    ("set the volume to 40", A.SET_VOLUME, {"level": 40}, False),
    ("volume 40", A.SET_VOLUME, {"level": 40}, False),
    ("volume to 40 percent", A.SET_VOLUME, {"level": 40}, False),
    ("set volume at 75%", A.SET_VOLUME, {"level": 75}, False),
    ("turn the volume to ten", A.SET_VOLUME, {"level": 10}, False),
    ("set the volume to forty five", A.SET_VOLUME, {"level": 45}, False),
    ("volume sixty-five", A.SET_VOLUME, {"level": 65}, False),
    ("volume one hundred", A.SET_VOLUME, {"level": 100}, False),
    ("turn it up to 80", A.SET_VOLUME, {"level": 80}, False),
    ("volume 150", A.SET_VOLUME, {"level": 100}, False),
    ("mute", A.SET_VOLUME, {"level": 0}, False),
    ("max volume", A.SET_VOLUME, {"level": 100}, False),
    ("full volume", A.SET_VOLUME, {"level": 100}, False),
    # shuffle
    ("shuffle", A.SHUFFLE, {"state": True}, False),
    ("shuffle on", A.SHUFFLE, {"state": True}, False),
    ("turn on shuffle", A.SHUFFLE, {"state": True}, False),
    ("shuffle off", A.SHUFFLE, {"state": False}, False),
    ("turn shuffle off", A.SHUFFLE, {"state": False}, False),
    ("stop shuffling", A.SHUFFLE, {"state": False}, False),
    # repeat
    ("repeat this song", A.REPEAT, {"state": "track"}, False),
    ("repeat this track", A.REPEAT, {"state": "track"}, False),
    ("repeat one", A.REPEAT, {"state": "track"}, False),
    ("loop this song", A.REPEAT, {"state": "track"}, False),
    ("repeat", A.REPEAT, {"state": "context"}, False),
    ("repeat on", A.REPEAT, {"state": "context"}, False),
    ("repeat the album", A.REPEAT, {"state": "context"}, False),
    ("repeat the playlist", A.REPEAT, {"state": "context"}, False),
    ("loop", A.REPEAT, {"state": "context"}, False),
    ("repeat off", A.REPEAT, {"state": "off"}, False),
    ("stop repeating", A.REPEAT, {"state": "off"}, False),
    ("turn off repeat", A.REPEAT, {"state": "off"}, False),
    # queue
    ("add Hello to the queue", A.QUEUE, {"query": "Hello", **_TRACK}, False),
    ("queue Bohemian Rhapsody", A.QUEUE, {"query": "Bohemian Rhapsody", **_TRACK}, False),
    ("queue up Yellow", A.QUEUE, {"query": "Yellow", **_TRACK}, False),
    ("play Shape of You next", A.QUEUE, {"query": "Shape of You", **_TRACK}, False),
    (
        "add Hello by Adele to the queue",
        A.QUEUE,
        {"query": "Hello", "artist": "Adele", **_TRACK},
        False,
    ),
    ("queue that", A.QUEUE, {}, True),
    ("play it next", A.QUEUE, {}, True),
    # now playing
    ("what's playing?", A.NOW_PLAYING, {}, False),
    ("what is playing", A.NOW_PLAYING, {}, False),
    ("what song is this", A.NOW_PLAYING, {}, False),
    ("what’s this song", A.NOW_PLAYING, {}, False),
    ("who sings this", A.NOW_PLAYING, {}, False),
    ("What am I listening to?", A.NOW_PLAYING, {}, False),
    ("now playing", A.NOW_PLAYING, {}, False),
    ("which song is this", A.NOW_PLAYING, {}, False),
    ("what's playing right now", A.NOW_PLAYING, {}, False),
    # like
    ("like this song", A.LIKE, {}, False),
    ("like this", A.LIKE, {}, False),
    ("I like this song", A.LIKE, {}, False),
    ("save this song", A.LIKE, {}, False),
    ("add this to my liked songs", A.LIKE, {}, False),
    ("love this song", A.LIKE, {}, False),
    ("like Hello by Adele", A.LIKE, {"query": "Hello", "artist": "Adele"}, False),
    ("like Blinding Lights", A.LIKE, {"query": "Blinding Lights"}, False),
    # platform switch
    ("switch to spotify", A.SWITCH_PLATFORM, {"platform": "spotify"}, False),
    ("use soundcloud", A.SWITCH_PLATFORM, {"platform": "soundcloud"}, False),
    ("switch to sound cloud", A.SWITCH_PLATFORM, {"platform": "soundcloud"}, False),
    ("switch to local music", A.SWITCH_PLATFORM, {"platform": "local"}, False),
    ("change to Spotify", A.SWITCH_PLATFORM, {"platform": "spotify"}, False),
    ("play from my music folder", A.SWITCH_PLATFORM, {"platform": "local"}, False),
    ("use my files", A.SWITCH_PLATFORM, {"platform": "local"}, False),
    # play a track
    ("play Hello", A.PLAY, {"query": "Hello", **_TRACK}, False),
    ("Play Dance Monkey.", A.PLAY, {"query": "Dance Monkey", **_TRACK}, False),
    ("play Hello by Adele", A.PLAY, {"query": "Hello", "artist": "Adele", **_TRACK}, False),
    ('play "Hello" by Adele', A.PLAY, {"query": "Hello", "artist": "Adele", **_TRACK}, False),
    ("play the song hello", A.PLAY, {"query": "hello", **_TRACK}, False),
    ("play Song 2", A.PLAY, {"query": "Song 2", **_TRACK}, False),
    ("play 7 rings", A.PLAY, {"query": "7 rings", **_TRACK}, False),
    ("play Levitating remix", A.PLAY, {"query": "Levitating remix", **_TRACK}, False),
    ("play Hello live", A.PLAY, {"query": "Hello live", **_TRACK}, False),
    ("play Nuvvu Nenantu", A.PLAY, {"query": "Nuvvu Nenantu", **_TRACK}, False),
    ("play तुम ही हो", A.PLAY, {"query": "तुम ही हो", **_TRACK}, False),
    (
        "play Tum Hi Ho by Arijit Singh",
        A.PLAY,
        {"query": "Tum Hi Ho", "artist": "Arijit Singh", **_TRACK},
        False,
    ),
    (
        "play Despacito on soundcloud",
        A.PLAY,
        {"query": "Despacito", "platform": "soundcloud", **_TRACK},
        False,
    ),
    ("play Hello from Spotify", A.PLAY, {"query": "Hello", "platform": "spotify", **_TRACK}, False),
    (
        "play Hello on my local music",
        A.PLAY,
        {"query": "Hello", "platform": "local", **_TRACK},
        False,
    ),
    (
        "could you play nuvvu nenantu please",
        A.PLAY,
        {"query": "nuvvu nenantu", **_TRACK},
        False,
    ),
    (
        "i want to hear Hello by Adele",
        A.PLAY,
        {"query": "Hello", "artist": "Adele", **_TRACK},
        False,
    ),
    ("play hello, for me", A.PLAY, {"query": "hello", **_TRACK}, False),
    # " by " inside titles
    ("play stand by me", A.PLAY, {"query": "stand by me", **_TRACK}, False),
    (
        "play Stand By Me by Ben E King",
        A.PLAY,
        {"query": "Stand By Me", "artist": "Ben E King", **_TRACK},
        False,
    ),
    ("play Stand by Your Man", A.PLAY, {"query": "Stand by Your Man", **_TRACK}, False),
    ("play Side by Side", A.PLAY, {"query": "Side by Side", **_TRACK}, False),
    ("play Happy by Pharrell", A.PLAY, {"query": "Happy", "artist": "Pharrell", **_TRACK}, False),
    # albums, playlists, artists, liked
    ("play the album Thriller", A.PLAY, {"query": "Thriller", "kind": "album"}, False),
    (
        "play album Thriller by Michael Jackson",
        A.PLAY,
        {"query": "Thriller", "artist": "Michael Jackson", "kind": "album"},
        False,
    ),
    ("play the playlist Chill Vibes", A.PLAY, {"query": "Chill Vibes", "kind": "playlist"}, False),
    ("play my workout playlist", A.PLAY, {"query": "workout", "kind": "playlist"}, False),
    ("play songs by Adele", A.PLAY, {"query": "Adele", "artist": "Adele", "kind": "artist"}, False),
    (
        "play some Arijit Singh",
        A.PLAY,
        {"query": "Arijit Singh", "artist": "Arijit Singh", "kind": "artist"},
        False,
    ),
    (
        "play music by Madonna",
        A.PLAY,
        {"query": "Madonna", "artist": "Madonna", "kind": "artist"},
        False,
    ),
    (
        "play the artist Taylor Swift",
        A.PLAY,
        {"query": "Taylor Swift", "artist": "Taylor Swift", "kind": "artist"},
        False,
    ),
    ("play my liked songs", A.PLAY, {"kind": "liked"}, False),
    ("play my favorites", A.PLAY, {"kind": "liked"}, False),
    ("play my favourite songs", A.PLAY, {"kind": "liked"}, False),
    ("play my likes", A.PLAY, {"kind": "liked"}, False),
    ("play my saved songs", A.PLAY, {"kind": "liked"}, False),
    ("play songs I liked", A.PLAY, {"kind": "liked"}, False),
    # pronoun slots
    ("play it", A.PLAY, {}, True),
    ("play that", A.PLAY, {}, True),
    ("play that one", A.PLAY, {}, True),
    ("play this song", A.PLAY, {}, True),
    ("play the same", A.PLAY, {}, True),
    ("play that song on spotify", A.PLAY, {"platform": "spotify"}, True),
    ("add it to the queue", A.QUEUE, {}, True),
]

# Utterances the grammar must leave to the LLM.
UNMATCHED = [
    "tell me a joke",
    "what's the weather",
    "how are you",
    "can you recommend something",
    "play something I'd like",
    "who is the president",
    "play something",
    "play some jazz",
    "play relaxing music",
    "play a song",
    "play Thriller album",
    "play Hello on YouTube",
    "play me something",
    "queue my liked songs",
    "i like jazz",
    "switch to the radio",
    "play hello for me",
    "play Don't Stop Me Now",
    "play now",
    "hey sam",
    "",
    "   ",
]


def _case_id(case: tuple[str, Action, dict[str, Any], bool]) -> str:
    return case[0].strip() or "blank"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_phrasing_maps_to_intent(case: tuple[str, Action, dict[str, Any], bool]) -> None:
    text, action, parameters, refers_back = case

    match = parse(text)

    assert match is not None, f"{text!r} was not matched"
    assert (match.intent.action, match.intent.parameters, match.refers_back) == (
        action,
        parameters,
        refers_back,
    )
    assert match.intent.source == "grammar"
    assert match.intent.response_text == ""


@pytest.mark.parametrize("text", UNMATCHED, ids=[t.strip() or "blank" for t in UNMATCHED])
def test_unmatched_phrasing_goes_to_the_llm(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    "text", ["play it", "play that one", "queue that", "play this song", "play the same song"]
)
def test_pronoun_slot_refers_back_without_a_query(text: str) -> None:
    match = parse(text)

    assert isinstance(match, GrammarMatch)
    assert match.refers_back
    assert "query" not in match.intent.parameters
    assert match.intent.action in (Action.PLAY, Action.QUEUE)


@pytest.mark.parametrize("text", ["repeat this song", "like this song"])
def test_this_song_in_commands_is_not_a_reference(text: str) -> None:
    match = parse(text)

    assert match is not None
    assert not match.refers_back


def test_slot_keeps_the_capitalization_the_user_typed() -> None:
    match = parse("PLAY Tum Hi Ho BY Arijit Singh!")

    assert match is not None
    assert match.intent.parameters == {"query": "Tum Hi Ho", "artist": "Arijit Singh", **_TRACK}


def test_parsing_is_fast() -> None:
    phrases = [c[0] for c in CASES] + UNMATCHED
    start = time.perf_counter()
    for _ in range(20):
        for phrase in phrases:
            parse(phrase)
    per_call = (time.perf_counter() - start) / (20 * len(phrases))

    assert per_call < 0.0005, f"{per_call * 1e6:.0f} µs per parse"
