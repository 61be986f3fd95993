"""The fault matrix: each cloud fault through the HTTP API, its answer, its status code and
the time it cost against the turn's deadline.

A cloud fault is not our bug: the chat and voice APIs answer 200 with ``status: "error"`` and
a named ``error.code`` (a contract). Hangs run on a short budget injected into the runtime;
two cases wait in real time on the default budget (5 s for chat, 8 s for voice).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.pipeline.deadline import Budget
from sam_edge.settings import Settings
from sam_edge.web.app import create_app
from tests.audio_files import make_song
from tests.fakes.groq import FakeGroq
from tests.voice_world import DATA, voice_settings

SHORT = Budget(chat_s=1.5, voice_s=2.5, stt_s=1.0, platform_reserve_s=0.5)
MARGIN_S = 1.5
"""Generous: the suite runs on busy machines."""
LLM_TEXT = "I fancy something mellow from the sixties"
"""Not a grammar command: only the language model can answer it."""
PORTAL = "<html><head><title>Sign in</title></head><body>Welcome to the Wi-Fi</body></html>"


@pytest.fixture
def music(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    make_song(folder, "Adele/25/01 Hello.mp3", title="Hello", artist="Adele", album="25",
              track=1)
    return folder


async def _client(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://sam", timeout=30)


@pytest.fixture
async def world(settings: Settings, music: Path, groq: tuple[FakeGroq, str]
                ) -> AsyncIterator[tuple[FakeGroq, httpx.AsyncClient]]:
    fake, url = groq
    fake.reset()
    rt = await build_runtime(voice_settings(settings, music, url, None,
                                            SAM_GROQ_TIMEOUT_S="8"), budget=SHORT)
    async with await _client(rt) as client:
        yield fake, client
    fake.reset()
    await rt.aclose()


async def chat(client: httpx.AsyncClient, text: str) -> tuple[dict[str, Any], float]:
    t0 = time.monotonic()
    response = await client.post("/v1/chat/message", json={"text": text})
    elapsed = time.monotonic() - t0
    assert response.status_code == 200, response.text
    return response.json(), elapsed


async def upload(client: httpx.AsyncClient, wav: Path) -> tuple[dict[str, Any], float]:
    t0 = time.monotonic()
    response = await client.post("/v1/voice/process",
                                 files={"file": (wav.name, wav.read_bytes(), "audio/wav")})
    elapsed = time.monotonic() - t0
    assert response.status_code == 200, response.text
    return response.json(), elapsed


def failed(body: dict[str, Any], code: str) -> None:
    assert body["status"] == "error", body
    assert body["error"]["code"] == code, body
    assert body["response_text"] and "<" not in body["response_text"]


LLM_FAULTS: list[tuple[str, Any, str]] = [
    ("captive portal page", lambda f: (f.raw_next(200, PORTAL), f.raw_next(200, PORTAL)),
     "llm_bad_reply"),
    ("truncated JSON", lambda f: (f.raw_next(200, '{"choices": [', "application/json"),) * 2,
     "llm_bad_reply"),
    ("JSON of another shape", lambda f: [f.raw_next(200, '{"hello": "world"}',
                                                    "application/json") for _ in range(2)],
     "llm_bad_reply"),
    ("key refused", lambda f: f.fail_next(401), "llm_unavailable"),
    ("server error twice", lambda f: (f.fail_next(500), f.fail_next(503)), "llm_unavailable"),
    ("rate limited for a minute", lambda f: f.rate_limit_next(60), "llm_unavailable"),
    ("hang", lambda f: setattr(f, "hang", True), "llm_unavailable"),
]


@pytest.mark.parametrize(("fault", "inject", "code"), LLM_FAULTS, ids=[f[0] for f in LLM_FAULTS])
async def test_llm_faults_are_named_errors_within_the_deadline(
        world: tuple[FakeGroq, httpx.AsyncClient], fault: str, inject: Any, code: str) -> None:
    fake, client = world
    inject(fake)
    body, elapsed = await chat(client, LLM_TEXT)
    failed(body, code)
    assert elapsed < SHORT.chat_s + MARGIN_S, f"{fault} took {elapsed:.1f} s"
    llm_calls = [r for r in fake.requests if r.path.endswith("/chat/completions")]
    assert len(llm_calls) <= 2, "no retry stacking: one retry at most"


async def test_grammar_commands_keep_their_speed_while_the_llm_hangs(
        world: tuple[FakeGroq, httpx.AsyncClient]) -> None:
    fake, client = world
    fake.hang = True
    body, elapsed = await chat(client, "play Hello by Adele")
    assert body["status"] == "ok", body
    assert elapsed < 1.0 + MARGIN_S
    assert not [r for r in fake.requests if r.path.endswith("/chat/completions")]


STT_FAULTS: list[tuple[str, Any, str]] = [
    ("captive portal page", lambda f: (f.raw_next(200, PORTAL), f.raw_next(200, PORTAL)),
     "stt_bad_reply"),
    ("JSON of another shape", lambda f: [f.raw_next(200, '{"x": 1}', "application/json")
                                        for _ in range(2)], "stt_bad_reply"),
    ("key refused", lambda f: f.fail_next(401), "stt_unavailable"),
    ("hang", lambda f: setattr(f, "hang", True), "stt_unavailable"),
]


@pytest.mark.parametrize(("fault", "inject", "code"), STT_FAULTS, ids=[f[0] for f in STT_FAULTS])
async def test_stt_faults_are_named_errors_within_the_deadline(
        world: tuple[FakeGroq, httpx.AsyncClient], fault: str, inject: Any, code: str) -> None:
    fake, client = world
    inject(fake)
    body, elapsed = await upload(client, DATA / "pause.wav")
    failed(body, code)
    assert elapsed < SHORT.voice_s + MARGIN_S, f"{fault} took {elapsed:.1f} s"


async def test_a_hung_llm_costs_a_chat_turn_its_default_budget_once(
        settings: Settings, music: Path, groq: tuple[FakeGroq, str]) -> None:
    fake, url = groq
    fake.reset()
    rt = await build_runtime(voice_settings(settings, music, url, None, SAM_GROQ_TIMEOUT_S="8"))
    try:
        fake.hang = True
        async with await _client(rt) as client:
            body, elapsed = await chat(client, LLM_TEXT)
        failed(body, "llm_unavailable")
        assert 2.0 < elapsed < Budget().chat_s + MARGIN_S
    finally:
        fake.reset()
        await rt.aclose()


async def test_a_voice_turn_pays_one_budget_when_the_llm_hangs_after_speech_to_text(
        settings: Settings, music: Path, groq: tuple[FakeGroq, str]) -> None:
    fake, url = groq
    fake.reset()
    rt = await build_runtime(voice_settings(settings, music, url, None, SAM_GROQ_TIMEOUT_S="8"))
    try:
        fake.transcribe_with(LLM_TEXT)
        fake.path_latency_s = {"completions": 3600.0}
        async with await _client(rt) as client:
            body, elapsed = await upload(client, DATA / "pause.wav")
        failed(body, "llm_unavailable")
        assert body["transcript"] == LLM_TEXT
        assert elapsed < Budget().voice_s + MARGIN_S
    finally:
        fake.reset()
        await rt.aclose()
