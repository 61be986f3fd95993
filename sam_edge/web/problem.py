"""The JSON body every refusal and error of the HTTP API has: ``detail``, ``message``, ``code``."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from pydantic import BaseModel


class Problem(BaseModel):
    """The error body, as declared in the OpenAPI document."""

    detail: str
    message: str
    code: str


def problem(status: int, code: str, message: str,
            headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"detail": message, "message": message, "code": code})
