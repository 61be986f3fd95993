"""Native-script titles through the chat API: a music folder of files tagged in Devanagari,
Telugu, Tamil and Bengali (tags written by ffmpeg), asked for in Latin letters."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import Settings, load_settings
from sam_edge.web.app import create_app

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

SONGS = {
    "tum_hi_ho.mp3": ("तुम ही हो", "अरिजीत सिंह"),
    "tum_ho.mp3": ("तुम हो", "Mohit Chauhan"),
    "tum_se_hi.mp3": ("Tum Se Hi", "Mohit Chauhan"),
    "samaja.mp3": ("సామజవరగమన", "Sid Sriram"),
    "naatu.mp3": ("నాటు నాటు", "Rahul Sipligunj"),
    "rowdy.mp3": ("ரவுடி பேபி", "Dhanush"),
    "tumi.mp3": ("তুমি রবে নীরবে", "Rabindranath Tagore"),
    "sapno.mp3": ("मेरे सपनों की रानी", "Kishore Kumar"),
    "sapno_cover.mp3": ("Mere Sapno Ki Rani", "Cover Band"),
    "sapnon_remix.mp3": ("Mere Sapnon Ki Raani", "Remix Band"),
}


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("native")
    for name, (title, artist) in SONGS.items():
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             "sine=frequency=440:duration=1", "-ac", "1", "-metadata", f"title={title}",
             "-metadata", f"artist={artist}", str(folder / name)],
            check=True, timeout=30)
    return folder


@pytest.fixture
async def client(settings: Settings, songs: Path) -> AsyncIterator[httpx.AsyncClient]:
    env = {"SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(songs),
           "SAM_PLAYER_AUDIO_OUTPUT": "null"}
    rt: Runtime = await build_runtime(load_settings(settings.data.dir / "absent.toml", env))
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as c:
        yield c
    await rt.aclose()


async def say(client: httpx.AsyncClient, text: str) -> dict[str, Any]:
    response = await client.post("/v1/chat/message", json={"text": text, "session_id": "t"})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(("query", "file"), [
    ("play tum hi ho", "tum_hi_ho.mp3"),
    ("play tum ho", "tum_ho.mp3"),
    ("play tum se hi", "tum_se_hi.mp3"),
    ("play samajavaragamana", "samaja.mp3"),
    ("play naatu naatu song", "naatu.mp3"),
    ("play natu natu", "naatu.mp3"),
    ("play rowdy baby", "rowdy.mp3"),
    ("play tumi robe nirobe", "tumi.mp3"),
    ("play tum hi ho by arijit singh", "tum_hi_ho.mp3"),
])
async def test_latin_requests_play_native_script_files(client: httpx.AsyncClient, songs: Path,
                                                       query: str, file: str) -> None:
    body = await say(client, query)
    assert body["status"] == "ok", body
    title, _ = SONGS[file]
    assert body["parameters"]["title"] == title  # the tag verbatim (contract)
    assert body["parameters"]["uri"] == f"local:track:{songs / file}"
    assert body["response_text"].startswith(f"Playing {title}")


@pytest.mark.parametrize("query", ["play tum", "play kal ho naa ho", "play naatu", "play rowdy"])
async def test_songs_that_are_not_there_are_not_found(client: httpx.AsyncClient,
                                                      query: str) -> None:
    body = await say(client, query)
    assert body["status"] == "not_found", body
    assert "candidates" not in body["parameters"]


async def test_unclear_requests_ask_and_the_answer_plays(client: httpx.AsyncClient,
                                                        songs: Path) -> None:
    body = await say(client, "play mere sapno ki raani")
    assert body["status"] == "not_found", body
    candidates = body["parameters"]["candidates"]
    assert candidates[0] in ("मेरे सपनों की रानी", "Mere Sapno Ki Rani")
    assert candidates[1:] == ["Mere Sapnon Ki Raani"]
    assert body["response_text"].startswith("Did you mean ")
    chosen = await say(client, "the second one")
    assert chosen["status"] == "ok", chosen
    assert chosen["parameters"]["title"] == candidates[1]
