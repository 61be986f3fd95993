"""GroqIntentClient against the fake Groq server, over real HTTP with the real SDK."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator

import pytest

from sam_edge.dialog.intents import Action
from sam_edge.dialog.llm import GroqIntentClient, HistoryTurn, IntentLLM, LLMUnavailable
from sam_edge.errors import DialogError
from sam_edge.settings import GroqSettings
from tests.fakes.groq import FakeGroq
from tests.fakes.server import serve

KEY = "gsk_test_key"


def answer(action: str, response_text: str = "Okay.", **parameters: object) -> str:
    return json.dumps({"action": action, "parameters": parameters, "response_text": response_text})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeGroq, str]]:
    fake = FakeGroq(api_keys={KEY})
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def fake(served: tuple[FakeGroq, str]) -> FakeGroq:
    served[0].reset()
    return served[0]


@pytest.fixture
def url(served: tuple[FakeGroq, str]) -> str:
    return served[1]


def make_client(base_url: str, **overrides: object) -> GroqIntentClient:
    return GroqIntentClient(GroqSettings(**({"api_key": KEY, "base_url": base_url} | overrides)))


async def interpret(base_url: str, text: str, history=(), **overrides: object):
    client = make_client(base_url, **overrides)
    try:
        return await asyncio.wait_for(client.interpret(text, history), timeout=10)
    finally:
        await client.aclose()


def chat_bodies(fake: FakeGroq) -> list[dict]:
    return [r.json for r in fake.requests if r.path == "/openai/v1/chat/completions"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- understanding -------------------------------------------------------------------------


async def test_play_with_query_and_artist(fake: FakeGroq, url: str) -> None:
    fake.reply_with(answer("PLAY", "Playing Tum Hi Ho.", query="Tum Hi Ho", artist="Arijit Singh"))
    intent = await interpret(url, "put on tum hi ho by arijit singh")
    assert intent.action is Action.PLAY
    assert intent.parameters == {"query": "Tum Hi Ho", "artist": "Arijit Singh"}
    assert intent.response_text == "Playing Tum Hi Ho."
    assert intent.source == "llm"
    assert len(fake.requests) == 1


async def test_action_is_case_insensitive_and_extra_keys_are_ignored(
    fake: FakeGroq, url: str
) -> None:
    fake.reply_with(
        json.dumps(
            {
                "action": "set_volume",
                "parameters": {"level": "140", "mood": "loud", "platform": "Spotify"},
                "response_text": "  Volume up to the max.  ",
                "confidence": 0.93,
            }
        )
    )
    intent = await interpret(url, "crank it all the way")
    assert intent.action is Action.SET_VOLUME
    assert intent.parameters == {"level": 100, "platform": "spotify"}
    assert intent.response_text == "Volume up to the max."


async def test_the_client_satisfies_the_protocol(url: str) -> None:
    client: IntentLLM = make_client(url)
    assert callable(client.interpret)
    await client.aclose()  # type: ignore[attr-defined]


async def test_history_turns_become_user_assistant_pairs(fake: FakeGroq, url: str) -> None:
    history = [
        HistoryTurn("what was the song in that ad", "CHAT", {"query": "Kesariya"}, "Kesariya."),
        HistoryTurn("pause", "PAUSE", {}, "Paused."),
    ]
    intent = await interpret(url, "play it", history)  # answered by the fake's rule brain
    assert intent.action is Action.PLAY
    assert intent.parameters == {"query": "Kesariya"}
    messages = chat_bodies(fake)[0]["messages"]
    assert [m["role"] for m in messages] == [
        "system", "user", "assistant", "user", "assistant", "user",
    ]  # fmt: skip
    assert messages[1]["content"] == "what was the song in that ad"
    assert json.loads(messages[2]["content"]) == {
        "action": "CHAT",
        "parameters": {"query": "Kesariya"},
        "response_text": "Kesariya.",
    }
    assert messages[3]["content"] == "pause"
    assert messages[-1]["content"] == "play it"


# -- the request ---------------------------------------------------------------------------


async def test_request_uses_json_mode_and_reasoning_effort_for_gpt_oss(
    fake: FakeGroq, url: str
) -> None:
    await interpret(url, "play something calm")
    request = fake.requests[0]
    body = request.json
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert body["model"] == "openai/gpt-oss-20b"
    assert body["response_format"] == {"type": "json_object"}
    assert body["temperature"] == 0
    assert body["reasoning_effort"] == "low"
    assert 0 < body["max_completion_tokens"] <= 1024
    system = body["messages"][0]
    assert system["role"] == "system"
    assert "json" in system["content"].lower()
    for action in Action:
        assert action.value in system["content"]


async def test_no_reasoning_effort_for_other_models_or_when_empty(fake: FakeGroq, url: str) -> None:
    await interpret(url, "next", chat_model="qwen/qwen3.6-27b")
    await interpret(url, "next", reasoning_effort="")
    first, second = chat_bodies(fake)
    assert first["model"] == "qwen/qwen3.6-27b"
    assert "reasoning_effort" not in first
    assert "reasoning_effort" not in second


async def test_groq_environment_variables_are_ignored(
    fake: FakeGroq, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "wrong")
    monkeypatch.setenv("GROQ_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GROQ_CUSTOM_HEADERS", "Authorization: Bearer wrong")
    intent = await interpret(url, "pause")
    assert intent.action is Action.PAUSE
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {KEY}"]


# -- unusable replies ----------------------------------------------------------------------


async def test_garbage_then_valid_succeeds_with_two_requests(fake: FakeGroq, url: str) -> None:
    fake.enforce_json = False  # let the garbage reach the client as message content
    fake.reply_with("Sure! I will play that for you.")
    fake.reply_with(answer("NEXT"))
    intent = await interpret(url, "skip this one")
    assert intent.action is Action.NEXT
    assert len(fake.requests) == 2


async def test_garbage_twice_is_not_understood_after_two_requests(fake: FakeGroq, url: str) -> None:
    fake.enforce_json = False
    fake.reply_with('{"action": "PLAY", "parameters": ', always=True)
    with pytest.raises(DialogError) as caught:
        await interpret(url, "blorp")
    assert type(caught.value) is DialogError
    assert caught.value.code == "not_understood"
    assert str(caught.value) == "Sorry, I didn't understand that."
    assert len(fake.requests) == 2


async def test_non_object_json_counts_as_garbage(fake: FakeGroq, url: str) -> None:
    fake.enforce_json = False
    fake.reply_with('["PLAY"]', always=True)
    with pytest.raises(DialogError, match="didn't understand"):
        await interpret(url, "blorp")
    assert len(fake.requests) == 2


async def test_unknown_action_twice_is_not_understood(fake: FakeGroq, url: str) -> None:
    fake.reply_with(answer("DANCE"), always=True)
    with pytest.raises(DialogError) as caught:
        await interpret(url, "dance for me")
    assert caught.value.code == "not_understood"
    assert len(fake.requests) == 2


async def test_json_validate_failed_is_retried(fake: FakeGroq, url: str) -> None:
    fake.json_validate_failed_next('{"action": PLAY}')
    fake.reply_with(answer("PAUSE"))
    intent = await interpret(url, "hold on")
    assert intent.action is Action.PAUSE
    assert len(fake.requests) == 2


async def test_invalid_json_rejected_by_groq_twice_is_not_understood(
    fake: FakeGroq, url: str
) -> None:
    fake.reply_with("not json at all", always=True)  # the fake answers 400 json_validate_failed
    with pytest.raises(DialogError) as caught:
        await interpret(url, "hmm")
    assert caught.value.code == "not_understood"
    assert len(fake.requests) == 2


async def test_server_error_then_garbage_does_not_retry_again(fake: FakeGroq, url: str) -> None:
    fake.fail_next(500)
    fake.reply_with(answer("DANCE"), always=True)
    with pytest.raises(DialogError):
        await interpret(url, "hmm")
    assert len(fake.requests) == 2


async def test_server_error_once_is_retried_by_the_sdk(fake: FakeGroq, url: str) -> None:
    fake.fail_next(503)
    assert (await interpret(url, "next")).action is Action.NEXT
    assert len(fake.requests) == 2


# -- the service is unavailable ------------------------------------------------------------


async def test_closed_port_is_unavailable_quickly(fake: FakeGroq) -> None:
    with pytest.raises(LLMUnavailable) as caught:
        await asyncio.wait_for(
            interpret(f"http://127.0.0.1:{closed_port()}", "play jazz"), timeout=5
        )
    assert caught.value.code == "llm_unavailable"
    assert "not reachable" in str(caught.value)


async def test_hanging_service_times_out(fake: FakeGroq, url: str) -> None:
    fake.hang = True
    with pytest.raises(LLMUnavailable, match="not reachable"):
        await asyncio.wait_for(interpret(url, "play jazz", timeout_s=0.5), timeout=4)
    assert len(fake.requests) == 2  # the first try and the SDK's single retry


async def test_refused_key_is_clear_and_never_logged(
    fake: FakeGroq, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LLMUnavailable, match="The Groq API key was refused"):
        await interpret(url, "play jazz", api_key="gsk_not_the_right_one")
    assert len(fake.requests) == 1
    assert "gsk_not_the_right_one" not in caplog.text


async def test_missing_key_fails_without_a_request(fake: FakeGroq, url: str) -> None:
    with pytest.raises(LLMUnavailable, match="SAM_GROQ_API_KEY"):
        await interpret(url, "play jazz", api_key="")
    assert fake.requests == []


async def test_retired_model_names_the_setting(fake: FakeGroq, url: str) -> None:
    with pytest.raises(LLMUnavailable) as caught:
        await interpret(url, "play jazz", chat_model="llama-3.3-70b-versatile")
    assert "llama-3.3-70b-versatile" in str(caught.value)
    assert "SAM_GROQ_CHAT_MODEL" in str(caught.value)
    assert len(fake.requests) == 1


async def test_rate_limit_fails_without_waiting(fake: FakeGroq, url: str) -> None:
    fake.rate_limit_next(retry_after=30)
    with pytest.raises(LLMUnavailable, match="busy"):
        await asyncio.wait_for(interpret(url, "play jazz"), timeout=5)
    assert len(fake.requests) == 1


async def test_short_rate_limit_is_retried_once(fake: FakeGroq, url: str) -> None:
    fake.rate_limit_next(retry_after=0.2)
    assert (await interpret(url, "pause")).action is Action.PAUSE
    assert len(fake.requests) == 2
