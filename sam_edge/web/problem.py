"""The JSON body every refusal and error of the HTTP API has: ``detail``, ``message``, ``code``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel


class Problem(BaseModel):
    """The error body, as declared in the OpenAPI document."""

    detail: str
    message: str
    code: str


DESCRIPTIONS = {
    400: "Bad input (malformed audio, a malformed OAuth state)",
    401: "Sign in with the pairing code, or send the API token",
    403: "Refused: a request from another site, or a form without its CSRF token",
    404: "No such thing",
    409: "Not possible in this state (not configured, real pins)",
    413: "The request body (or the recording) is too large",
    415: "Not a media type this route reads",
    422: "The request does not match the schema",
    429: "Too many wrong codes or tokens from this address; see Retry-After",
    500: "An internal error (a bug); the body is a failed result object",
    503: "A part this route needs is not available",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring the problem body for each status."""
    return {status: {"model": Problem, "description": DESCRIPTIONS[status]}
            for status in statuses}


def problem(status: int, code: str, message: str,
            headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"detail": message, "message": message, "code": code})
