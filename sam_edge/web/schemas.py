"""Request and response shapes of the HTTP API (a contract)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TEXT = 1000


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(..., max_length=MAX_TEXT)
    session_id: str = Field("default", min_length=1, max_length=100)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty")
        return value

    @field_validator("session_id", mode="before")
    @classmethod
    def _default_session(cls, value: object) -> object:
        return "default" if value is None else value


class ErrorBody(BaseModel):
    code: str
    message: str


class TurnResponse(BaseModel):
    action: str
    parameters: dict[str, Any]
    response_text: str
    status: str
    timings_ms: dict[str, float]
    error: ErrorBody | None = None


class Health(BaseModel):
    status: str
    version: str
    mode: str
    simulated: list[str]
    database: str
    platforms: dict[str, bool]
    audio_output: str
