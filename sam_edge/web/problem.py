"""The JSON body every refusal and error of the HTTP API has: ``detail``, ``message``, ``code``.

Routes declare what they answer with :func:`problem_responses` (a page's refusals may come as
the page itself, for a browser) and :func:`redirect_responses`; :func:`declare_problem` puts the
body's schema into the served OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Collection
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException


class Problem(BaseModel):
    """The error body, as declared in the OpenAPI document."""

    detail: str
    message: str
    code: str


DESCRIPTIONS = {
    400: "Bad input (a body that cannot be parsed, malformed audio, a malformed OAuth state)",
    401: "Sign in with the pairing code, or send the API token",
    403: "Refused: a request from another site, or a form without its CSRF token",
    404: "No such thing",
    409: "Not possible in this state (not configured, real pins, nothing paired, busy)",
    413: "The request body (or the recording) is too large",
    415: "Not a media type this route reads",
    422: "The request does not match the schema",
    429: "Too many wrong codes or tokens from this address; see Retry-After",
    500: "An internal error (a bug); the body is a failed result object",
    503: "A part this route needs is not available",
}
PROBLEM_REF = "#/components/schemas/Problem"
PAGE_MEDIA = "text/html"


def problem_responses(*statuses: int,
                      pages: Collection[int] = ()) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring the problem body (always JSON, whatever the route's own
    media type) for each status; a status in ``pages`` may be an HTML page instead."""
    declared: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        content: dict[str, Any] = {"application/json": {"schema": {"$ref": PROBLEM_REF}}}
        if status in pages:
            content[PAGE_MEDIA] = {"schema": {"type": "string"}}
        declared[status] = {"description": DESCRIPTIONS[status], "content": content}
    return declared


def redirect_responses(status: int, where: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": f"Redirects to {where}",
                     "headers": {"Location": {"schema": {"type": "string"}}}}}


def declare_problem(app: FastAPI) -> None:
    """Put :class:`Problem` into the document's components (the responses refer to it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("Problem", Problem.model_json_schema())
        return document

    app.openapi = openapi  # type: ignore[method-assign]


async def http_problem(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (a body that cannot be parsed, an unknown path or method) in
    the problem shape."""
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    message = str(exc.detail) if exc.detail else phrase
    if not message.endswith("."):
        message += "."
    return problem(exc.status_code, phrase.lower().replace(" ", "_").replace("-", "_"), message,
                   headers=dict(exc.headers) if exc.headers else None)


def problem(status: int, code: str, message: str,
            headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"detail": message, "message": message, "code": code})
