"""A browser on the network in Debian's Chromium: it signs in with the pairing code and reaches
the page; ``/login`` and ``/pair`` fit a phone and pass axe-core in both colour schemes; pasted
addresses get the page's own sentences; an ``X-Forwarded-For`` it sends counts for nothing.

The browser really is on another address: Chromium runs in a network namespace joined to this
machine by a veth pair (:mod:`tests.web.lan`, root only; skipped with the reason otherwise), and
the service listens on this machine's end of the link.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.browser import (
    CHROMIUM,
    Service,
    axe_violations,
    chromium,
    overflow_px,
    running_service,
)
from tests.web.lan import Lan, lan


@pytest.fixture(scope="module")
def network() -> Iterator[Lan]:
    with lan() as link:
        yield link


@pytest.fixture(scope="module")
def browser(network: Lan, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(str(network.wrap(CHROMIUM, tmp_path_factory.mktemp("lan")))) as found:
        yield found


@pytest.fixture
def service(network: Lan, tmp_path: Path) -> Iterator[Service]:
    with running_service(tmp_path, host=network.device) as running:
        yield running


def lan_page(browser: Any, width: int, *, dark: bool = False,
             headers: dict[str, str] | None = None) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme="dark" if dark else "light",
                                  extra_http_headers=headers or {})
    return context.new_page()


def _check(page: Any, name: str, shots: Path) -> None:
    page.wait_for_load_state("networkidle")
    assert overflow_px(page) <= 0, f"{name} is {overflow_px(page)} px too wide"
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    bad = axe_violations(page)
    assert not bad, (name, [(v["id"], v["nodes"][0]["html"]) for v in bad])
    small = page.evaluate("""() => [...document.querySelectorAll(
        'main button, main input:not([type=hidden]), main select')].filter(e => {
          const r = e.getBoundingClientRect(); return r.width > 0 && r.height < 44;
        }).map(e => e.outerHTML.slice(0, 80))""")
    assert not small, (name, small)


def test_a_browser_on_the_network_signs_in_with_the_code_and_reaches_the_page(
        browser: Any, service: Service, network: Lan, tmp_path: Path) -> None:
    status = service.sam("status")
    assert status.returncode == 0, status.stderr
    line = next(x for x in status.stdout.splitlines() if "pairing code" in x)
    code = line.rsplit(":", 1)[1].strip()
    assert len(code) == 6 and code.isdigit()

    for dark in (False, True):
        page = lan_page(browser, 390, dark=dark)
        page.goto(f"{service.base}/")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.locator("#where")).to_contain_text("journalctl -u sam-edge")
        expect(page.locator("#tries")).to_have_text("5 tries left before a pause.")
        _check(page, f"login-390{'-dark' if dark else ''}", tmp_path)
        page.context.close()

    page = lan_page(browser, 390)
    page.goto(f"{service.base}/login")
    page.get_by_label("Pairing code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That code is not right.")
    expect(page.locator("#tries")).to_have_text("4 tries left before a pause.")
    # The service saw the browser's own address, not loopback and not its own.
    assert f"a wrong pairing code was entered from {network.client}" in service.log.read_text()
    page.get_by_label("Pairing code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#state")).to_have_text("idle")
    assert page.url == f"{service.base}/"

    # Signed in: the accounts page, without the code (that stays on the device).
    page.goto(f"{service.base}/pair")
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    assert code not in page.content()
    _check(page, "pair-lan-390", tmp_path)

    # Pasted addresses that cannot finish a pairing get the page's own sentences.
    page.get_by_role("button", name="Finish pairing").click()
    expect(page.locator("h1")).to_have_text("Spotify was not paired")
    expect(page.locator("p").first).to_contain_text("Paste the whole address")
    page.go_back()
    page.get_by_label("The address you were sent to").fill(
        f"http://127.0.0.1:{service.env['SAM_HTTP_PORT']}/v1/adapter/spotify/callback"
        "?code=abc&state=xyz")
    page.get_by_role("button", name="Finish pairing").click()
    expect(page.locator("p").first).to_have_text(
        "Press Connect first, then paste the address you were sent to.")
    page.go_back()
    page.get_by_label("The address you were sent to").fill(
        "https://example.com/callback?code=abc&state=xyz")
    page.get_by_role("button", name="Finish pairing").click()
    expect(page.locator("p").first).to_contain_text("That address is not from Spotify's sign-in")
    _check(page, "pair-result-390", tmp_path)
    page.context.close()

    dark = lan_page(browser, 390, dark=True)
    dark.goto(f"{service.base}/login")
    dark.get_by_label("Pairing code").fill(code)
    dark.get_by_role("button", name="Sign in").click()
    dark.goto(f"{service.base}/pair")
    _check(dark, "pair-lan-390-dark", tmp_path)
    dark.get_by_role("button", name="Finish pairing").click()
    _check(dark, "pair-result-390-dark", tmp_path)
    dark.context.close()


def test_a_forwarded_for_header_from_the_network_counts_for_nothing(
        browser: Any, service: Service, network: Lan) -> None:
    """uvicorn takes ``X-Forwarded-For`` only from a proxy on loopback: from the network it
    neither makes the browser local nor lets it past the sign-in."""
    page = lan_page(browser, 390, headers={"X-Forwarded-For": "127.0.0.1"})
    page.goto(f"{service.base}/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # fetch() from the page, so the request leaves from the browser's address (page.request
    # would be sent by Playwright itself, from this machine).
    status = page.evaluate("async () => (await fetch('/v1/state', {headers: "
                           "{'X-Forwarded-For': '127.0.0.1'}})).status")
    assert status == 401
    page.goto(f"{service.base}/pair")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.context.close()
    # The same service from this machine's own end of the link is local (the device itself).
    assert httpx.get(f"{service.base}/v1/state", timeout=10).status_code == 200
