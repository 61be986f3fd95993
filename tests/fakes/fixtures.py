"""The fake cloud servers as pytest fixtures, each served over real HTTP on 127.0.0.1 once per
test module (a test that scripts a fake calls its ``reset()`` first).

Registered for the whole suite in ``tests/conftest.py``; a module that needs a differently
seeded fake defines its own fixture of the same name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.groq import FakeGroq
from tests.fakes.server import serve
from tests.fakes.soundcloud import FakeSoundCloud
from tests.fakes.spotify import FakeSpotify


@pytest.fixture(scope="module")
def groq() -> Iterator[tuple[FakeGroq, str]]:
    """Groq (chat completions and Whisper transcriptions)."""
    fake = FakeGroq()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="module")
def eleven() -> Iterator[tuple[FakeElevenLabs, str]]:
    """ElevenLabs text-to-speech."""
    fake = FakeElevenLabs()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="module")
def spotify() -> Iterator[tuple[FakeSpotify, str]]:
    """The Spotify Web API and accounts service with the demo catalog."""
    fake = FakeSpotify.with_demo_catalog()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="module")
def soundcloud() -> Iterator[tuple[FakeSoundCloud, str]]:
    """The SoundCloud API and its OAuth 2.1 server with the demo catalog."""
    fake = FakeSoundCloud.with_demo_catalog()
    with serve(fake.app) as url:
        yield fake, url


class Switch:
    """One server for a test module; each test plugs in a fresh fake (``switch.fake = ...``)."""

    fake: Any

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.fake.app(scope, receive, send)


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[Switch, str]]:
    """A server whose fake each test replaces: state never leaks from one test to the next."""
    switch = Switch()
    with serve(switch) as url:
        yield switch, url
