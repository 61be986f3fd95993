"""The FastAPI app: ``/health``, ``/v1/chat/message``, voice, account pairing and its pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from ..app.runtime import Runtime, build_runtime
from ..pipeline.turn import Source
from ..settings import Settings
from .access import AccessGuard, AccessMiddleware, access_of
from .adapters import router as adapters_router
from .assets import router as assets_router
from .controls import router as controls_router
from .crashes import Crashes
from .deps import RunnerDep, RuntimeDep
from .events import router as events_router
from .gpio import router as gpio_router
from .health import database_health
from .household import router as household_router
from .limits import BodyLimit
from .pairing_page import router as pages_router
from .problem import declare_problem, http_problem, problem, problem_responses
from .schemas import ChatRequest
from .setup import router as setup_router
from .voice import router as voice_router

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
INDEX = Path(__file__).with_name("templates") / "index.html"

log = logging.getLogger(__name__)


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    err = errors[0]
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    if err.get("type") == "json_invalid":
        return "the body must be a JSON object"
    if err.get("type") == "model_attributes_type" or not loc:
        return "the body must be a JSON object with a \"text\" field"
    field = ".".join(loc)
    if err.get("type") == "missing":
        return f"{field} is required"
    if err.get("type") == "string_too_long":
        return f"{field} must be at most {err.get('ctx', {}).get('max_length')} characters"
    return f"{field}: {str(err.get('msg', 'invalid')).removeprefix('Value error, ')}"


def start_banner(settings: Settings, mode: str) -> str:
    """The page's address and the one thing to do next, said once at start."""
    where = f"{settings.service_url}/"
    if settings.http.host not in LOOPBACK_HOSTS:
        where += " (from other devices: this device's address, port " \
                 f"{settings.http.port}, and the pairing code)"
    step = (f"next: open {settings.service_url}/setup for the first steps"
            if mode == "simulated" else "next: say the wake word or press Talk on the page")
    return f"the page is at {where}; {step}"


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """The app; it builds (and closes) its own runtime unless one is passed in."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        app.state.runtime = runtime or await build_runtime(settings)
        if owned:
            rt: Runtime = app.state.runtime
            log.info("ready: platforms %s; simulated: %s", ", ".join(sorted(rt.platforms)),
                     "; ".join(rt.simulated) or "nothing")
            rt.start_background()
            log.info("%s", start_banner(settings, rt.mode))
            if settings.http.host not in LOOPBACK_HOSTS:
                rt.announce_pairing_code(app.state.access_guard.code)
            await rt.account_leds.check_pairing()
        try:
            yield
        finally:
            if owned:
                await app.state.runtime.aclose()
                log.info("stopped: players stopped, history flushed, database closed")

    app = FastAPI(title="SAM Edge", version="0.1.0", lifespan=lifespan,
                  responses=problem_responses(401, 403, 413, 429, 500, pages={401}))
    declare_problem(app)
    app.add_exception_handler(HTTPException, http_problem)
    if runtime is not None:
        app.state.runtime = runtime

    app.include_router(voice_router)
    app.include_router(events_router)
    app.include_router(controls_router)
    app.include_router(assets_router)
    app.include_router(setup_router)
    app.include_router(adapters_router)
    app.include_router(pages_router)
    app.include_router(gpio_router)
    app.include_router(household_router)

    app.add_middleware(Crashes)
    app.add_middleware(BodyLimit, settings=settings)
    # Added last, so it runs first: nothing is read before the caller is known.
    guard = AccessGuard.start(settings.data.dir, token=getattr(settings.http, "token", ""),
                              host=settings.http.host)
    app.state.access_guard = guard
    app.add_middleware(AccessMiddleware, guard=guard)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return HTMLResponse(INDEX.read_text(encoding="utf-8"))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message = _validation_message(exc)
        log.info("refused %s %s: %s", request.method, request.url.path, message)
        return problem(422, "invalid_request", message)

    @app.get("/health", responses=problem_responses(503), response_model=None)
    async def health(request: Request, rt: RuntimeDep) -> dict[str, Any] | JSONResponse:
        if access_of(request).via == "open":
            # Without credentials from the network: alive, and nothing more.
            return {"status": "ok"}
        database = await database_health(rt.engine)
        platforms = {name: await p.is_paired() for name, p in rt.platforms.items()}
        body = {
            "status": "ok" if database == "ok" else "degraded",
            "version": rt.version,
            "mode": rt.mode,
            "simulated": rt.simulated,
            "database": database,
            "platforms": platforms,
            "audio_output": getattr(rt.player, "audio_output", "") or "default",
            "player": rt.watchdog.health() if rt.watchdog else {"status": "ok"},
            "sound_card": rt.sound_card.status,
        }
        return body if database == "ok" else JSONResponse(body, status_code=503)

    @app.post("/v1/chat/message", responses=problem_responses(400, 422))
    async def chat(body: ChatRequest, runner: RunnerDep) -> dict[str, Any]:
        result = await runner.chat(body.text, body.session_id, source=Source.CHAT)
        return result.to_dict()

    return app
