"""GroqSpeechToText against the fake Groq server, over real HTTP with the real SDK."""

from __future__ import annotations

import asyncio
import io
import time
import wave
from collections.abc import Iterator

import pytest

from sam_edge.audio.format import SAMPLE_RATE, Clip
from sam_edge.settings import GroqSettings
from sam_edge.speech.stt import (
    INSTRUCTION,
    GroqSpeechToText,
    SpeechToText,
    SttUnavailable,
    is_hallucination,
)
from tests.fakes.groq import FakeGroq, RecordedRequest
from tests.fakes.server import serve

KEY = "gsk_test_key"
SILENT = {"no_speech_prob": 0.92, "avg_logprob": -1.4}
CLEAR = {"no_speech_prob": 0.01, "avg_logprob": -0.15}


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


def clip(seconds: float = 1.0) -> Clip:
    return Clip(b"\x10\x00" * int(seconds * SAMPLE_RATE))


async def transcribe(url: str, *, hints=(), language: str = "", wait: float = 10, **overrides):
    settings = GroqSettings(**({"api_key": KEY, "base_url": url} | overrides))
    stt: SpeechToText = GroqSpeechToText(settings, language=language)
    try:
        return await asyncio.wait_for(stt.transcribe(clip(), hints=hints), timeout=wait)
    finally:
        await stt.aclose()  # type: ignore[attr-defined]


def stt_requests(fake: FakeGroq) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.path == "/openai/v1/audio/transcriptions"]


# -- transcribing ---------------------------------------------------------------------------


async def test_text_comes_back_trimmed_with_language_and_duration(fake: FakeGroq, url: str) -> None:
    fake.transcribe_with({"text": " Play Nuvvu Nenantu.", "language": "english",
                          "segments": [CLEAR]})
    transcript = await transcribe(url)
    assert transcript.text == "Play Nuvvu Nenantu."
    assert not transcript.no_speech and transcript.rejected_reason == ""
    assert transcript.language == "english"
    assert transcript.duration_s == pytest.approx(1.0)


async def test_request_carries_model_prompt_format_and_the_wav(fake: FakeGroq, url: str) -> None:
    fake.transcribe_with("Play Tum Hi Ho.")
    await transcribe(url, hints=["Tum Hi Ho", "Nuvvu Nenantu"])
    [request] = stt_requests(fake)
    fields = request.fields
    assert fields["model"] == "whisper-large-v3"
    assert fields["response_format"] == "verbose_json"
    assert float(fields["temperature"]) == 0
    assert fields["prompt"].startswith(INSTRUCTION)
    assert "Tum Hi Ho, Nuvvu Nenantu" in fields["prompt"]
    assert "language" not in fields
    assert request.headers["authorization"] == f"Bearer {KEY}"
    filename, data = request.files["file"]
    assert filename == "speech.wav"
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.getnframes() == SAMPLE_RATE


async def test_language_is_sent_when_set(fake: FakeGroq, url: str) -> None:
    fake.transcribe_with("Play Kesariya.")
    await transcribe(url, language="HI")
    assert stt_requests(fake)[0].fields["language"] == "hi"


async def test_model_comes_from_settings(fake: FakeGroq, url: str) -> None:
    fake.transcribe_with("Next.")
    await transcribe(url, stt_model="whisper-large-v3-turbo")
    assert stt_requests(fake)[0].fields["model"] == "whisper-large-v3-turbo"


async def test_hallucination_on_near_silence_is_rejected(fake: FakeGroq, url: str) -> None:
    fake.transcribe_with({"text": " Thank you.", "segments": [SILENT]})
    transcript = await transcribe(url)
    assert transcript.no_speech
    assert transcript.text == ""
    assert transcript.rejected_reason == "no_speech"


async def test_empty_transcript_is_no_speech(fake: FakeGroq, url: str) -> None:
    fake.transcribe_with({"text": " ...", "segments": [CLEAR]})
    transcript = await transcribe(url)
    assert transcript.no_speech and transcript.rejected_reason == "empty"


async def test_environment_keys_and_urls_are_ignored(
    fake: FakeGroq, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk_wrong")
    monkeypatch.setenv("GROQ_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GROQ_CUSTOM_HEADERS", "Authorization: Bearer gsk_wrong")
    fake.transcribe_with("Pause.")
    assert (await transcribe(url)).text == "Pause."


# -- failures -------------------------------------------------------------------------------


async def test_no_key_fails_without_a_request(fake: FakeGroq, url: str) -> None:
    with pytest.raises(SttUnavailable, match="set SAM_GROQ_API_KEY") as caught:
        await transcribe(url, api_key="")
    assert caught.value.code == "stt_unavailable"
    assert fake.requests == []


async def test_refused_key(fake: FakeGroq, url: str) -> None:
    with pytest.raises(SttUnavailable) as caught:
        await transcribe(url, api_key="gsk_revoked")
    assert caught.value.message == "The Groq API key was refused."
    assert len(stt_requests(fake)) == 1


async def test_server_error_is_retried_once_then_unavailable(fake: FakeGroq, url: str) -> None:
    for _ in range(3):
        fake.fail_next(500)
    with pytest.raises(SttUnavailable, match="not reachable"):
        await transcribe(url)
    assert len(stt_requests(fake)) == 2


async def test_one_server_error_is_recovered_by_the_retry(fake: FakeGroq, url: str) -> None:
    fake.fail_next(503)
    fake.transcribe_with("Resume.")
    assert (await transcribe(url)).text == "Resume."
    assert len(stt_requests(fake)) == 2


async def test_long_rate_limit_fails_at_once(fake: FakeGroq, url: str) -> None:
    fake.rate_limit_next(retry_after=30)
    with pytest.raises(SttUnavailable, match="busy"):
        await transcribe(url)
    assert len(stt_requests(fake)) == 1


async def test_hang_times_out_within_a_bounded_wait(fake: FakeGroq, url: str) -> None:
    fake.hang = True
    started = time.monotonic()
    with pytest.raises(SttUnavailable, match="too long"):
        await transcribe(url, timeout_s=0.5, wait=6)
    assert time.monotonic() - started < 4
    assert len(stt_requests(fake)) <= 2


async def test_unreachable_server(fake: FakeGroq) -> None:
    with pytest.raises(SttUnavailable):
        await transcribe("http://127.0.0.1:9", timeout_s=1)


async def test_retired_model(fake: FakeGroq, url: str) -> None:
    with pytest.raises(SttUnavailable, match="SAM_GROQ_STT_MODEL"):
        await transcribe(url, stt_model="distil-whisper-large-v3-en")


# -- hallucination rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segments", "text", "reason"),
    [
        ([CLEAR], "Play Tum Hi Ho.", None),
        ([CLEAR], "Thank you.", None),  # said clearly: a real "thank you"
        ([SILENT], "Play something.", "no_speech"),
        ([SILENT, SILENT], "you", "no_speech"),
        ([SILENT, CLEAR], "Play it. Thanks for watching.", None),
        ([], "", "empty"),
        ([CLEAR], "  ?! ...", "empty"),
        ([{"no_speech_prob": 0.45, "avg_logprob": -0.5}], "Thanks for watching!",
         "known_hallucination"),
        ([{"no_speech_prob": 0.05, "avg_logprob": -0.9}], "you", "known_hallucination"),
        ([{"no_speech_prob": 0.4, "avg_logprob": -0.3}], "Subtitles by the Amara.org community",
         "known_hallucination"),
        ([{"no_speech_prob": 0.4, "avg_logprob": -0.3}], "Play Adele", None),
        ([{"compression_ratio": 3.1, "avg_logprob": -1.2, "no_speech_prob": 0.1}],
         "you you you you you you you you", "repetitive"),
        ([{"text": "no scores at all"}], "Next song", None),
    ],
)
def test_is_hallucination(segments: list[dict], text: str, reason: str | None) -> None:
    assert is_hallucination(segments, text) == reason
