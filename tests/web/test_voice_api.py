"""``POST /v1/voice/process`` (a contract): real ASGI app, real webrtcvad, the real groq and
elevenlabs SDKs against the fakes, real mpv for the music folder."""

from __future__ import annotations

import base64
import io
import subprocess
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import Settings
from sam_edge.web.app import create_app
from tests.audio_files import make_song
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.groq import FakeGroq
from tests.voice_world import DATA, voice_settings

HELLO = (DATA / "play_hello_by_adele.wav").read_bytes()


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("music")
    make_song(folder, "Adele/25/01 Hello.mp3", title="Hello", artist="Adele", album="25", track=1)
    return folder


@pytest.fixture
async def world(settings: Settings, songs: Path, groq: tuple[FakeGroq, str],
                eleven: tuple[FakeElevenLabs, str], request: pytest.FixtureRequest
                ) -> AsyncIterator[tuple[httpx.AsyncClient, FakeGroq, FakeElevenLabs, Runtime]]:
    g, groq_url = groq
    e, xi_url = eleven
    g.reset()
    e.reset()
    env = getattr(request, "param", {})
    rt = await build_runtime(voice_settings(settings, songs, groq_url, xi_url, **env))
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam", timeout=30) as client:
        yield client, g, e, rt
    await rt.aclose()


async def upload(client: httpx.AsyncClient, data: bytes, *, name: str = "speech.wav",
                 query: str = "") -> httpx.Response:
    return await client.post(f"/v1/voice/process{query}",
                             files={"file": (name, data, "application/octet-stream")})


def transcriptions(fake: FakeGroq) -> list[Any]:
    return [r for r in fake.requests if r.path.endswith("/audio/transcriptions")]


async def test_a_full_voice_turn_with_reply_audio(world: Any) -> None:
    client, groq, eleven, _rt = world
    groq.transcribe_with(" Play Hello by Adele.")
    response = await upload(client, HELLO, query="?reply_audio=true")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"] == "Play Hello by Adele."
    assert (body["action"], body["status"]) == ("PLAY", "ok")
    assert body["parameters"]["title"] == "Hello"
    assert {"stt", "total"} <= set(body["timings_ms"])
    audio = body["reply_audio"]
    assert audio["content_type"] == "audio/wav"
    with wave.open(io.BytesIO(base64.b64decode(audio["base64"]))) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (16000, 1)
        assert wav.getnframes() > 1600
    sent = transcriptions(groq)[-1]
    assert sent.fields["response_format"] == "verbose_json"
    assert "Latin" in sent.fields["prompt"] or "latin" in sent.fields["prompt"]
    assert len(eleven.requests) == 1
    state = (await client.get("/v1/state")).json()
    assert state["last"]["transcript"] == "Play Hello by Adele."


async def test_repeated_reply_comes_from_the_phrase_cache(world: Any) -> None:
    client, groq, eleven, _ = world
    for _ in range(2):
        groq.transcribe_with("pause")
        body = (await upload(client, (DATA / "pause.wav").read_bytes(),
                             query="?reply_audio=true")).json()
        assert body["response_text"] == "Paused."
        assert body["reply_audio"]["base64"]
    assert len(eleven.requests) == 1


async def test_a_grammar_command_makes_no_llm_call(world: Any) -> None:
    client, groq, _, _ = world
    groq.transcribe_with("pause")
    await upload(client, (DATA / "pause.wav").read_bytes())
    assert not [r for r in groq.requests if r.path.endswith("/chat/completions")]


async def test_silence_is_no_speech_and_never_reaches_the_api(world: Any) -> None:
    client, groq, _, _ = world
    body = (await upload(client, (DATA / "silence.wav").read_bytes())).json()
    assert body["status"] == "no_speech"
    assert body["transcript"] == ""
    assert not transcriptions(groq)


async def test_whisper_hallucination_on_noise_is_no_speech(world: Any) -> None:
    client, groq, _, _ = world
    groq.transcribe_with({"text": " Thank you.", "segments": [
        {"id": 0, "start": 0.0, "end": 1.0, "text": " Thank you.", "avg_logprob": -1.4,
         "no_speech_prob": 0.85, "compression_ratio": 0.8}]})
    body = (await upload(client, HELLO)).json()
    assert body["status"] == "no_speech"


async def test_webm_upload_is_decoded(world: Any, tmp_path: Path) -> None:
    client, groq, _, _ = world
    webm = tmp_path / "speech.webm"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i",
                    str(DATA / "pause.wav"), "-c:a", "libopus", str(webm)], check=True)
    groq.transcribe_with("pause")
    response = await upload(client, webm.read_bytes(), name="speech.webm")
    assert response.status_code == 200, response.text
    assert response.json()["action"] == "PAUSE"


async def test_stt_failure_is_a_clear_error(world: Any) -> None:
    client, groq, _, _ = world
    groq.fail_next(500)
    groq.fail_next(500)
    body = (await upload(client, HELLO)).json()
    assert body["status"] == "error"
    assert body["error"]["code"] == "stt_unavailable"
    assert len(transcriptions(groq)) <= 2


async def test_stt_timeout_ends_the_turn(world: Any) -> None:
    client, groq, _, _ = world
    groq.hang = True
    body = (await upload(client, HELLO)).json()
    groq.hang = False
    assert body["status"] == "error"
    assert body["timings_ms"]["total"] < 10_000


async def test_tts_quota_exhausted_falls_back_to_espeak(world: Any) -> None:
    client, groq, eleven, rt = world
    eleven.quota_exceeded = True
    groq.transcribe_with("shuffle on")
    body = (await upload(client, HELLO, query="?reply_audio=true")).json()
    assert body["response_text"] == "Shuffle is on."
    assert len(base64.b64decode(body["reply_audio"]["base64"])) > 1000
    assert rt.runner.last["reply_source"] == "espeak"
    groq.transcribe_with("shuffle off")
    await upload(client, HELLO, query="?reply_audio=true")
    assert len(eleven.requests) == 1  # cooling down: no second try


# ------------------------------------------------------------------ bad uploads


async def test_missing_file_is_422(world: Any) -> None:
    client = world[0]
    response = await client.post("/v1/voice/process", data={"session_id": "x"})
    assert response.status_code == 422
    assert "file" in response.json()["message"]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 400),
        (HELLO[:44] + HELLO[44:200], 400),
        (b"hello, this is not audio at all" * 10, 415),
        (b"%PDF-1.4\n" + bytes(2000), 415),
    ],
    ids=["empty", "truncated-wav", "text", "pdf"],
)
async def test_bad_uploads(world: Any, data: bytes, status: int) -> None:
    response = await upload(world[0], data)
    assert response.status_code == status, response.text
    assert response.json()["message"]


@pytest.mark.parametrize("world", [{"SAM_VOICE_MAX_UPLOAD_MB": "0.05"}], indirect=True)
async def test_too_large_is_413(world: Any) -> None:
    response = await upload(world[0], HELLO)
    assert response.status_code == 413
    assert "MB" in response.json()["message"]


@pytest.mark.parametrize("world", [{"SAM_VOICE_MAX_UPLOAD_SECONDS": "5"}], indirect=True)
async def test_too_long_is_413(world: Any) -> None:
    response = await upload(world[0], (DATA / "long_speech.wav").read_bytes())
    assert response.status_code == 413


async def test_no_stt_is_503_naming_the_setting(settings: Settings, songs: Path) -> None:
    rt = await build_runtime(voice_settings(settings, songs, None, None))
    try:
        app = create_app(rt.settings, rt)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://sam") as client:
            response = await upload(client, HELLO)
        assert response.status_code == 503
        assert "SAM_GROQ_API_KEY" in response.json()["message"]
    finally:
        await rt.aclose()
