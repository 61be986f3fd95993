"""The one way SAM Edge builds a Groq SDK client (for the LLM and speech-to-text).

The key and base URL are always passed explicitly, so ``GROQ_API_KEY``/``GROQ_BASE_URL`` never
take effect; the Authorization header is set too, overriding one smuggled in through
``GROQ_CUSTOM_HEADERS``; at most one retry, and never one that waits long on a 429.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .settings import GroqSettings

if TYPE_CHECKING:
    from groq import AsyncGroq

MAX_RATE_LIMIT_WAIT_S = 1.0


async def refuse_long_rate_limit_waits(response: httpx.Response) -> None:
    # The SDK would sleep for up to 60 s on a 429 before its retry; nobody waits that long.
    if response.status_code != 429:
        return
    try:
        wait = float(response.headers.get("retry-after", "0"))
    except ValueError:
        wait = MAX_RATE_LIMIT_WAIT_S + 1
    if wait > MAX_RATE_LIMIT_WAIT_S:
        response.headers["x-should-retry"] = "false"


def make_client(settings: GroqSettings) -> AsyncGroq:
    import groq  # imported here: the SDK is heavy and the daemon may never need it

    return groq.AsyncGroq(
        api_key=settings.api_key,
        base_url=settings.base_url,
        timeout=settings.timeout_s,
        max_retries=1,
        default_headers={"Authorization": f"Bearer {settings.api_key}"},
        http_client=groq.DefaultAsyncHttpxClient(
            event_hooks={"response": [refuse_long_rate_limit_waits]}
        ),
    )


def error_code(err: Exception) -> str | None:
    """The ``error.code`` of a Groq API error body (``json_validate_failed``, ...)."""
    body = getattr(err, "body", None)
    error = body.get("error", body) if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None
