"""The page's own style sheet, script and icon, served by the device (no CDN, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from .problem import problem, problem_responses

router = APIRouter()

STATIC = Path(__file__).with_name("static")
ASSETS = {"page.css": "text/css", "page.js": "text/javascript", "setup.js": "text/javascript",
          "household.js": "text/javascript"}
ICON = "favicon.svg"


def _file(name: str, media_type: str) -> Response:
    return Response((STATIC / name).read_bytes(), media_type=f"{media_type}; charset=utf-8"
                    if media_type.startswith("text/") else media_type,
                    headers={"Cache-Control": "no-cache"})


@router.get("/assets/{name}", response_class=Response, responses={
    200: {"description": "The file", "content": {f"{media}; charset=utf-8": {}
                                                for media in sorted(set(ASSETS.values()))}},
    **problem_responses(404, 422)})
async def asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        return problem(404, "not_found", f"There is no asset called {name}.")
    return _file(name, media_type)


@router.get("/favicon.svg", include_in_schema=False)
@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return _file(ICON, "image/svg+xml")
