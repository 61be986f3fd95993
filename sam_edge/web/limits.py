"""Body limits on every route, enforced while the body streams in (chunked uploads included).

``/v1/voice/process`` takes the configured upload size (10 MB), the forms (``/login``, the
paste form of ``/pair``) 16 kB and everything else 64 kB. A ``Content-Length`` over the limit is
refused before the app sees the request; a body without one is counted as it is read and the
app is stopped the moment it passes the limit, so nothing over it is ever buffered or spooled.
Clients such as curl and urllib send the whole body before they read the answer, and a
connection closed under them reads as a reset, so after deciding 413 the rest of the body is
read and thrown away (up to :data:`DRAIN_MAX`), and only then is the 413 sent.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .problem import problem

log = logging.getLogger(__name__)

KB = 1024
JSON_MAX = 64 * KB
FORM_MAX = 16 * KB
DRAIN_MAX = 64 * KB * KB
FORM_PATHS = frozenset({"/login", "/pair/complete"})
VOICE_PATH = "/v1/voice/process"
MULTIPART_FRAMING = 16 * KB


def voice_body_max(settings: Settings) -> int:
    """The voice upload limit, plus room for the multipart framing around the file."""
    return int(settings.voice.max_upload_mb * KB * KB) + MULTIPART_FRAMING


class BodyTooLarge(Exception):
    """Raised inside the app's ``receive`` when the body passes its limit."""


def _label(limit: int) -> str:
    return f"{limit / (KB * KB):g} MB" if limit >= KB * KB else f"{limit // KB} kB"


class BodyLimit:
    """Pure ASGI middleware; ``voice_max`` is the voice upload limit in bytes."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.voice_max = voice_body_max(settings)
        self.voice_label = f"{settings.voice.max_upload_mb:g} MB"

    def limit_for(self, path: str) -> int:
        if path == VOICE_PATH:
            return self.voice_max
        return FORM_MAX if path in FORM_PATHS else JSON_MAX

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._refuse(scope, receive, send, limit, 0, complete=False)
            return
        seen = 0
        tripped = complete = started = False

        async def counted() -> Message:
            nonlocal seen, tripped, complete
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if seen > limit:
                    tripped = True
                    raise BodyTooLarge(f"more than {limit} bytes")
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if tripped:
                return  # whatever the app makes of the interruption, the answer is 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not tripped:
                raise
        if tripped and not started:
            await self._refuse(scope, receive, send, limit, seen, complete=complete)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int,
                      seen: int, *, complete: bool) -> None:
        drained = seen if complete else await _drain(receive, seen)
        client = scope["client"][0] if scope.get("client") else "?"
        label = self.voice_label if scope["path"] == VOICE_PATH else _label(limit)
        log.info("refused a body over %s on %s from %s (%d bytes read and discarded)",
                 label, scope["path"], client, drained)
        message = f"The request body is larger than {label}."
        await problem(413, "too_large", message)(scope, receive, send)


async def _drain(receive: Receive, seen: int) -> int:
    """Read and discard the rest of the body, up to :data:`DRAIN_MAX` in all."""
    while seen <= DRAIN_MAX:
        message = await receive()
        if message["type"] != "http.request":
            break
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return seen
