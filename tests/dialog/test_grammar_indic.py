"""Hinglish and Tenglish commands, one test per phrase-table entry, read only when the
language is set in ``[speech] languages``."""

from __future__ import annotations

import pytest

from sam_edge.dialog.grammar import parse
from sam_edge.dialog.intents import Action

CASES = [
    ("hi", "gaana band karo", Action.PAUSE, {}),
    ("hi", "band kar do", Action.PAUSE, {}),
    ("hi", "music roko", Action.PAUSE, {}),
    ("hi", "gaana phir se chalao", Action.RESUME, {}),
    ("hi", "agla gaana", Action.NEXT, {}),
    ("hi", "agla gaana bajao", Action.NEXT, {}),
    ("hi", "gaana badlo", Action.NEXT, {}),
    ("hi", "pichla gaana", Action.PREVIOUS, {}),
    ("hi", "awaaz badhao", Action.VOLUME_UP, {}),
    ("hi", "awaz tez karo", Action.VOLUME_UP, {}),
    ("hi", "awaaz kam karo", Action.VOLUME_DOWN, {}),
    ("hi", "volume dheere karo", Action.VOLUME_DOWN, {}),
    ("hi", "ye gaana kya hai", Action.NOW_PLAYING, {}),
    ("hi", "kya chal raha hai", Action.NOW_PLAYING, {}),
    ("hi", "arijit singh ke gaane bajao", Action.PLAY,
     {"query": "arijit singh", "artist": "arijit singh", "kind": "artist"}),
    ("hi", "tum hi ho bajao", Action.PLAY, {"query": "tum hi ho", "kind": "track"}),
    ("hi", "kal ho naa ho gaana chalao please", Action.PLAY,
     {"query": "kal ho naa ho", "kind": "track"}),
    ("te", "paata aapu", Action.PAUSE, {}),
    ("te", "aapandi", Action.PAUSE, {}),
    ("te", "malli pettu", Action.RESUME, {}),
    ("te", "tarvata paata", Action.NEXT, {}),
    ("te", "next paata pettu", Action.NEXT, {}),
    ("te", "paata maarchu", Action.NEXT, {}),
    ("te", "mundu paata", Action.PREVIOUS, {}),
    ("te", "sound penchu", Action.VOLUME_UP, {}),
    ("te", "volume tagginchu", Action.VOLUME_DOWN, {}),
    ("te", "ee paata enti", Action.NOW_PLAYING, {}),
    ("te", "nuvvu nenantu paata pettu", Action.PLAY,
     {"query": "nuvvu nenantu", "kind": "track"}),
    ("te", "sid sriram paatalu pettu", Action.PLAY,
     {"query": "sid sriram", "artist": "sid sriram", "kind": "artist"}),
    ("te", "samajavaragamana song play cheyyi", Action.PLAY,
     {"query": "samajavaragamana", "kind": "track"}),
]


@pytest.mark.parametrize(("lang", "text", "action", "params"), CASES)
def test_each_phrase_is_understood_with_its_language(lang: str, text: str, action: Action,
                                                     params: dict[str, str]) -> None:
    match = parse(text, (lang,))
    assert match is not None, text
    assert (match.intent.action, match.intent.parameters) == (action, params)


@pytest.mark.parametrize(("lang", "text"), [(c[0], c[1]) for c in CASES])
def test_phrases_are_not_read_without_their_language(lang: str, text: str) -> None:
    other = "te" if lang == "hi" else "hi"
    assert parse(text, (other,)) is None
    assert parse(text) is None


def test_english_commands_still_work_with_languages_set() -> None:
    match = parse("play Hello by Adele", ("hi", "te"))
    assert match is not None
    assert match.intent.parameters == {"query": "Hello", "artist": "Adele", "kind": "track"}
