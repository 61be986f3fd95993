"""Typed dependencies for the routes: the runtime and the parts of it a route needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..app.runtime import Runtime
from ..pipeline.runner import TurnRunner


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_runner(runtime: Annotated[Runtime, Depends(get_runtime)]) -> TurnRunner:
    return runtime.runner


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RunnerDep = Annotated[TurnRunner, Depends(get_runner)]
