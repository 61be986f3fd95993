"""A room named in a command is the ``device`` parameter; a title with "in the" stays a title."""

from __future__ import annotations

import pytest

from sam_edge.dialog.grammar import parse
from sam_edge.dialog.intents import clean_parameters


@pytest.mark.parametrize(("text", "action", "params"), [
    ("play Hello in the kitchen", "PLAY", {"query": "Hello", "kind": "track",
                                           "device": "kitchen"}),
    ("play Hello on the living room speaker", "PLAY", {"query": "Hello", "kind": "track",
                                                       "device": "living room"}),
    ("pause the kitchen", "PAUSE", {"device": "kitchen"}),
    ("next on the kitchen speaker", "NEXT", {"device": "kitchen"}),
    ("turn it up in the kitchen", "VOLUME_UP", {"device": "kitchen"}),
    ("play Hello in Maya's room", "PLAY", {"query": "Hello", "kind": "track",
                                           "device": "maya's room"}),
    ("play Dancing in the Dark", "PLAY", {"query": "Dancing in the Dark", "kind": "track"}),
    ("stop the music", "PAUSE", {}),
])
def test_rooms(text: str, action: str, params: dict[str, str]) -> None:
    found = parse(text)
    assert found is not None
    assert found.intent.action.value == action and found.intent.parameters == params


def test_play_it_in_a_room_refers_back() -> None:
    found = parse("play it in the kitchen")
    assert found is not None and found.refers_back
    assert found.intent.parameters == {"device": "kitchen"}


def test_the_llm_may_name_a_device() -> None:
    assert clean_parameters({"query": "Hello", "device": " kitchen "}) == {
        "query": "Hello", "device": "kitchen"}
