"""The device's buttons and LED over HTTP: ``GET /v1/gpio`` and, with mock pins only,
``POST /v1/gpio/buttons/{name}/press``, which drives the mock pin the way a finger would (the
same callbacks, debounce and hold timing as a real button)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from .deps import RuntimeDep
from .problem import problem, problem_responses

log = logging.getLogger(__name__)

router = APIRouter()

PRESS_WAIT_S = 10.0


@router.get("/v1/gpio")
async def gpio_status(rt: RuntimeDep) -> dict[str, Any]:
    return rt.gpio.status()


@router.post("/v1/gpio/buttons/{name}/press", response_model=None,
             responses=problem_responses(404, 409, 422))
async def press(rt: RuntimeDep, name: str,
                hold: bool = Query(False)) -> dict[str, Any] | JSONResponse:
    gpio = rt.gpio
    if not gpio.simulated:
        return problem(409, "real_pins", "These buttons are real: press them on the device.")
    if name not in gpio.panel.buttons:
        return problem(404, "unknown_button", f"There is no {name} button.")
    await gpio.panel.press(name, hold=hold)
    try:
        await gpio.panel.idle(timeout=PRESS_WAIT_S)
    except TimeoutError:  # the command goes on; the page reads its outcome on the next poll
        log.info("the %s press is still running after %s s", name, PRESS_WAIT_S)
    return {"pressed": name, "hold": hold, **gpio.status()}
