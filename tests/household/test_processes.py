"""Two ``sam-edge run`` processes of one household, each with its own data dir (and one page in
Chromium listing both): "play Hello in
the kitchen" and "pause the kitchen" said to the living room play and pause the kitchen."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.audio_files import make_song
from tests.household.devices import device_settings
from tests.household.private_pg import free_port
from tests.web.browser import CHROMIUM, page_at


def _start(home: Path, name: str, database_url: str, redis_url: str,
           music: Path) -> tuple[subprocess.Popen[bytes], str]:
    settings = device_settings(home, name, database_url, redis_url, music)
    port = free_port()
    env = {**os.environ, "SAM_CONFIG": str(home / name / "config.toml"),
           "SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(music),
           "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_HTTP_PORT": str(port),
           "SAM_LOG_LEVEL": "WARNING"}
    sam = str(Path(sys.executable).with_name("sam-edge"))
    proc = subprocess.Popen([sam, "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(home / f"{name}.log", "wb"))  # noqa: SIM115
    return proc, f"http://127.0.0.1:{port}"


def _ready(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not start")


def _say(base: str, text: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.post(f"{base}/v1/chat/message", json={"text": text},
                                      timeout=30).json()
    return body


@pytest.fixture
def two_devices(fresh_database: str, redis_url: str,
                tmp_path: Path) -> Iterator[tuple[str, str]]:
    # A database of its own: a search cached by an earlier test names that test's files.
    database_url = fresh_database
    music = tmp_path / "music"
    make_song(music, "Adele/25/01 Hello.mp3", title="Hello", artist="Adele", album="25",
              track=1, seconds=60.0)  # still playing when a page looks
    kitchen, k_url = _start(tmp_path, "kitchen", database_url, redis_url, music)
    living, l_url = _start(tmp_path, "living", database_url, redis_url, music)
    try:
        deadline = time.monotonic() + 60
        _ready(k_url, deadline)
        _ready(l_url, deadline)
        yield k_url, l_url
    finally:
        for proc in (kitchen, living):
            proc.terminate()
        for proc in (kitchen, living):
            proc.wait(timeout=30)


def _until(check: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_room_across_processes(two_devices: tuple[str, str]) -> None:
    kitchen, living = two_devices
    # Each process announces itself in its first heartbeat, at start.
    _until(lambda: _say(living, "play Hello in the kitchen")["status"] == "ok")
    _until(lambda: _say(kitchen, "what's playing")["response_text"].startswith("This is Hello"))
    assert _say(living, "pause the kitchen")["status"] == "ok"
    _until(lambda: "Hello" in (text := _say(kitchen, "what's playing")["response_text"])
           and "is paused" in text)
    assert _say(living, "what's playing")["response_text"] == "Nothing is playing."


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Chromium opened inside the test, after the async fixtures (Playwright's sync API runs
    an event loop of its own, so it cannot be open while they set up)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (./install.sh --dev)")
    with sync_api.sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM,
                                           args=["--no-sandbox", "--disable-gpu"])
        try:
            yield found
        finally:
            found.close()


def test_the_page_shows_the_households_devices_in_chromium(
        two_devices: tuple[str, str]) -> None:
    _, living = two_devices
    _until(lambda: _say(living, "play Hello in the kitchen")["status"] == "ok")

    def kitchen_plays() -> bool:  # its next heartbeat (every 15 s) says what it plays
        found = httpx.get(f"{living}/v1/household", timeout=5).json()["devices"]
        return any(d["name"] == "kitchen" and "Hello" in d["playing"] for d in found)

    _until(kitchen_plays, timeout_s=40.0)
    with chromium() as browser:
        page = page_at(browser, 800)
        page.goto(f"{living}/")
        rows = page.locator("#household-devices li")
        rows.nth(1).wait_for(timeout=10_000)
        assert page.locator("#household").is_visible()
        texts = rows.all_inner_texts()
        assert len(texts) == 2 and texts[0].startswith("living (this device)")
        assert "kitchen" in texts[1] and "Playing Hello" in texts[1]
        page.context.close()
