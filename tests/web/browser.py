"""Debian's Chromium through Playwright for the page tests (never a downloaded browser), and a
``sam-edge run`` beside a fake Spotify that a test can stop and start again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify

SAM = str(Path(sys.executable).with_name("sam-edge"))
CHROMIUM = os.environ.get("SAM_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = Path(sys.prefix) / "axe-core" / "axe.min.js"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    env: dict[str, str]
    fake: FakeSpotify
    log: Path
    proc: subprocess.Popen[str] | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://{self.env['SAM_HTTP_HOST']}:{self.env['SAM_HTTP_PORT']}"

    def start(self) -> None:
        with self.log.open("a") as sink:
            self.proc = subprocess.Popen([SAM, "run"], env=self.env, stdout=sink,
                                         stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"sam-edge run did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.proc = None

    def sam(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([SAM, *args], env=self.env, capture_output=True, text=True,
                              timeout=60)


def service_env(tmp_path: Path, spotify_url: str, host: str = "127.0.0.1") -> dict[str, str]:
    """A simulated service in ``tmp_path`` whose Spotify is the fake at ``spotify_url``,
    listening on ``host``."""
    (tmp_path / "music").mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SAM_", "GROQ_"))}
    return {**clean, "SAM_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path),
            "SAM_MUSIC_DIR": str(tmp_path / "music"), "SAM_HTTP_PORT": str(free_port()),
            "SAM_HTTP_HOST": host,
            "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
            "SAM_CONFIG": str(tmp_path / "absent.toml"), "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SAM_SPOTIFY_API_URL": f"{spotify_url}/v1", "SAM_SPOTIFY_ACCOUNTS_URL": spotify_url}


@contextmanager
def running_service(tmp_path: Path, host: str = "127.0.0.1") -> Iterator[Service]:
    fake = FakeSpotify.with_demo_catalog()
    with serve(fake.app) as url:
        running = Service(service_env(tmp_path, url, host), fake, tmp_path / "service.log")
        running.start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with running_service(tmp_path) as running:
        yield running


@contextmanager
def chromium(executable: str = CHROMIUM) -> Iterator[Any]:
    """Debian's Chromium through Playwright (``executable`` may be a script that runs it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (./install.sh --dev)")
    with sync_api.sync_playwright() as playwright:
        try:
            found = playwright.chromium.launch(executable_path=executable,
                                               args=["--no-sandbox", "--disable-gpu"])
        except Exception as exc:
            pytest.skip(f"Chromium did not start through Playwright: {str(exc)[:300]}")
        try:
            yield found
        finally:
            found.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as found:
        yield found


def page_at(browser: Any, width: int, *, dark: bool = False) -> Any:
    """A fresh page (its own cookies) that never leaves 127.0.0.1: cover art from the
    platforms' image hosts is answered with a tiny picture here."""
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme="dark" if dark else "light")
    page = context.new_page()

    def route(request_route: Any) -> None:
        host = request_route.request.url.split("/")[2]
        if host.startswith(("127.0.0.1", "localhost")) or request_route.request.url.startswith(
                ("data:", "blob:")):
            request_route.continue_()
        else:
            request_route.fulfill(status=200, content_type="image/svg+xml",
                                  body='<svg xmlns="http://www.w3.org/2000/svg" width="4" '
                                       'height="4"><rect width="4" height="4" fill="#888"/></svg>')

    page.route("**/*", route)
    return page


def pair_spotify(service: Service) -> None:
    """Pair the fake Spotify account the way ``sam-edge pair`` does."""
    printed = service.sam("pair", "spotify", "--print-url")
    assert printed.returncode == 0, printed.stderr
    redirect = httpx.get(printed.stdout.strip(), follow_redirects=False, timeout=5)
    done = service.sam("pair", "spotify", "--redirect-url", redirect.headers["location"])
    assert done.returncode == 0, done.stderr


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (./install.sh --dev fetches it)")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})).violations")
    return [v for v in found if v.get("impact") in ("serious", "critical")]


def overflow_px(page: Any) -> int:
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))
