"""``POST /v1/chat/message`` and ``GET /health`` through the real ASGI app (a contract).

The local music folder holds real files played by a real ``mpv --ao=null``; the LLM is the
real groq SDK talking to the fake Groq server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import Settings
from sam_edge.web.app import create_app
from tests.audio_files import make_song
from tests.fakes.groq import FakeGroq

STATUSES = {"ok", "not_understood", "not_found", "needs_pairing", "no_device", "error"}


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("music")
    make_song(folder, "Adele/25/01 Hello.mp3", title="Hello", artist="Adele", album="25", track=1)
    make_song(folder, "Adele/25/02 Send My Love.mp3", title="Send My Love", artist="Adele",
              album="25", track=2)
    make_song(folder, "Sid Sriram - Nuvvu Nenantu.mp3")
    return folder


def _settings(settings: Settings, songs: Path, **env: str) -> Settings:
    from sam_edge.settings import load_settings

    base = {"SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(songs),
            "SAM_PLAYER_AUDIO_OUTPUT": "null"}
    return load_settings(settings.data.dir / "absent.toml", {**base, **env})


@pytest.fixture
async def runtime(settings: Settings, songs: Path) -> AsyncIterator[Runtime]:
    rt = await build_runtime(_settings(settings, songs))
    yield rt
    await rt.aclose()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime.settings, runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sam") as c:
        yield c


async def say(client: httpx.AsyncClient, text: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/v1/chat/message", json={"text": text, **extra})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"action", "parameters", "response_text", "status", "timings_ms"}
    assert body["status"] in STATUSES
    assert isinstance(body["parameters"], dict)
    assert "total" in body["timings_ms"]
    if body["status"] != "ok":
        assert set(body["error"]) == {"code", "message"}
    return body


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["version"]
    assert body["mode"] == "simulated"
    assert body["audio_output"] == "null"


async def test_plays_from_the_music_folder_without_keys(client: httpx.AsyncClient,
                                                        runtime: Runtime) -> None:
    body = await say(client, "play Hello by Adele")
    assert body["status"] == "ok", body
    assert body["action"] == "PLAY"
    assert body["parameters"]["platform"] == "local"
    assert body["response_text"] == "Playing Hello by Adele."
    assert runtime.player is not None
    state = await runtime.player.state()
    assert state.is_playing and state.path.endswith("01 Hello.mp3")
    assert state.queue_length == 2  # the rest of the album follows

    paused = await say(client, "pause")
    assert (paused["action"], paused["status"]) == ("PAUSE", "ok")
    assert not (await runtime.player.state()).is_playing


async def test_transliterated_title_from_a_file_name(client: httpx.AsyncClient) -> None:
    body = await say(client, "play Nuvvu Nenantu")
    assert body["status"] == "ok", body
    assert body["parameters"]["title"] == "Nuvvu Nenantu"
    assert body["parameters"]["artist"] == "Sid Sriram"


async def test_follow_up_play_it_resolves_from_history(client: httpx.AsyncClient) -> None:
    await say(client, "play Send My Love", session_id="s1")
    await say(client, "pause", session_id="s1")
    again = await say(client, "play it", session_id="s1")
    assert again["status"] == "ok", again
    assert again["parameters"]["title"] == "Send My Love"
    other = await say(client, "play it", session_id="fresh")
    assert other["status"] in ("ok", "not_understood")


async def test_not_found_and_not_understood(client: httpx.AsyncClient) -> None:
    missing = await say(client, "play Zyxxq Qwerty Blorp")
    assert missing["status"] == "not_found"
    assert "couldn't find" in missing["response_text"]
    chat = await say(client, "tell me a joke about cats")
    assert chat["status"] == "not_understood"
    assert "SAM_GROQ_API_KEY" in chat["error"]["message"]


async def test_named_platform_without_account_needs_pairing(client: httpx.AsyncClient) -> None:
    body = await say(client, "play Hello on spotify")
    assert body["status"] == "needs_pairing"
    assert body["parameters"]["platform"] == "spotify"
    assert "SAM_SPOTIFY_CLIENT_ID" in body["response_text"]
    switched = await say(client, "switch to local music")
    assert (switched["action"], switched["status"]) == ("SWITCH_PLATFORM", "ok")


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({}, "text is required"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 1001}, "1000"),
        ({"text": 42}, "text"),
        (["play", "hello"], "JSON object"),
    ],
)
async def test_bad_requests_get_422_with_a_message(client: httpx.AsyncClient, payload: Any,
                                                   needle: str) -> None:
    response = await client.post("/v1/chat/message", json=payload)
    assert response.status_code == 422
    assert needle in response.json()["message"]


async def test_body_that_is_not_json_gets_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/message", content=b"{not json",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["message"]


# ------------------------------------------------------------------ with the LLM


@pytest.fixture
async def llm_client(settings: Settings, songs: Path, groq: tuple[FakeGroq, str]
                     ) -> AsyncIterator[tuple[httpx.AsyncClient, FakeGroq]]:
    fake, url = groq
    fake.reset()
    rt = await build_runtime(_settings(settings, songs, SAM_GROQ_API_KEY="gsk_test_key",
                                       SAM_GROQ_BASE_URL=url, SAM_GROQ_TIMEOUT_S="1"))
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as c:
        yield c, fake
    await rt.aclose()


async def test_llm_answers_chat_and_grammar_skips_it(
        llm_client: tuple[httpx.AsyncClient, FakeGroq]) -> None:
    client, fake = llm_client
    fake.reply_with('{"action": "chat", "parameters": {}, '
                    '"response_text": "Why did the cat sit on the piano? To make music."}')
    body = await say(client, "tell me a joke about cats")
    assert (body["action"], body["status"]) == ("CHAT", "ok")
    assert "piano" in body["response_text"]
    before = len(fake.requests)
    assert (await say(client, "pause"))["action"] == "PAUSE"
    assert len(fake.requests) == before  # the grammar answered offline


async def test_llm_music_command_plays(llm_client: tuple[httpx.AsyncClient, FakeGroq]) -> None:
    client, fake = llm_client
    fake.reply_with('{"action": "PLAY", "parameters": {"query": "Hello", "artist": "Adele"},'
                    ' "response_text": "Playing Hello."}')
    body = await say(client, "I'm in the mood for that Adele song, Hello")
    assert body["status"] == "ok" and body["parameters"]["title"] == "Hello"


async def test_llm_garbage_twice_is_not_understood(
        llm_client: tuple[httpx.AsyncClient, FakeGroq]) -> None:
    client, fake = llm_client
    fake.enforce_json = False
    fake.reply_with("this is not json")
    fake.reply_with("{still not json")
    body = await say(client, "do the thing with the stuff")
    assert body["status"] == "not_understood"


async def test_llm_down_grammar_still_works(
        llm_client: tuple[httpx.AsyncClient, FakeGroq]) -> None:
    client, fake = llm_client
    fake.hang = True
    body = await say(client, "tell me about the weather in Paris")
    assert body["status"] == "error"
    assert body["error"]["code"] == "llm_unavailable"
    assert body["timings_ms"]["total"] < 5000
    fake.hang = False
    assert (await say(client, "set the volume to 40"))["parameters"]["level"] == 40


async def test_play_it_after_a_chat_turn_asks_the_llm_with_the_window(
        llm_client: tuple[httpx.AsyncClient, FakeGroq]) -> None:
    client, fake = llm_client
    fake.reply_with('{"action": "CHAT", "parameters": {"query": "Hello", "artist": "Adele"}, '
                    '"response_text": "You might like Hello by Adele."}')
    suggestion = await say(client, "suggest me a sad song", session_id="s2")
    assert suggestion["action"] == "CHAT"
    body = await say(client, "play it", session_id="s2")  # the default rule brain answers
    assert body["status"] == "ok", body
    assert body["parameters"]["title"] == "Hello"
    sent = fake.requests[-1].json["messages"]
    assert any("suggest me a sad song" in m["content"] for m in sent)


async def test_liked_songs_on_the_music_folder_say_what_happens(
        client: httpx.AsyncClient) -> None:
    body = await say(client, "play my liked songs")
    assert body["status"] == "ok", body
    assert body["response_text"] == "Shuffling your music folder."
