"""Pairing in a real browser: headless Chromium against ``sam-edge run`` and a fake Spotify.

Skipped (with the reason) when Chromium is missing or cannot start here. Screenshots are kept in
the test's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify

SAM = str(Path(sys.executable).with_name("sam-edge"))
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=900,1300")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Chromium:
    def __init__(self, binary: str, profile: Path) -> None:
        self.binary, self.profile = binary, profile

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.binary, *FLAGS, f"--user-data-dir={self.profile}", *args],
                              capture_output=True, text=True, timeout=90)

    def dom(self, url: str) -> str:
        proc = self.run("--dump-dom", url)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    def screenshot(self, url: str, path: Path) -> Path:
        proc = self.run(f"--screenshot={path}", url)
        assert proc.returncode == 0 and path.exists(), proc.stderr[-2000:]
        return path


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    binary = _chromium()
    if binary is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    browser = Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))
    try:
        proc = browser.run("--dump-dom", "data:text/html,<p id=ok>ok</p>")
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"headless Chromium did not start: {exc}")
    if proc.returncode != 0 or 'id="ok"' not in proc.stdout:
        pytest.skip(f"headless Chromium did not start: {proc.stderr.strip()[-300:]}")
    return browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, FakeSpotify, Path]]:
    """``sam-edge run`` on a free port, its Spotify being the fake."""
    fake = FakeSpotify()
    (tmp_path / "music").mkdir()
    port = _free_port()
    with serve(fake.app) as url:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SAM_", "GROQ_"))}
        env = {**clean, "SAM_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path),
               "SAM_MUSIC_DIR": str(tmp_path / "music"), "SAM_HTTP_PORT": str(port),
               "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
               "SAM_CONFIG": str(tmp_path / "absent.toml"), "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
               "SAM_SPOTIFY_API_URL": f"{url}/v1", "SAM_SPOTIFY_ACCOUNTS_URL": url}
        log = tmp_path / "service.log"
        with log.open("w") as sink:
            proc = subprocess.Popen([SAM, "run"], env=env, stdout=subprocess.DEVNULL,
                                    stderr=sink, text=True)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(timeout=5)
                pytest.fail(f"sam-edge run did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        try:
            yield base, fake, log
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def png_colours(path: Path, limit: int = 64) -> int:
    """How many distinct pixel colours an 8-bit RGB/RGBA PNG has (counting stops at ``limit``)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    bpp = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    previous, colours = bytearray(stride), set()
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = row[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                    else corner)) & 255
        colours.update(bytes(row[x:x + bpp]) for x in range(0, stride, bpp * 7))
        if len(colours) >= limit:
            break
        previous = row
    return len(colours)


def test_pairing_in_a_real_browser(chromium: Chromium,
                                   service: tuple[str, FakeSpotify, Path],
                                   tmp_path: Path) -> None:
    base, fake, log = service
    before = chromium.screenshot(f"{base}/pair", tmp_path / "pair-before.png")
    assert png_colours(before) > 1
    assert "not connected" in chromium.dom(f"{base}/pair")

    # One navigation: the service's 302 to the fake's authorize page, its 302 back to the
    # callback, carrying the session cookie set by the first response.
    landing = chromium.dom(f"{base}/v1/adapter/spotify/login")
    assert "Spotify paired as Sam Tester" in landing

    status = httpx.get(f"{base}/v1/adapter/spotify/status", timeout=5).json()
    assert status["connected"] is True
    assert status["account"] == {"id": "samtester", "display_name": "Sam Tester"}
    after = chromium.screenshot(f"{base}/pair", tmp_path / "pair-after.png")
    assert png_colours(after) > 1
    page = chromium.dom(f"{base}/pair")
    assert "as Sam Tester" in page
    code = (tmp_path / "data" / "pairing-code").read_text().strip()
    assert code in page and f"pairing code for browsers on the network: {code}" in log.read_text()
    for token in [*fake._access, *fake._refresh]:
        assert token not in page and token not in landing and token not in log.read_text()
