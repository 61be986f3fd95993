"""A room on Spotify: "play Hello on the kitchen speaker" plays on the Spotify Connect device
called Kitchen (the fake Spotify's), from a household device whose own speaker is elsewhere."""

from __future__ import annotations

import time
from pathlib import Path

from sam_edge.accounts.tokens import TokenSet
from sam_edge.app.runtime import build_runtime
from sam_edge.settings import load_settings
from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify
from tests.household.devices import device_settings


async def test_play_on_a_connect_device_by_room(fresh_database: str, redis_url: str,
                                                tmp_path: Path) -> None:
    fake = FakeSpotify.with_demo_catalog()
    fake.add_device("Living Room Pi", active=True)
    (tmp_path / "music").mkdir()
    with serve(fake.app) as url:
        base = device_settings(tmp_path, "living room", fresh_database, redis_url,
                               tmp_path / "music")
        config = tmp_path / "living room" / "config.toml"
        settings = load_settings(config, {
            "SAM_DATA_DIR": str(base.data.dir), "SAM_MUSIC_DIR": str(tmp_path / "music"),
            "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SAM_SPOTIFY_API_URL": f"{url}/v1", "SAM_SPOTIFY_ACCOUNTS_URL": url,
            "SAM_SPOTIFY_TIMEOUT_S": "2"})
        rt = await build_runtime(settings)
        try:
            issued = fake.issue_tokens()
            await rt.tokens.save("spotify", TokenSet(
                issued["access_token"], issued["refresh_token"], time.time() + 3600,
                issued["scope"]))
            result = await rt.runner.chat("play Hello by Adele on the kitchen speaker")
            assert result.status == "ok", result
            assert fake.state.device is not None and fake.state.device.name == "Kitchen"
            assert settings.spotify.device == ""  # a room is given per command, not set
            paused = await rt.runner.chat("pause the kitchen")
            assert paused.status == "ok", paused
            assert fake.calls("PUT", "me/player/pause")[-1].query == {
                "device_id": fake.state.device.id}
            unknown = await rt.runner.chat("play Hello by Adele in the garage")
            assert unknown.status == "not_found"
            assert "Kitchen" in unknown.response_text
        finally:
            await rt.aclose()
