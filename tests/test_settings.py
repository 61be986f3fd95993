"""Settings: TOML file + SAM_* environment (a contract)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sam_edge.errors import ConfigError
from sam_edge.settings import load_settings


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    s = load_settings(tmp_path / "absent.toml", {})
    assert s.http.host == "127.0.0.1" and s.http.port == 8080
    assert s.spotify.api_url == "https://api.spotify.com/v1"
    assert s.spotify.accounts_url == "https://accounts.spotify.com"
    assert s.groq.base_url == "https://api.groq.com"
    assert s.groq.chat_model == "openai/gpt-oss-20b"
    assert s.groq.stt_model == "whisper-large-v3"
    assert s.music.default_platform == "auto"
    assert s.spotify_redirect_uri == "http://127.0.0.1:8080/v1/adapter/spotify/callback"
    assert s.groq.timeout_s == 8 and s.spotify.timeout_s == 5


def test_environment_overrides_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[http]\nport = 9000\n[spotify]\ndevice = "Kitchen"\nclient_id = "file"\n')
    env = {
        "SAM_SPOTIFY_CLIENT_ID": "env-id",
        "SAM_DEFAULT_PLATFORM": "local",
        "SAM_DATA_DIR": str(tmp_path / "d"),
        "SAM_MUSIC_DIR": str(tmp_path / "m"),
        "SAM_GROQ_BASE_URL": "http://127.0.0.1:1",
        "SAM_ELEVENLABS_BASE_URL": "http://127.0.0.1:2",
        "SAM_SOUNDCLOUD_API_URL": "http://127.0.0.1:3",
        "SAM_SPOTIFY_ACCOUNTS_URL": "http://127.0.0.1:4",
        "SAM_GROQ_CHAT_MODEL": "qwen/qwen3.6-27b",
        "SAM_LANGUAGE": "te",
        "SAM_HTTP_HOST": "0.0.0.0",
    }
    s = load_settings(cfg, env)
    assert s.http.port == 9000
    assert s.spotify.device == "Kitchen"
    assert s.spotify.client_id == "env-id"
    assert s.music.default_platform == "local"
    assert s.data.dir == tmp_path / "d"
    assert s.music.dir == tmp_path / "m"
    assert s.groq.base_url == "http://127.0.0.1:1"
    assert s.elevenlabs.base_url == "http://127.0.0.1:2"
    assert s.soundcloud.api_url == "http://127.0.0.1:3"
    assert s.spotify.accounts_url == "http://127.0.0.1:4"
    assert s.groq.chat_model == "qwen/qwen3.6-27b"
    assert s.speech.language == "te"
    assert s.service_url == "http://127.0.0.1:9000"


def test_config_path_from_env(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[http]\nport = 8111\n")
    assert load_settings(None, {"SAM_CONFIG": str(cfg)}).http.port == 8111


@pytest.mark.parametrize(
    ("content", "env", "needle"),
    [
        ("[http]\nport = 'eighty'\n", {}, "[http] port"),
        ("[http\nport = 1\n", {}, "invalid TOML"),
        ("[spotify]\nclientid = 'x'\n", {}, "[spotify] clientid: unknown setting"),
        ("", {"SAM_HTTP_PORT": "99999"}, "[http] port"),
        ("", {"SAM_DEFAULT_PLATFORM": "napster"}, "[music] default_platform"),
    ],
)
def test_invalid_settings_name_the_field(tmp_path: Path, content: str, env: dict[str, str],
                                         needle: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env)
    assert needle in info.value.message
    assert "\n" not in info.value.message


def test_cli_exits_2_with_one_line_on_bad_config(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[http]\nport = 'x'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sam_edge.cli", "--config", str(cfg), "chat", "pause"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "[http] port" in lines[0]


def test_speech_languages_from_toml_or_environment(tmp_path: Path) -> None:
    from sam_edge.errors import ConfigError

    cfg = tmp_path / "sam.toml"
    cfg.write_text('[speech]\nlanguages = ["te", "hi"]\n')
    assert load_settings(cfg, {}).speech.languages == ("te", "hi")
    assert load_settings(tmp_path / "absent.toml",
                         {"SAM_SPEECH_LANGUAGES": "te,hi"}).speech.languages == ("te", "hi")
    assert load_settings(tmp_path / "absent.toml", {}).speech.languages == ()
    with pytest.raises(ConfigError, match="languages"):
        load_settings(tmp_path / "absent.toml", {"SAM_SPEECH_LANGUAGES": "telugu!"})
@pytest.mark.parametrize(("env", "mode"), [
    ({"SAM_GPIO": "mock"}, "mock"),
    ({"SAM_GPIO": "pi", "SAM_GPIO_MODE": "mock"}, "pi"),
    ({"SAM_GPIO_MODE": "mock"}, "mock"),
    ({}, "auto"),
])
def test_sam_gpio_is_accepted_and_wins(tmp_path: Path, env: dict[str, str], mode: str) -> None:
    assert load_settings(tmp_path / "absent.toml", env).gpio.mode == mode


def test_a_bad_sam_gpio_is_a_one_line_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path / "absent.toml", {"SAM_GPIO": "banana"})
    message = raised.value.message
    assert "\n" not in message and "[gpio] mode" in message and "SAM_GPIO" in message
