"""Pairing music accounts over HTTP: ``/v1/adapter/{platform}/login|callback|status|disconnect``.

``login`` starts Authorization Code + PKCE through the platform's pairing class (which keeps the
pending record with ``state`` and the verifier) and binds that ``state`` to this browser's
session in a small record next to it. ``callback`` (and the paste form of ``/pair``) completes
only from the browser that started, so nobody can slip their own code into another's pairing.
A pending record that ``sam-edge pair`` made has no browser: its redirect completes as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ..accounts.tokens import TokenSet
from ..errors import PairingError
from .access import access_of, guard_of

router = APIRouter()


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    name: str
    title: str
    pairing_class: str
    env: str
    """The setting that makes it usable, as an environment variable and a config key."""
    key: str


PLATFORMS: dict[str, PlatformInfo] = {
    "spotify": PlatformInfo("spotify", "Spotify", "SpotifyPairing", "SAM_SPOTIFY_CLIENT_ID",
                            "[spotify] client_id"),
    "soundcloud": PlatformInfo("soundcloud", "SoundCloud", "SoundCloudPairing",
                               "SAM_SOUNDCLOUD_CLIENT_ID", "[soundcloud] client_id"),
}


class Pairing(Protocol):
    @property
    def pending_path(self) -> Path: ...

    def start(self) -> str: ...

    async def complete(self, redirect_url: str) -> TokenSet: ...


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def pairing_class(info: PlatformInfo) -> type | None:
    """The pairing class, or None while this version has none for the platform."""
    from ..accounts import pairing as module

    found = getattr(module, info.pairing_class, None)
    return found if isinstance(found, type) else None


def configured(settings: Any, platform: str) -> bool:
    return bool(getattr(getattr(settings, platform, None), "client_id", ""))


def platform_info(platform: str) -> PlatformInfo:
    info = PLATFORMS.get(platform)
    if info is None:
        raise Refusal(404, "unknown_platform",
                      f"There is no platform called that; use one of {', '.join(PLATFORMS)}.")
    return info


def make_pairing(runtime: Any, platform: str) -> tuple[PlatformInfo, Pairing]:
    info = platform_info(platform)
    if not configured(runtime.settings, platform):
        raise Refusal(409, "not_configured",
                      f"{info.title} is not set up: set {info.env} (or {info.key} in the "
                      "config file) to your app's client id, then restart SAM Edge.")
    cls = pairing_class(info)
    if cls is None:
        raise Refusal(503, "not_available",
                      f"Pairing {info.title} is not available in this version yet.")
    try:
        return info, cls(runtime.settings, runtime.tokens, runtime.cipher)
    except PairingError as exc:
        raise Refusal(409, exc.code, exc.message) from exc


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _json_problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"detail": message, "message": message, "code": code})


def refuse(request: Request, refusal: Refusal, title: str = "Pairing") -> Response:
    if _wants_json(request) or request.url.path.endswith(("/status", "/disconnect")):
        return _json_problem(refusal.status, refusal.code, refusal.message)
    return result_page(title, refusal.message, ok=False, status=refusal.status)


def result_page(title: str, message: str, *, ok: bool, status: int = 200) -> Response:
    from .pairing_page import render

    return render("pair_result.html", status=status, title=title, message=message, ok=ok)


# ---- the browser binding -----------------------------------------------------------------------


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url.strip()).query).items()}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _binding_path(pairing: Pairing, platform: str) -> Path:
    return pairing.pending_path.with_name(f"{platform}.browser.json")


def _bind(pairing: Pairing, platform: str, state: str, session_tag: str) -> None:
    path = _binding_path(pairing, platform)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"state": _digest(state), "session": session_tag, "created_at": time.time()},
                  fh)
    tmp.replace(path)


def _bound_session(pairing: Pairing, platform: str, state: str) -> str | None:
    """The session tag that started the pairing with ``state``; None if no browser did."""
    try:
        record = json.loads(_binding_path(pairing, platform).read_text())
        if hmac.compare_digest(str(record["state"]), _digest(state)):
            return str(record["session"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _unbind(pairing: Pairing, platform: str) -> None:
    _binding_path(pairing, platform).unlink(missing_ok=True)


async def finish_pairing(request: Request, platform: str, redirect_url: str) -> Response:
    """Complete from a redirect URL (the callback itself, or one pasted into ``/pair``)."""
    try:
        info, pairing = make_pairing(request.app.state.runtime, platform)
    except Refusal as refusal:
        return result_page("Not paired", refusal.message, ok=False, status=refusal.status)
    failed = f"{info.title} was not paired"
    bound = _bound_session(pairing, platform, _query(redirect_url).get("state", ""))
    if bound is not None:
        session = access_of(request).session
        mine = session is not None and hmac.compare_digest(
            bound, guard_of(request).session_tag(session))
        if not mine:
            return result_page(failed, "This pairing was started in another browser, so "
                               "nothing was stored. Start it again from this browser.",
                               ok=False, status=400)
    try:
        tokens = await pairing.complete(redirect_url)
    except PairingError as exc:
        if not pairing.pending_path.exists():
            _unbind(pairing, platform)
        return result_page(failed, exc.message, ok=False, status=400)
    _unbind(pairing, platform)
    sync_soon = getattr(request.app.state.runtime, "sync_soon", None)
    if sync_soon is not None:
        sync_soon(platform)
    name = tokens.display_name or tokens.account_id or "your account"
    return result_page(f"{info.title} paired", f"{info.title} paired as {name}.", ok=True)


# ---- routes ------------------------------------------------------------------------------------


@router.get("/v1/adapter/{platform}/login")
async def login(platform: str, request: Request) -> Response:
    try:
        _info, pairing = make_pairing(request.app.state.runtime, platform)
    except Refusal as refusal:
        return refuse(request, refusal)
    session = access_of(request).ensure()
    authorize = pairing.start()
    _bind(pairing, platform, _query(authorize).get("state", ""),
          guard_of(request).session_tag(session))
    return RedirectResponse(authorize, status_code=302)


@router.get("/v1/adapter/{platform}/callback")
async def callback(platform: str, request: Request) -> Response:
    return await finish_pairing(request, platform, str(request.url))


def _iso(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(float(value), UTC)
    else:
        return str(value)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def last_sync_at(runtime: Any, platform: str) -> str | None:
    getter = getattr(runtime, "last_sync_at", None)
    if not callable(getter):
        return None
    value = getter(platform)
    if inspect.isawaitable(value):
        value = await value
    return _iso(value)


async def account_status(runtime: Any, platform: str) -> dict[str, Any]:
    info = await runtime.tokens.info(platform)
    connected = info is not None and info.readable
    account = None
    if info is not None and (info.account_id or info.display_name):
        account = {"id": info.account_id or None,
                   "display_name": info.display_name or info.account_id or None}
    return {
        "platform": platform,
        "connected": connected,
        "account": account,
        "token_expires_at": _iso(info.expires_at) if connected and info else None,
        "last_sync_at": await last_sync_at(runtime, platform),
        "scopes": sorted(set(info.scope.split())) if connected and info else [],
    }


@router.get("/v1/adapter/{platform}/status")
async def status(platform: str, request: Request) -> Response:
    try:
        platform_info(platform)
    except Refusal as refusal:
        return refuse(request, refusal)
    return JSONResponse(await account_status(request.app.state.runtime, platform))


@router.post("/v1/adapter/{platform}/disconnect")
async def disconnect(platform: str, request: Request) -> Response:
    try:
        info = platform_info(platform)
    except Refusal as refusal:
        return refuse(request, refusal)
    access = access_of(request)
    is_form = request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data"))
    sent = request.headers.get("x-csrf-token")
    if not sent and is_form:
        sent = str((await request.form()).get("csrf") or "")
    # A bearer token cannot be sent by another site, so it needs no CSRF token.
    if access.via != "token" and not guard_of(request).csrf_ok(access.session, sent):
        return _json_problem(403, "csrf", "The form has expired or did not come from this "
                             "device's page; reload the page and try again.")
    await request.app.state.runtime.tokens.delete(info.name)
    if is_form:
        return RedirectResponse(f"/pair?done=disconnected&platform={info.name}", status_code=303)
    return JSONResponse({"platform": info.name, "connected": False})
