#!/usr/bin/env bash
# Refresh docs/screenshots/*.png: each page at 390 and 1280 px, from a simulated service with
# a fake Spotify (no network, no keys). Needs ./install.sh --dev (Playwright, Debian's Chromium).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec .venv/bin/python - "$PWD/docs/screenshots" <<'PY'
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, ".")
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.spotify import FakeSpotify  # noqa: E402
from tests.web.browser import CHROMIUM, Service, page_at, pair_spotify, service_env  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
fake = FakeSpotify.with_demo_catalog()
with tempfile.TemporaryDirectory() as tmp, serve(fake.app) as url:
    running = Service(service_env(Path(tmp), url), fake, Path(tmp) / "service.log")
    running.start()
    try:
        pair_spotify(running)
        for text in ("play Doxy", "set the volume to 40", "play something that is not there"):
            httpx.post(f"{running.base}/v1/chat/message", json={"text": text}, timeout=30)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--no-sandbox", "--disable-gpu"])
            for width in (390, 1280):
                page = page_at(browser, width)
                for path in ("/", "/setup", "/pair"):
                    page.goto(f"{running.base}{path}")
                    page.wait_for_timeout(1500)
                    name = (path.strip("/") or "home") + f"-{width}.png"
                    page.screenshot(path=str(out / name), full_page=width == 390, scale="css")
                    print(out / name)
                page.context.close()
            browser.close()
    finally:
        running.stop()
PY
