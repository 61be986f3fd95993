"""Our own bugs are HTTP 500, logged once with the traceback; expected faults are one line.

Pure ASGI and inside the access check, so it sees every route's exceptions before Starlette's
outermost error handler (which would log them a second time). A client that goes away while
its request is read is not a fault of ours: one line, no traceback, no answer.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MESSAGE = "Something went wrong on the device; please try again."


def internal_error_body(exc: BaseException) -> dict[str, object]:
    """The result object of a failed turn, readable as a problem body as well."""
    return {"action": "CHAT", "parameters": {}, "status": "error", "response_text": MESSAGE,
            "timings_ms": {"total": 0.0},
            "error": {"code": "internal", "message": type(exc).__name__},
            "detail": MESSAGE, "message": MESSAGE, "code": "internal"}


class Crashes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except ClientDisconnect:
            log.info("the client went away during %s %s", scope.get("method"), scope["path"])
        except Exception as exc:
            log.exception("internal error in %s %s", scope.get("method"), scope["path"])
            if not started:
                await JSONResponse(internal_error_body(exc), status_code=500)(scope, receive,
                                                                              send)
