"""What is playing and the page's player controls: ``GET /v1/now-playing`` (JSON),
``GET /v1/now-playing/art`` (a local file's embedded cover), ``POST /v1/controls/{command}``
and ``GET /v1/turns`` (the last turns, newest first)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ..dialog.intents import Action, Intent
from ..pipeline.turn import STATUSES, Source, TurnResult
from ..platforms.local.cover import cover_of
from .deps import RuntimeDep
from .problem import problem, problem_responses

router = APIRouter()

COMMANDS: dict[str, Action] = {
    "play": Action.RESUME, "pause": Action.PAUSE, "next": Action.NEXT,
    "previous": Action.PREVIOUS, "volume": Action.SET_VOLUME, "like": Action.LIKE,
}


@router.get("/v1/now-playing")
async def now_playing(rt: RuntimeDep) -> dict[str, Any]:
    """What the active platform plays (``active`` false and a ``message`` when nothing)."""
    return await rt.now_playing.read()


@router.get("/v1/now-playing/art", response_class=Response, responses={
    200: {"description": "The cover picture", "content": {"image/*": {}}},
    **problem_responses(404)})
async def now_playing_art(rt: RuntimeDep) -> Response:
    """The embedded cover of the local file that is playing."""
    state = await rt.player.state()
    root = rt.settings.music.dir.resolve()
    path = Path(state.path).resolve() if state.path else None
    if path is None or not path.is_relative_to(root):
        return problem(404, "no_cover", "No file from the music folder is playing.")
    found = await asyncio.to_thread(cover_of, path)
    if found is None:
        return problem(404, "no_cover", "The file that is playing has no cover.")
    data, media_type = found
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})


class ControlRequest(BaseModel):
    level: int | None = Field(None, ge=0, le=100)


@router.post("/v1/controls/{command}", response_model=None,
             responses=problem_responses(400, 404, 409, 422))
async def control(rt: RuntimeDep, command: str,
                  body: ControlRequest | None = None) -> dict[str, Any] | JSONResponse:
    """A player control on the page: a turn of its own (source ``button``), like a press of the
    device's buttons, so it shows in every page's history."""
    action = COMMANDS.get(command)
    if action is None:
        return problem(404, "unknown_control",
                        f"There is no {command} control; use one of {', '.join(COMMANDS)}.")
    params: dict[str, Any] = {}
    if action is Action.SET_VOLUME:
        if body is None or body.level is None:
            return problem(422, "level_required", "level (0 to 100) is required.")
        params["level"] = body.level
    runner = rt.runner
    turn = runner.begin(Source.BUTTON, button=f"page {command}", command=action.value)
    try:
        outcome = await runner.perform(turn, Intent(action, params))
    except BaseException:
        runner.finish(turn, TurnResult.failed("internal", "The control failed; please try "
                                              "again.", action=action.value))
        raise
    status = outcome.status if outcome.status in STATUSES else "error"
    result = TurnResult(action.value, outcome.parameters, outcome.response_text, status,
                        source="button")
    if status != "ok":
        result.error = {"code": outcome.error_code or status, "message": outcome.response_text}
    runner.finish(turn, result)
    return {"turn_id": turn.id, "source": "button", **result.to_dict()}


@router.get("/v1/turns")
async def turns(rt: RuntimeDep) -> dict[str, Any]:
    """The last turns from every source, newest first."""
    return {"turns": rt.turns.recent()}
