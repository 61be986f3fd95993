"""The device's page in Debian's Chromium (Playwright): now playing, the live history, muted
talk, the stopped service, phone widths, axe-core and screenshots (into the test's temp dir)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.web.browser import (
    Service,
    axe_violations,
    browser,
    overflow_px,
    page_at,
    pair_spotify,
    service,
)

__all__ = ["browser", "service"]

NOW_PLAYING = 'section[aria-label="Now playing"]'
PAGES = ("/", "/pair", "/login", "/setup")
AXE_CLEAN = PAGES
"""``/login`` sends a browser on the device itself on to ``/``; a browser on the network sees it
in test_sign_in_browser.py."""


def test_now_playing_follows_the_api_and_a_change_made_elsewhere(browser: Any,
                                                                  service: Service) -> None:
    pair_spotify(service)
    page = page_at(browser, 390)
    page.goto(f"{service.base}/")
    expect(page.locator("#state")).to_have_text("idle")
    answer = httpx.post(f"{service.base}/v1/chat/message", json={"text": "play Doxy"}, timeout=30)
    assert answer.json()["status"] == "ok", answer.text
    card = page.locator(NOW_PLAYING)
    expect(card.locator("#np-title")).to_have_text("Doxy", timeout=10_000)
    item = service.fake.state.item
    expect(card.locator("#np-artist")).to_have_text(", ".join(a.name for a in item.artists))
    expect(card.locator("#np-meta")).to_contain_text("Playing")
    assert card.locator("#np-art").get_attribute("src").startswith("https://i.scdn.co/image/")
    expect(card.locator("#c-toggle")).to_have_accessible_name("Pause")

    # The Spotify app on a phone pauses: nothing on the device made that change.
    service.fake.state.touch()
    service.fake.state.is_playing = False
    started = time.monotonic()
    # It follows within about a second; the margin is for a busy machine.
    expect(card.locator("#np-meta")).to_contain_text("Paused", timeout=5000)
    assert time.monotonic() - started < 5

    # The page's own control is a turn of its own, live in the history.
    card.locator("#c-toggle").click()
    expect(page.locator("#history li").first).to_contain_text("play (on the page)")
    expect(card.locator("#np-meta")).to_contain_text("Playing", timeout=10_000)
    body = httpx.get(f"{service.base}/v1/now-playing", timeout=5).json()
    assert body["title"] == "Doxy" and body["platform"] == "spotify" and body["is_playing"]
    assert body["duration_ms"] == item.duration_ms and body["image_url"]


def test_a_chat_from_the_cli_shows_on_an_open_page(browser: Any, service: Service) -> None:
    page = page_at(browser, 1280)
    page.goto(f"{service.base}/")
    expect(page.locator("#state")).to_have_text("idle")
    done = service.sam("chat", "--json", "set the volume to 40")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    first = page.locator("#history li").first
    expect(first).to_contain_text("“set the volume to 40”", timeout=10_000)
    expect(first.locator(".turn-reply")).to_have_text(result["response_text"])
    expect(first.locator(".source")).to_have_text("chat")

    # A failure is styled and worded as one; quick presses each get their own entry.
    for _ in range(2):
        page.locator("#buttons button", has_text="Next").click()
    expect(page.locator("#history li.failed")).to_have_count(2, timeout=5000)
    failed = page.locator("#history li.failed").first
    assert failed.locator(".turn-reply").inner_text().strip().endswith(".")
    assert "not_verified" not in failed.inner_text()

    # A fresh page shows what happened before it opened.
    fresh = page_at(browser, 390)
    fresh.goto(f"{service.base}/")
    expect(fresh.locator("#history li")).to_have_count(3)
    expect(fresh.locator("#history li").last).to_contain_text("set the volume to 40")


def test_talk_while_muted_says_so_and_stays_idle(browser: Any, service: Service) -> None:
    page = page_at(browser, 390)
    page.goto(f"{service.base}/")
    expect(page.locator("#state")).to_have_text("idle")
    page.get_by_role("button", name="Mute microphone").click()
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    page.locator("#talk").click()
    expect(page.locator("#answer")).to_contain_text("The microphone is muted")
    time.sleep(0.5)
    expect(page.locator("#state")).to_have_text("idle")
    assert httpx.get(f"{service.base}/v1/state", timeout=5).json()["state"] == "idle"

    # Stale fields: an empty command clears the previous answer and says what is wrong.
    page.fill("#text", "   ")
    page.click("#chat button[type=submit]")
    expect(page.locator("#answer")).to_have_text("Type a command first.")
    page.click("#upload button[type=submit]")
    expect(page.locator("#answer")).to_have_text("Choose a recording first.")


def test_the_page_says_when_the_service_stops_and_comes_back(browser: Any,
                                                             service: Service) -> None:
    page = page_at(browser, 390)
    page.goto(f"{service.base}/")
    expect(page.locator("#state")).to_have_text("idle")
    service.stop()
    expect(page.locator("#offline")).to_be_visible(timeout=5000)
    expect(page.locator("#talk")).to_be_disabled()
    service.start()
    expect(page.locator("#offline")).to_be_hidden(timeout=10000)
    expect(page.locator("#talk")).to_be_enabled()
    expect(page.locator("#state")).to_have_text("idle")


def test_every_page_fits_a_phone_passes_axe_and_is_small(browser: Any, service: Service,
                                                         tmp_path: Path) -> None:
    for width in (390, 1280):
        for dark in (False, True):
            page = page_at(browser, width, dark=dark)
            for path in PAGES:
                page.goto(f"{service.base}{path}")
                page.wait_for_load_state("networkidle")
                assert overflow_px(page) <= 0, f"{path} is {overflow_px(page)} px too wide"
                name = (path.strip("/") or "home") + f"-{width}" + ("-dark" if dark else "")
                page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
                bad = axe_violations(page) if path in AXE_CLEAN else []
                assert not bad, (path, dark, [(v["id"], v["nodes"][0]["html"]) for v in bad])
                small = page.evaluate("""() => [...document.querySelectorAll(
                    'main button, main input, main select, nav a')].filter(e => {
                      const r = e.getBoundingClientRect();
                      return r.width > 0 && (r.height < 44 || r.width < 24) &&
                        !e.closest('label');
                    }).map(e => e.outerHTML.slice(0, 80))""")
                assert path not in AXE_CLEAN or not small, (path, small)
            page.context.close()
    assert (tmp_path / "home-390.png").stat().st_size > 1000

    total = sum(len(httpx.get(f"{service.base}{p}", timeout=5).content)
                for p in ("/", "/assets/page.css", "/assets/page.js", "/favicon.svg"))
    assert total < 100_000, total
    assert httpx.get(f"{service.base}/favicon.ico", timeout=5).status_code == 200


def test_setup_shows_the_first_steps_and_the_checks(browser: Any, service: Service) -> None:
    page = page_at(browser, 390)
    page.goto(f"{service.base}/setup")
    steps = page.locator("#checklist li")
    expect(steps.first).to_contain_text("Say something: press Talk")
    expect(page.locator("#checklist")).to_contain_text("Pair Spotify")
    expect(page.locator("#checklist a", has_text="Pair Spotify")).to_have_attribute("href", "/pair")
    expect(page.locator("#accounts")).to_contain_text("Connect your Spotify account")
    expect(page.locator("#music-state")).to_contain_text("0 tracks")
    expect(page.locator("#key-list")).to_contain_text("SAM_SPOTIFY_CLIENT_ID: configured")
    expect(page.locator("#checks-state")).not_to_have_text("Running the checks…", timeout=15000)
    expect(page.locator("#check-list li").first).to_be_visible()
    html = page.content()
    assert service.env["SAM_SPOTIFY_CLIENT_ID"] not in html
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-state")).to_contain_text("No account is paired yet")
