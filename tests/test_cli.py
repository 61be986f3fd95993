"""The ``sam-edge`` command as a user runs it (a contract): chat, pair spotify, run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify

SAM = str(Path(sys.executable).with_name("sam-edge"))
SCOPES = ("user-read-playback-state user-modify-playback-state user-read-currently-playing "
          "user-library-read user-library-modify playlist-read-private "
          "playlist-read-collaborative")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def spotify() -> Iterator[tuple[FakeSpotify, str]]:
    fake = FakeSpotify.with_demo_catalog()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    music = tmp_path / "music"
    music.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SAM_", "GROQ_"))}
    return {**clean, "SAM_DATA_DIR": str(tmp_path / "data"), "SAM_MUSIC_DIR": str(music),
            "SAM_HTTP_PORT": str(free_port()), "SAM_PLAYER_AUDIO_OUTPUT": "null",
            "SAM_CONFIG": str(tmp_path / "absent.toml"), "HOME": str(tmp_path)}


def with_spotify(env: dict[str, str], url: str) -> dict[str, str]:
    return {**env, "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID, "SAM_SPOTIFY_API_URL": f"{url}/v1",
            "SAM_SPOTIFY_ACCOUNTS_URL": url}


def sam(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([SAM, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=60)


def browser(url: str) -> str:
    """What the browser is redirected to after the user allows access."""
    response = httpx.get(url, follow_redirects=False, timeout=5)
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


# ---------------------------------------------------------------- chat


def test_chat_json_prints_exactly_one_object(env: dict[str, str]) -> None:
    proc = sam(env, "chat", "--json", "set the volume to 40")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["action"] == "SET_VOLUME" and body["parameters"]["level"] == 40
    assert set(body) >= {"action", "parameters", "response_text", "status", "timings_ms"}
    assert proc.stdout.count("\n") == 1
    assert "in-process" in proc.stderr and "playback stops" in proc.stderr


def test_chat_prints_the_reply(env: dict[str, str]) -> None:
    proc = sam(env, "chat", "what's", "playing")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Nothing is playing."


def test_interactive_chat_reads_lines_until_eof(env: dict[str, str]) -> None:
    proc = sam(env, "chat", stdin="pause\nshuffle on\n")
    assert proc.returncode == 0, proc.stderr
    assert "Paused." in proc.stdout and "Shuffle is on." in proc.stdout


# ---------------------------------------------------------------- pair spotify


def test_pair_spotify_interactively(env: dict[str, str],
                                    spotify: tuple[FakeSpotify, str]) -> None:
    fake, url = spotify
    env = with_spotify(env, url)
    proc = subprocess.Popen([SAM, "pair", "spotify"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    authorize = proc.stdout.readline().strip()
    parts = urlsplit(authorize)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{url}/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and "=" not in query["code_challenge"]
    assert query["state"]
    assert query["scope"] == SCOPES
    port = env["SAM_HTTP_PORT"]
    assert query["redirect_uri"] == f"http://127.0.0.1:{port}/v1/adapter/spotify/callback"
    out, err = proc.communicate(browser(authorize) + "\n", timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "Spotify paired as Sam Tester"
    for path in Path(env["SAM_DATA_DIR"]).rglob("*"):
        if path.is_file():
            for token in fake._refresh:
                assert token.encode() not in path.read_bytes()


def _pair_with(env: dict[str, str], rewrite: callable) -> subprocess.CompletedProcess[str]:  # type: ignore[valid-type]
    printed = sam(env, "pair", "spotify", "--print-url")
    assert printed.returncode == 0, printed.stderr
    authorize = printed.stdout.strip()
    assert len(printed.stdout.splitlines()) == 1
    return sam(env, "pair", "spotify", "--redirect-url", rewrite(browser(authorize)))


def test_pair_in_two_steps(env: dict[str, str], spotify: tuple[FakeSpotify, str]) -> None:
    _, url = spotify
    done = _pair_with(with_spotify(env, url), lambda u: u)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Spotify paired as Sam Tester"


def _with_state(redirect: str, state: str) -> str:
    parts = urlsplit(redirect)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": state}
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_wrong_state_is_refused(env: dict[str, str], spotify: tuple[FakeSpotify, str]) -> None:
    _, url = spotify
    done = _pair_with(with_spotify(env, url), lambda u: _with_state(u, "forged"))
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "state" in done.stderr
    assert done.stdout == ""


def test_access_denied(env: dict[str, str], spotify: tuple[FakeSpotify, str]) -> None:
    fake, url = spotify
    fake.deny = True
    done = _pair_with(with_spotify(env, url), lambda u: u)
    assert done.returncode == 1
    assert "denied" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_token_error(env: dict[str, str], spotify: tuple[FakeSpotify, str]) -> None:
    fake, url = spotify
    fake.fail_next("POST", "/api/token", 400,
                   {"error": "invalid_grant", "error_description": "Invalid authorization code"})
    done = _pair_with(with_spotify(env, url), lambda u: u)
    assert done.returncode == 1
    assert "Invalid authorization code" in done.stderr


def test_no_pending_request(env: dict[str, str], spotify: tuple[FakeSpotify, str]) -> None:
    _, url = spotify
    done = sam(with_spotify(env, url), "pair", "spotify", "--redirect-url",
               "http://127.0.0.1:8080/v1/adapter/spotify/callback?code=x&state=y")
    assert done.returncode == 1


def test_no_client_id_exits_2(env: dict[str, str]) -> None:
    done = sam(env, "pair", "spotify")
    assert done.returncode == 2
    assert "SAM_SPOTIFY_CLIENT_ID" in done.stderr


# ---------------------------------------------------------------- run


@pytest.fixture
def service(env: dict[str, str], spotify: tuple[FakeSpotify, str]
            ) -> Iterator[tuple[dict[str, str], FakeSpotify]]:
    fake, url = spotify
    env = with_spotify(env, url)
    proc = subprocess.Popen([SAM, "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{env['SAM_HTTP_PORT']}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            _out, err = proc.communicate(timeout=5)
            pytest.fail(f"sam-edge run did not start: {err}")
        time.sleep(0.1)
    try:
        yield env, fake
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_running_service_answers_chat_and_picks_up_new_tokens(
        service: tuple[dict[str, str], FakeSpotify]) -> None:
    env, fake = service
    health = httpx.get(f"http://127.0.0.1:{env['SAM_HTTP_PORT']}/health", timeout=5).json()
    assert health["status"] == "ok" and health["version"]
    before = sam(env, "chat", "--json", "play Doxy")
    assert "in-process" not in before.stderr  # it talked to the running service
    assert json.loads(before.stdout)["parameters"]["platform"] == "local"

    paired = _pair_with(env, lambda u: u)
    assert paired.returncode == 0, paired.stderr
    after = json.loads(sam(env, "chat", "--json", "play Doxy").stdout)
    assert after["parameters"]["platform"] == "spotify"
    assert after["status"] == "ok", after
    assert fake.state.item.name == "Doxy"


def test_redirect_to_the_running_service_finishes_pairing(
        service: tuple[dict[str, str], FakeSpotify]) -> None:
    env, _ = service
    proc = subprocess.Popen([SAM, "pair", "spotify"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    authorize = proc.stdout.readline().strip()
    landing = httpx.get(browser(authorize), timeout=10)
    assert landing.status_code == 200 and "Spotify paired as Sam Tester" in landing.text
    assert proc.wait(timeout=30) == 0  # stdin stays open: nobody pasted anything
    assert proc.stdout.read().strip().endswith("Spotify paired as Sam Tester")
    assert proc.stdin is not None
    proc.stdin.close()


# ---------------------------------------------------------------- listen, say

DATA = Path(__file__).with_name("data")


def test_listen_runs_one_voice_turn_on_a_file(env: dict[str, str]) -> None:
    proc = sam({**env, "SAM_AUDIO_OUTPUT": "none"}, "listen", "--wav", str(DATA / "pause.wav"))
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["transcript"] == "pause"
    assert (body["action"], body["status"]) == ("PAUSE", "ok")
    assert "pause.txt" in proc.stderr  # the known transcript stood in for speech-to-text


def test_listen_on_silence_is_no_speech(env: dict[str, str], tmp_path: Path) -> None:
    proc = sam({**env, "SAM_AUDIO_OUTPUT": "none"}, "listen", "--wav",
               str(DATA / "silence.wav"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "no_speech"


def test_listen_without_speech_to_text_says_what_to_set(env: dict[str, str],
                                                        tmp_path: Path) -> None:
    wav = tmp_path / "hello.wav"
    wav.write_bytes((DATA / "play_hello_by_adele.wav").read_bytes())
    proc = sam(env, "listen", "--wav", str(wav))
    assert proc.returncode == 1
    assert "SAM_GROQ_API_KEY" in proc.stderr


def test_say_writes_a_wav(env: dict[str, str], tmp_path: Path) -> None:
    import wave

    out = tmp_path / "reply.wav"
    proc = sam(env, "say", "Playing Hello by Adele.", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with wave.open(str(out)) as wav:
        assert wav.getframerate() == 16000 and wav.getnframes() > 8000
    assert "espeak" in proc.stderr


# ---------------------------------------------------------------- SoundCloud


def test_pair_soundcloud_then_play_on_it(env: dict[str, str]) -> None:
    from tests.fakes.soundcloud import FakeSoundCloud
    from tests.fakes.soundcloud_auth import CLIENT_ID as SC_ID
    from tests.fakes.soundcloud_auth import CLIENT_SECRET as SC_SECRET

    fake = FakeSoundCloud.with_demo_catalog()
    with serve(fake.app) as url:
        env = {**env, "SAM_SOUNDCLOUD_CLIENT_ID": SC_ID, "SAM_SOUNDCLOUD_CLIENT_SECRET": SC_SECRET,
               "SAM_SOUNDCLOUD_API_URL": url, "SAM_SOUNDCLOUD_AUTH_URL": f"{url}/auth"}
        printed = sam(env, "pair", "soundcloud", "--print-url")
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.startswith(f"{url}/auth/authorize?")
        done = sam(env, "pair", "soundcloud", "--redirect-url", browser(printed.stdout.strip()))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("SoundCloud paired as ")
        played = json.loads(sam(env, "chat", "--json", "play Nuvvu Nenantu").stdout)
        assert played["parameters"]["platform"] == "soundcloud"  # auto: the paired platform
        assert played["status"] == "ok", played
        assert played["parameters"]["title"] == "Nuvvu Nenantu"


def test_pair_soundcloud_without_client_id_exits_2(env: dict[str, str]) -> None:
    done = sam(env, "pair", "soundcloud")
    assert done.returncode == 2
    assert "SAM_SOUNDCLOUD_CLIENT_ID" in done.stderr


# ---------------------------------------------------------------- sync


def test_sync_while_the_service_runs_then_resolve_from_the_library(
        service: tuple[dict[str, str], FakeSpotify]) -> None:
    env, fake = service
    assert _pair_with(env, lambda u: u).returncode == 0
    synced = sam(env, "sync")
    assert synced.returncode == 0, synced.stderr
    assert len(synced.stdout.splitlines()) == 1 and synced.stdout.startswith("spotify: ")
    searches = len(fake.calls("GET", "/v1/search"))
    body = json.loads(sam(env, "chat", "--json", "play nuvvu nenantu").stdout)
    assert body["status"] == "ok", body
    assert body["parameters"]["title"] == "Nuvvu Nenantu"
    assert len(fake.calls("GET", "/v1/search")) == searches  # resolved on the device


def test_sync_of_a_platform_that_is_not_paired_exits_1(env: dict[str, str],
                                                       spotify: tuple[FakeSpotify, str]) -> None:
    _, url = spotify
    done = sam(with_spotify(env, url), "sync", "--platform", "spotify")
    assert done.returncode == 1
    assert "sam-edge pair spotify" in done.stderr
    nothing = sam(env, "sync")
    assert nothing.returncode == 0


@pytest.mark.parametrize("state", ["%C3%A9t%C3%A9", "a b", ""])
def test_a_malformed_state_is_a_one_line_error(env: dict[str, str],
                                               spotify: tuple[FakeSpotify, str],
                                               state: str) -> None:
    _, url = spotify
    done = sam(with_spotify(env, url), "pair", "spotify", "--redirect-url",
               f"http://127.0.0.1:8080/v1/adapter/spotify/callback?code=x&state={state}")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "state" in done.stderr


def test_forget_erases_the_running_services_words_too(
        service: tuple[dict[str, str], FakeSpotify]) -> None:
    env, _fake = service
    base = f"http://127.0.0.1:{env['SAM_HTTP_PORT']}"
    assert sam(env, "chat", "--json", "play Doxy").returncode == 0
    before = httpx.get(f"{base}/v1/state", timeout=5).json()["last"]
    assert before["parameters"]

    done = sam(env, "forget")

    assert done.returncode == 0, done.stderr
    assert "forgot what it showed too" in done.stdout
    last = httpx.get(f"{base}/v1/state", timeout=5).json()["last"]
    assert last["status"] == before["status"] and last["timings_ms"]
    assert not {"transcript", "parameters", "response_text"} & set(last)
    turns = httpx.get(f"{base}/v1/turns", timeout=5).json()
    listed = turns["turns"] if isinstance(turns, dict) else turns
    assert listed and all("Doxy" not in json.dumps(t) for t in listed)


def test_talk_with_the_enter_key_against_the_running_service(
        service: tuple[dict[str, str], FakeSpotify]) -> None:
    env, _fake = service
    # One Enter, then the end of input: one voice turn (the simulated demo request), answered.
    done = sam(env, "talk", "--json", stdin="\n")
    assert done.returncode == 0, done.stderr
    turns = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(turns) == 1 and turns[0]["source"] == "voice"
    assert turns[0]["transcript"] and "status" in turns[0]


def test_talk_in_process_when_no_service_answers(env: dict[str, str]) -> None:
    done = sam(env, "talk", stdin="\n")
    assert done.returncode == 0, done.stderr
    assert "Press Enter to talk" in done.stderr
    assert done.stdout.strip()  # what was heard and the answer
