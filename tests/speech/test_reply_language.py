"""A title in its own script is spoken by a voice that knows the language: the ElevenLabs model
(against the fake server, real SDK), the phrase cache's keys and espeak-ng's voices."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from sam_edge.audio.format import SAMPLE_RATE
from sam_edge.clock import ManualClock
from sam_edge.settings import ElevenLabsSettings, load_settings
from sam_edge.speech.espeak import EspeakTTS, resample, ssml, wav_to_pcm
from sam_edge.speech.factory import build_tts
from sam_edge.speech.languages import reply_language, script_runs
from sam_edge.speech.models import choose_voice
from sam_edge.speech.phrase_cache import PhraseCache
from sam_edge.speech.tts import ElevenLabsTTS, SpeechService
from tests.fakes.elevenlabs import MODELS, FakeElevenLabs
from tests.fakes.server import serve

KEY = "xi_test_key"
VOICE = "JBFqnCBsd6RMkjVDRZzb"
TELUGU = "Playing సామజవరగమన."
HINDI = "Playing तुम ही हो."
ENGLISH = "Playing Hello by Adele."
CHEROKEE = "Playing ᏣᎳᎩ."


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
async def eleven(served: tuple[FakeElevenLabs, str]) -> AsyncIterator[ElevenLabsTTS]:
    voice = ElevenLabsTTS(ElevenLabsSettings(api_key=KEY, base_url=served[1], voice_id=VOICE))
    yield voice
    await voice.aclose()


async def speak(chunks: AsyncIterator[bytes]) -> bytes:
    async def drain() -> bytes:
        return b"".join([chunk async for chunk in chunks])

    return await asyncio.wait_for(drain(), 10)


# -- which language --------------------------------------------------------------------------


def test_reply_is_cut_into_runs_by_script() -> None:
    assert script_runs(TELUGU) == [("Playing ", None), ("సామజవరగమన", "te"), (".", None)]
    assert script_runs("Playing తెలుగు పాట.") == [
        ("Playing ", None), ("తెలుగు పాట", "te"), (".", None)]
    assert script_runs(CHEROKEE) == [(CHEROKEE, None)]


def test_a_shared_script_is_read_in_the_users_language() -> None:
    assert reply_language(HINDI) == "hi"
    assert reply_language("Playing झिंगाट.", ["te", "mr"]) == "mr"
    assert reply_language(ENGLISH) is None and reply_language(CHEROKEE) is None


# -- ElevenLabs models -----------------------------------------------------------------------


def test_telugu_goes_to_v3_hindi_stays_on_flash() -> None:
    settings = ElevenLabsSettings()
    te = choose_voice(settings, TELUGU)
    assert (te.model, te.language_code) == ("eleven_v3", "te")
    hi = choose_voice(settings, HINDI)
    assert (hi.model, hi.language_code) == ("eleven_flash_v2_5", "hi")
    en = choose_voice(settings, ENGLISH)
    assert (en.model, en.language, en.language_code) == ("eleven_flash_v2_5", None, None)


def test_language_code_only_where_the_model_takes_it() -> None:
    settings = ElevenLabsSettings(language_models={"hi": "eleven_multilingual_v2",
                                                   "te": "eleven_flash_v2_5"})
    hi = choose_voice(settings, HINDI)
    assert (hi.model, hi.language_code) == ("eleven_multilingual_v2", None)
    te = choose_voice(settings, TELUGU)  # a model that cannot say Telugu is not told to
    assert (te.model, te.language_code) == ("eleven_flash_v2_5", None)


def test_language_models_from_the_environment_keep_the_defaults(tmp_path: Path) -> None:
    env = {"SAM_ELEVENLABS_LANGUAGE_MODELS": "hi=eleven_multilingual_v2, ta = eleven_v3"}
    models = load_settings(tmp_path / "none.toml", env).elevenlabs.language_models
    assert models["hi"] == "eleven_multilingual_v2" and models["ta"] == "eleven_v3"
    assert models["te"] == "eleven_v3" and models["kn"] == "eleven_v3"


async def test_telugu_reply_asks_the_fake_for_v3_in_telugu(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS
) -> None:
    assert await speak(eleven.stream(TELUGU))
    body = fake.tts_requests[-1].json
    assert body["model_id"] == "eleven_v3" and body["language_code"] == "te"
    assert await speak(eleven.stream(ENGLISH))
    body = fake.tts_requests[-1].json
    assert body["model_id"] == "eleven_flash_v2_5" and "language_code" not in body


async def test_fake_refuses_a_language_its_model_does_not_take(
    fake: FakeElevenLabs, served: tuple[FakeElevenLabs, str]
) -> None:
    async with httpx.AsyncClient(base_url=served[1]) as http:
        async def post(model: str, code: str) -> httpx.Response:
            return await http.post(
                f"/v1/text-to-speech/{VOICE}/stream", headers={"xi-api-key": KEY},
                json={"text": "x", "model_id": model, "language_code": code})

        refused = await post("eleven_flash_v2_5", "te")
        assert refused.status_code == 400
        assert "does not support language_code 'te'" in refused.json()["detail"]["message"]
        assert (await post("eleven_v3", "te")).status_code == 200
        assert (await post("eleven_multilingual_v2", "te")).status_code == 200  # ignored


# -- phrase cache ----------------------------------------------------------------------------


async def test_telugu_reply_is_not_served_from_an_english_model_entry(
    fake: FakeElevenLabs, eleven: ElevenLabsTTS, tmp_path: Path
) -> None:
    cache = PhraseCache(tmp_path / "phrases")
    try:
        english_key = f"elevenlabs/{VOICE}/eleven_flash_v2_5/-/pcm_16000"
        cache.put(english_key, TELUGU, b"\x01\x00" * 800)  # what an English model once said
        assert eleven.voice_key(TELUGU) != english_key
        assert "eleven_v3/te" in eleven.voice_key(TELUGU)
        service = SpeechService(eleven, None, cache)
        assert await speak(service.stream(TELUGU)) != b"\x01\x00" * 800
        assert service.last_source == "elevenlabs"
        assert fake.tts_requests[-1].json["model_id"] == "eleven_v3"
        await speak(service.stream(TELUGU))
        assert service.last_source == "cache" and len(fake.tts_requests) == 1
    finally:
        cache.close()


async def test_a_refused_model_rests_alone(fake: FakeElevenLabs, eleven: ElevenLabsTTS) -> None:
    fake.models = set(MODELS) - {"eleven_v3"}  # an account without v3
    try:
        service = SpeechService(eleven, EspeakTTS(), None, ManualClock())
        assert await speak(service.stream(TELUGU)) and service.last_source == "espeak"
        assert await speak(service.stream(ENGLISH)) and service.last_source == "elevenlabs"
        asked = len(fake.tts_requests)
        assert await speak(service.stream(TELUGU)) and service.last_source == "espeak"
        assert len(fake.tts_requests) == asked  # not asked again during the rest
    finally:
        fake.models = set(MODELS)


# -- espeak-ng -------------------------------------------------------------------------------


def english_only(text: str) -> bytes:
    """What the English voice alone makes of ``text``."""
    out = subprocess.run(["espeak-ng", "--stdout", "-v", "en", "-s", "165", "--stdin"],
                         input=text.encode(), capture_output=True, check=True).stdout
    pcm, rate = wav_to_pcm(out)
    return resample(pcm, rate, SAMPLE_RATE)


async def test_espeak_says_a_telugu_title_with_the_telugu_voice() -> None:
    assert ssml(TELUGU) == '<speak>Playing <voice xml:lang="te">సామజవరగమన</voice>.</speak>'
    pcm = await EspeakTTS().synthesize(TELUGU)
    assert len(pcm) > SAMPLE_RATE // 2 and len(pcm) % 2 == 0
    assert pcm != english_only(TELUGU)


async def test_espeak_unknown_script_keeps_the_english_voice() -> None:
    assert ssml(CHEROKEE) is None
    assert await EspeakTTS().synthesize(CHEROKEE) == english_only(CHEROKEE)


async def test_espeak_markup_is_escaped() -> None:
    assert ssml("Rock & <Roll> సామజ") == (
        '<speak>Rock &amp; &lt;Roll&gt; <voice xml:lang="te">సామజ</voice></speak>')
    assert await EspeakTTS(languages=["mr"]).synthesize("Playing A & B झिंगाट.")


def test_factory_passes_the_languages(tmp_path: Path) -> None:
    env = {"SAM_ELEVENLABS_API_KEY": "xi_x", "SAM_SPEECH_LANGUAGES": "mr"}
    service = build_tts(load_settings(tmp_path / "none.toml", env), tmp_path / "phrases")
    assert isinstance(service.primary, ElevenLabsTTS) and service.primary.languages == ("mr",)
    assert service.fallback is not None and service.fallback.languages == ("mr",)
    assert service.primary.choose("Playing झिंगाट.").model == "eleven_v3"
    service.cache.close()  # type: ignore[union-attr]
