"""The status page, the virtual talk button and the live state, through the ASGI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import Settings, load_settings
from sam_edge.web.app import create_app
from tests.voice_world import DATA


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    env = {"SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(settings.music.dir),
           "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
           "SAM_AUDIO_SIMULATED_INPUT": str(DATA / "pause.wav")}
    rt = await build_runtime(load_settings(settings.data.dir / "absent.toml", env))
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as c:
        yield c, rt
    await rt.aclose()


async def test_the_page_has_the_controls(client: tuple[httpx.AsyncClient, Runtime]) -> None:
    response = await client[0].get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for needle in ('id="talk"', 'id="chat"', 'id="upload"', 'aria-label="Now playing"'):
        assert needle in response.text
    script = (await client[0].get("/assets/page.js")).text
    for needle in ("/v1/voice/process", "/v1/chat/message", "/v1/state", "/v1/events"):
        assert needle in script


async def test_health_says_what_is_simulated(client: tuple[httpx.AsyncClient, Runtime]) -> None:
    body = (await client[0].get("/health")).json()
    assert body["mode"] == "simulated"
    joined = " ".join(body["simulated"])
    for part in ("speech-to-text", "wake word", "speaker", "LLM"):
        assert part in joined


async def test_virtual_talk_button_runs_a_whole_turn(
        client: tuple[httpx.AsyncClient, Runtime]) -> None:
    c, _ = client
    # The simulated microphone plays pause.wav; its transcript comes from pause.txt.
    response = await c.post("/v1/listen")
    assert response.status_code == 202
    assert response.json() == {"listening": True, "source": "simulated"}

    async def done() -> dict[str, object]:
        while True:
            state = (await c.get("/v1/state")).json()
            if state["last"] and state["state"] == "idle":
                return state
            await asyncio.sleep(0.05)

    state = await asyncio.wait_for(done(), 20)
    assert state["last"]["transcript"] == "pause"
    assert state["last"]["action"] == "PAUSE"
    assert "total" in state["last"]["timings_ms"]


async def test_stop_listening_mutes_and_the_api_unmutes(
        client: tuple[httpx.AsyncClient, Runtime]) -> None:
    c, rt = client
    body = (await c.post("/v1/chat/message", json={"text": "stop listening"})).json()
    assert (body["action"], body["status"]) == ("CHAT", "ok")
    assert body["parameters"] == {"device": "microphone", "muted": True}
    assert rt.listener is not None and rt.listener.muted
    assert (await c.get("/v1/state")).json()["muted"] is True
    assert (await c.post("/v1/microphone", json={"muted": False})).json() == {"muted": False}
    assert not rt.listener.muted


async def test_the_pairing_code_is_spoken(client: tuple[httpx.AsyncClient, Runtime]) -> None:
    from sam_edge.audio.playback import MemorySink

    _, rt = client
    sink = rt.runner.replier.sink
    assert isinstance(sink, MemorySink)
    rt.announce_pairing_code("123456")
    await asyncio.wait_for(asyncio.gather(*rt._background), 20)
    assert len(sink.pcm) > 16000  # more than half a second of speech
