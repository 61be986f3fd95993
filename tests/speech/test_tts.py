"""Speaking: ElevenLabs against the fake server (real SDK), the phrase cache, espeak-ng, earcons."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from sam_edge.audio.format import SAMPLE_RATE
from sam_edge.clock import ManualClock
from sam_edge.settings import ElevenLabsSettings, load_settings
from sam_edge.speech.earcons import Earcon, earcon
from sam_edge.speech.espeak import EspeakTTS
from sam_edge.speech.factory import build_stt, build_tts
from sam_edge.speech.phrase_cache import PhraseCache
from sam_edge.speech.tts import ElevenLabsTTS, SpeechService, TextToSpeech, TtsUnavailable
from tests.fakes.elevenlabs import SECONDS_PER_CHAR, FakeElevenLabs, detail
from tests.fakes.server import serve

KEY = "xi_test_key"
VOICE = "JBFqnCBsd6RMkjVDRZzb"
REPLY = "Playing Hello by Adele."


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeElevenLabs, str]]:
    fake = FakeElevenLabs(api_keys={KEY})
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def fake(served: tuple[FakeElevenLabs, str]) -> FakeElevenLabs:
    served[0].reset()
    return served[0]


@pytest.fixture
def url(served: tuple[FakeElevenLabs, str]) -> str:
    return served[1]


@pytest.fixture
async def eleven(url: str) -> AsyncIterator[ElevenLabsTTS]:
    voice = ElevenLabsTTS(ElevenLabsSettings(api_key=KEY, base_url=url, voice_id=VOICE))
    yield voice
    await voice.aclose()


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[PhraseCache]:
    phrases = PhraseCache(tmp_path / "phrases")
    yield phrases
    phrases.close()


async def collect(chunks: AsyncIterator[bytes], wait: float = 10) -> list[bytes]:
    async def drain() -> list[bytes]:
        return [chunk async for chunk in chunks]

    return await asyncio.wait_for(drain(), wait)


def expected_bytes(text: str) -> int:
    return int(len(text) * SECONDS_PER_CHAR * SAMPLE_RATE) * 2


# -- ElevenLabs -----------------------------------------------------------------------------


async def test_elevenlabs_streams_pcm_in_several_chunks(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS
) -> None:
    chunks = await collect(eleven.stream(REPLY))
    assert len(chunks) > 1
    assert sum(map(len, chunks)) == expected_bytes(REPLY)
    [request] = fake.tts_requests
    assert request.path == f"/v1/text-to-speech/{VOICE}/stream"
    assert request.query["output_format"] == "pcm_16000"
    assert request.json["text"] == REPLY
    assert request.json["model_id"] == "eleven_flash_v2_5"
    assert request.headers["xi-api-key"] == KEY


async def test_first_chunk_arrives_before_the_last_is_sent(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS
) -> None:
    fake.chunk_interval_s = 0.05
    started = time.monotonic()
    arrivals = [time.monotonic() - started async for _ in eleven.stream(REPLY)]
    assert arrivals[0] < arrivals[-1] - 0.2


async def test_odd_network_chunks_are_realigned_to_whole_samples(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS
) -> None:
    fake.chunk_bytes = 1001
    chunks = await collect(eleven.stream(REPLY))
    assert all(len(chunk) % 2 == 0 for chunk in chunks)
    assert sum(map(len, chunks)) == expected_bytes(REPLY)


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (lambda f: setattr(f, "quota_exceeded", True), "quota"),
        (lambda f: f.fail_next(401, detail("invalid_api_key", "Invalid API key")), "key"),
        (lambda f: f.concurrency_limit_next(), "busy"),
        (lambda f: f.fail_next(503), "server"),
        (lambda f: f.fail_next(400, detail("voice_not_found", "no such voice")), "config"),
    ],
)
async def test_elevenlabs_failures_have_a_kind(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, script, kind: str
) -> None:
    script(fake)
    with pytest.raises(TtsUnavailable) as caught:
        await collect(eleven.stream(REPLY))
    assert caught.value.kind == kind
    assert len(fake.tts_requests) == 1


async def test_fake_validates_like_the_real_api(fake: FakeElevenLabs, url: str) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"xi-api-key": KEY}) as client:
        path = f"/v1/text-to-speech/{VOICE}"
        bad_format = await client.post(path, params={"output_format": "wav_16000"},
                                       json={"text": "hi"})
        no_text = await client.post(path, json={"model_id": "eleven_flash_v2_5"})
        bad_model = await client.post(path, json={"text": "hi", "model_id": "eleven_v9"})
        whole = await client.post(path, params={"output_format": "pcm_16000"},
                                  json={"text": REPLY, "model_id": "eleven_flash_v2_5"})
        no_key = await client.post(path, json={"text": "hi"}, headers={"xi-api-key": "nope"})
    assert bad_format.status_code == 422
    assert bad_format.json()["detail"][0]["loc"] == ["query", "output_format"]
    assert no_text.status_code == 422
    assert no_text.json() == {"detail": [{"loc": ["body", "text"], "msg": "field required",
                                          "type": "value_error.missing"}]}
    assert bad_model.status_code == 400
    assert whole.status_code == 200 and len(whole.content) == expected_bytes(REPLY)
    assert whole.headers["x-character-count"] == str(len(REPLY)) and whole.headers["request-id"]
    assert no_key.status_code == 401
    assert no_key.json()["detail"]["status"] == "invalid_api_key"


# -- SpeechService --------------------------------------------------------------------------


async def test_second_identical_reply_comes_from_the_cache(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, cache: PhraseCache
) -> None:
    service: TextToSpeech = SpeechService(eleven, None, cache, ManualClock())
    first = b"".join(await collect(service.stream(REPLY)))
    assert service.last_source == "elevenlabs"
    second = b"".join(await collect(service.stream(f"  {REPLY} ")))
    assert service.last_source == "cache"
    assert second == first
    assert len(fake.tts_requests) == 1


async def test_long_replies_are_not_cached(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, cache: PhraseCache
) -> None:
    service = SpeechService(eleven, None, cache, ManualClock())
    long_reply = "I found several versions of that song. " * 6
    for _ in range(2):
        await collect(service.stream(long_reply))
        assert service.last_source == "elevenlabs"
    assert len(fake.tts_requests) == 2 and len(cache) == 0


async def test_quota_exhausted_falls_back_to_espeak_for_the_cool_down(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, cache: PhraseCache,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    service = SpeechService(eleven, EspeakTTS(), cache, clock)
    fake.quota_exceeded = True
    audio = b"".join(await collect(service.stream(REPLY)))
    assert service.last_source == "espeak"
    assert len(audio) > SAMPLE_RATE  # over half a second of speech
    assert len(fake.tts_requests) == 1
    assert sum("quota" in r.message for r in caplog.records) == 1

    clock.advance(30 * 60)
    await collect(service.stream("Paused."))
    assert service.last_source == "espeak"
    assert len(fake.tts_requests) == 1  # still cooling down: ElevenLabs not asked
    assert len(cache) == 0  # fallback audio is never cached

    fake.quota_exceeded = False
    clock.advance(31 * 60)
    await collect(service.stream("Paused."))
    assert service.last_source == "elevenlabs"
    assert len(fake.tts_requests) == 2


async def test_rate_limit_cools_down_for_five_minutes(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, cache: PhraseCache
) -> None:
    clock = ManualClock()
    service = SpeechService(eleven, EspeakTTS(), cache, clock)
    fake.concurrency_limit_next()
    await collect(service.stream(REPLY))
    assert service.last_source == "espeak"
    clock.advance(299)
    await collect(service.stream("Skipped."))
    assert len(fake.tts_requests) == 1
    clock.advance(2)
    await collect(service.stream("Skipped."))
    assert service.last_source == "elevenlabs"


async def test_timeout_falls_back(fake: FakeElevenLabs, url: str, cache: PhraseCache) -> None:
    slow = ElevenLabsTTS(ElevenLabsSettings(api_key=KEY, base_url=url, timeout_s=0.3))
    fake.latency_s = 1.0
    service = SpeechService(slow, EspeakTTS(), cache, ManualClock())
    started = time.monotonic()
    audio = await collect(service.stream(REPLY))
    assert audio and service.last_source == "espeak"
    assert time.monotonic() - started < 3
    await slow.aclose()


async def test_cached_phrases_still_play_during_the_cool_down(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, cache: PhraseCache
) -> None:
    service = SpeechService(eleven, None, cache, ManualClock())
    await collect(service.stream("Paused."))
    fake.quota_exceeded = True
    await collect(service.stream(REPLY))
    assert service.primary_cooling_down and service.last_source == "none"
    assert await collect(service.stream("Paused."))
    assert service.last_source == "cache"


async def test_nothing_to_speak_with_yields_no_audio(cache: PhraseCache) -> None:
    service = SpeechService(None, None, cache, ManualClock())
    assert await collect(service.stream(REPLY)) == []
    assert service.last_source == "none"


async def test_primary_failing_without_fallback_yields_no_audio(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, cache: PhraseCache
) -> None:
    # Every request fails: a stream a previous test left behind on this shared server may take
    # one of the failures.
    for _ in range(4):
        fake.fail_next(500)
    service = SpeechService(eleven, None, cache, ManualClock())
    assert await collect(service.stream(REPLY)) == []
    assert service.last_source == "none"


async def test_stopping_early_caches_nothing(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, cache: PhraseCache
) -> None:
    service = SpeechService(eleven, None, cache, ManualClock())
    stream = service.stream(REPLY)
    assert await anext(stream)
    await stream.aclose()
    assert len(cache) == 0


# -- espeak-ng, earcons, factory ------------------------------------------------------------


async def test_espeak_speaks_16_khz_pcm() -> None:
    voice = EspeakTTS()
    pcm = b"".join(await collect(voice.stream(REPLY)))
    assert voice.last_source == "espeak"
    assert len(pcm) % 2 == 0
    assert 0.8 < len(pcm) / (2 * SAMPLE_RATE) < 4  # seconds of speech at 16 kHz
    assert any(pcm)


async def test_missing_espeak_binary_is_unavailable() -> None:
    with pytest.raises(TtsUnavailable) as caught:
        await EspeakTTS(binary="/nonexistent/espeak-ng").synthesize("hi")
    assert caught.value.kind == "missing"


@pytest.mark.parametrize("kind", list(Earcon))
def test_earcons_are_short_clean_pcm(kind: Earcon) -> None:
    pcm = earcon(kind)
    assert 0.1 <= len(pcm) / (2 * SAMPLE_RATE) <= 0.3
    assert len(pcm) % 2 == 0 and any(pcm)
    assert pcm[:2] == b"\x00\x00"  # faded in: no click


def test_factory_without_keys(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml", {})
    stt, why = build_stt(settings)
    assert stt is None and "SAM_GROQ_API_KEY" in why
    service = build_tts(settings, tmp_path / "phrases")
    assert service.primary is None and isinstance(service.fallback, EspeakTTS)
    assert "SAM_ELEVENLABS_API_KEY" in service.simulated
    service.cache.close()  # type: ignore[union-attr]


def test_factory_with_keys(tmp_path: Path) -> None:
    env = {"SAM_GROQ_API_KEY": "gsk_x", "SAM_ELEVENLABS_API_KEY": "xi_x", "SAM_LANGUAGE": "te"}
    settings = load_settings(tmp_path / "none.toml", env)
    stt, why = build_stt(settings)
    assert stt is not None and why == ""
    service = build_tts(settings, tmp_path / "phrases")
    assert isinstance(service.primary, ElevenLabsTTS) and service.simulated == ""
    service.cache.close()  # type: ignore[union-attr]
