"""Pairing music accounts over HTTP: ``/v1/adapter/{platform}/login|callback|status|disconnect``.

The pairing itself (PKCE, ``state`` bound to this browser's session) lives in
:mod:`sam_edge.accounts`; these routes only turn its answers into pages and JSON.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..accounts.browser import bind, complete_in_browser
from ..accounts.pairing import PkcePairing
from ..accounts.platforms import PlatformInfo, Refusal, make_pairing, platform_info
from ..accounts.report import account_status, iso
from ..app.runtime import Runtime
from ..errors import PairingError
from .access import access_of, guard_of
from .deps import get_runtime
from .paste import in_web_terms, pasted_problem
from .problem import problem, problem_responses, redirect_responses
from .templates import result_page

router = APIRouter()


def _pairing(request: Request, platform: str) -> tuple[PlatformInfo, PkcePairing]:
    runtime = get_runtime(request)
    return make_pairing(runtime.settings, runtime.tokens, runtime.cipher, platform)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def refuse(request: Request, refusal: Refusal, title: str = "Pairing") -> Response:
    if _wants_json(request) or request.url.path.endswith(("/status", "/disconnect")):
        return problem(refusal.status, refusal.code, refusal.message)
    return result_page(title, refusal.message, ok=False, status=refusal.status)


async def finish_pairing(request: Request, platform: str, redirect_url: str,
                         *, pasted: bool = False) -> Response:
    """Complete from a redirect URL (the callback itself, or one ``pasted`` into ``/pair``)."""
    try:
        info, pairing = _pairing(request, platform)
    except Refusal as refusal:
        return result_page("Not paired", refusal.message, ok=False, status=refusal.status)
    wrong = pasted_problem(info, pairing, redirect_url) if pasted else None
    if wrong is not None:
        return result_page(f"{info.title} was not paired", wrong, ok=False, status=400)
    session = access_of(request).session
    tag = guard_of(request).session_tag(session) if session is not None else None
    try:
        tokens = await complete_in_browser(pairing, redirect_url, tag)
    except PairingError as exc:
        status, message = await in_web_terms(info, pairing, exc)
        return result_page(f"{info.title} was not paired", message, ok=False, status=status)
    get_runtime(request).sync_soon(platform)
    name = tokens.display_name or tokens.account_id or "your account"
    return result_page(f"{info.title} paired", f"{info.title} paired as {name}.", ok=True)


async def last_sync_at(runtime: Runtime, platform: str) -> str | None:
    getter = getattr(runtime, "last_sync_at", None)
    if not callable(getter):
        return None
    value = getter(platform)
    if inspect.isawaitable(value):
        value = await value
    return iso(value)


async def status_of(runtime: Runtime, platform: str) -> dict[str, Any]:
    return await account_status(runtime.tokens, platform, await last_sync_at(runtime, platform))


# ---- routes ------------------------------------------------------------------------------------


@router.get("/v1/adapter/{platform}/login", status_code=302, response_class=RedirectResponse,
            responses={**redirect_responses(302, "the platform's sign-in"),
                       **problem_responses(404, 409, 422, pages={404, 409})})
async def login(platform: str, request: Request) -> Response:
    try:
        _info, pairing = _pairing(request, platform)
    except Refusal as refusal:
        return refuse(request, refusal)
    session = access_of(request).ensure()
    authorize = pairing.start()
    bind(pairing, authorize, guard_of(request).session_tag(session))
    return RedirectResponse(authorize, status_code=302)


@router.get("/v1/adapter/{platform}/callback", response_class=HTMLResponse,
            responses=problem_responses(400, 404, 409, 422, pages={400, 404, 409}))
async def callback(platform: str, request: Request) -> Response:
    return await finish_pairing(request, platform, str(request.url))


@router.get("/v1/adapter/{platform}/status", responses=problem_responses(404, 422))
async def status(platform: str, request: Request) -> Response:
    try:
        platform_info(platform)
    except Refusal as refusal:
        return refuse(request, refusal)
    return JSONResponse(await status_of(get_runtime(request), platform))


@router.post("/v1/adapter/{platform}/disconnect",
             responses={**redirect_responses(303, "/pair (a form)"),
                        **problem_responses(400, 404, 422)})
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
        return problem(403, "csrf", "The form has expired or did not come from this "
                       "device's page; reload the page and try again.")
    await get_runtime(request).tokens.delete(info.name)
    if is_form:
        return RedirectResponse(f"/pair?done=disconnected&platform={info.name}", status_code=303)
    return JSONResponse({"platform": info.name, "connected": False})
