"""Server-rendered pages: ``/pair`` (accounts, the paste form, a QR code of this device) and the
pairing-code sign-in (``/login``) for browsers on the network."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..accounts.platforms import PLATFORMS, configured
from ..app.runtime import Runtime
from .access import access_of, guard_of, safe_next
from .adapters import finish_pairing, status_of
from .deps import get_runtime
from .problem import problem_responses, redirect_responses
from .templates import login_page, render, result_page

FLASHES = {"disconnected": "{title} was disconnected; its tokens were deleted."}
_ANY_ADDRESS = ("0.0.0.0", "", "::")

router = APIRouter()


def lan_address() -> str:
    """The address other machines reach this one at (the outgoing interface's)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            # Connecting a UDP socket sends nothing; it only picks the route (TEST-NET-1).
            sock.connect(("192.0.2.1", 9))
            return str(sock.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def device_address(settings: Any) -> tuple[str, bool]:
    """``http://host:port/pair`` of this device, and whether it listens on loopback only."""
    host = settings.http.host
    if host in _ANY_ADDRESS:
        host = lan_address()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in ("localhost", "localhost.localdomain")
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.http.port}/pair", loopback


SSH_USER = "YOUR-USER"
"""Stands for the reader's own login on this device: the service's user is not one to ssh as."""


def _ssh_target() -> str:
    return f"{SSH_USER}@{socket.gethostname()}.local"


def qr_svg(text: str) -> str:
    import segno

    return str(segno.make(text, error="m").svg_inline(scale=4, border=4, dark="#1d1d1f"))


async def _row(runtime: Runtime, platform: str) -> dict[str, Any]:
    info = PLATFORMS[platform]
    row: dict[str, Any] = {"name": platform, "title": info.title, "account": "",
                           "setting": f"{info.env} (or {info.key})"}
    if not configured(runtime.settings, platform):
        row["state"] = "not_configured"
    else:
        status = await status_of(runtime, platform)
        account = status["account"] or {}
        row["account"] = account.get("display_name") or account.get("id") or ""
        if status["connected"]:
            row["state"] = "connected"
        else:
            stored = await runtime.tokens.info(platform)
            row["state"] = "unreadable" if stored is not None else "not_connected"
            row["reason"] = status.get("reason", "")
    return row


@router.get("/pair", response_class=HTMLResponse, responses=problem_responses(422))
async def pair_page(request: Request, done: str = "", platform: str = "") -> Response:
    runtime = get_runtime(request)
    access = access_of(request)
    guard = guard_of(request)
    csrf = guard.csrf_token(access.ensure())
    flash = ""
    if done in FLASHES and platform in PLATFORMS:
        flash = FLASHES[done].format(title=PLATFORMS[platform].title)
    address, loopback_only = device_address(runtime.settings)
    port = runtime.settings.http.port
    return render(
        "pairing.html",
        rows=[await _row(runtime, name) for name in PLATFORMS],
        csrf=csrf,
        flash=flash,
        address=address,
        loopback_only=loopback_only,
        qr="" if loopback_only else qr_svg(address),
        code=guard.code if access.via == "local" else "",
        ssh=f"ssh -L {port}:127.0.0.1:{port} {_ssh_target()}",
        ssh_user=SSH_USER,
        tunnel_url=f"http://127.0.0.1:{port}/pair",
        redirect_uri=runtime.settings.spotify_redirect_uri,
        platforms=[(name, info.title) for name, info in PLATFORMS.items()],
    )


def form_body(*names: str) -> dict[str, Any]:
    """The form a route reads itself, for the OpenAPI document."""
    schema = {"type": "object", "properties": {name: {"type": "string"} for name in names}}
    return {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": schema}}}}


@router.post("/pair/complete", response_class=HTMLResponse,
             openapi_extra=form_body("csrf", "platform", "redirect_url"),
             responses=problem_responses(400, 403, 404, 409, pages={400, 403, 404, 409}))
async def paste_redirect(request: Request) -> Response:
    """The paste form: finish a pairing from the address the browser was sent to."""
    form = await request.form()
    access = access_of(request)
    if not guard_of(request).csrf_ok(access.session, str(form.get("csrf") or "")):
        return result_page("Not paired", "The form has expired or did not come from this "
                           "device's page; reload the pairing page and try again.",
                           ok=False, status=403)
    platform = str(form.get("platform") or "")
    return await finish_pairing(request, platform, str(form.get("redirect_url") or ""),
                                pasted=True)


@router.get("/login", response_class=HTMLResponse,
            responses={**redirect_responses(303, "the page (already signed in)"),
                       **problem_responses(422)})
async def login_form(request: Request, next: str = "/") -> Response:
    access = access_of(request)
    if access.via != "open":
        return RedirectResponse(safe_next(next), status_code=303)
    tries = guard_of(request).throttle.tries_left(access.client)
    return HTMLResponse(login_page(safe_next(next), "", tries_left=tries))


@router.post("/login", status_code=303, response_class=RedirectResponse,
             openapi_extra=form_body("code", "next"),
             responses={**redirect_responses(303, "the page asked for"),
                        **problem_responses(400, 401, 429, pages={401, 429})})
async def login_submit(request: Request) -> Response:
    form = await request.form()
    access = access_of(request)
    guard = guard_of(request)
    next_path = safe_next(str(form.get("next") or "/"))
    if guard.throttle.wait_s(access.client) > 0:
        wait = guard.throttle.retry_after(access.client)
        return HTMLResponse(login_page(next_path, f"Too many wrong codes: wait {wait} s, "
                                       "then try again.", tries_left=0), status_code=429,
                            headers={"Retry-After": str(wait)})
    if not guard.check_code(access.client, str(form.get("code") or "")):
        tries = guard.throttle.tries_left(access.client)
        return HTMLResponse(login_page(next_path, "That code is not right.", tries_left=tries),
                            status_code=401)
    access.replace(authed=True)
    return RedirectResponse(next_path, status_code=303)
