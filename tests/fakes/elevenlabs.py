"""A fake ElevenLabs text-to-speech API that behaves like the real one.

Serve it with ``serve(fake.app)`` and give the SDK the served URL as ``base_url``. Both
``POST /v1/text-to-speech/{voice_id}`` and ``.../stream`` check ``xi-api-key``, validate
``output_format`` and the body like the real API (FastAPI-style ``{"detail": ...}`` errors; a
``language_code`` its model does not take is a 400, as the live API answers), and
answer raw audio: for ``pcm_*`` a quiet tone whose length grows with the text, 16-bit little-endian
mono without a header, streamed in several chunks.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import struct
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

OUTPUT_FORMATS = frozenset({
    "mp3_22050_32", "mp3_24000_48", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96",
    "mp3_44100_128", "mp3_44100_192", "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000",
    "pcm_32000", "pcm_44100", "pcm_48000", "ulaw_8000", "alaw_8000", "opus_48000_32",
    "opus_48000_64", "opus_48000_96", "opus_48000_128", "opus_48000_192",
})  # fmt: skip
MODELS = frozenset({"eleven_flash_v2_5", "eleven_flash_v2", "eleven_turbo_v2_5",
                    "eleven_multilingual_v2", "eleven_v3"})
_V25 = frozenset({
    "en", "ja", "zh", "de", "hi", "fr", "ko", "pt", "it", "es", "id", "nl", "tr", "fil", "pl",
    "sv", "bg", "ro", "ar", "cs", "el", "fi", "hr", "ms", "sk", "da", "ta", "uk", "ru", "hu",
    "no", "vi",
})  # fmt: skip
LANGUAGE_CODES: dict[str, frozenset[str]] = {
    "eleven_flash_v2_5": _V25,
    "eleven_turbo_v2_5": _V25,
    "eleven_v3": _V25 | {"te", "bn", "gu", "kn", "ml", "mr", "pa", "ne", "fa"},
}
"""Models that take ``language_code``, and the codes each accepts (v3: a part of its 74). Another
code is a 400; the other models (multilingual v2) ignore the field."""
SECONDS_PER_CHAR = 0.06
"""About 16 characters per second, a calm speaking pace."""
CHUNK_BYTES = 4096
MAX_CHARS = 40_000


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    """Lower-cased names."""


def detail(status: str, message: str) -> dict[str, Any]:
    return {"detail": {"status": status, "message": message}}


def tone(text: str, sample_rate: int) -> bytes:
    """Raw 16-bit LE mono PCM, ``SECONDS_PER_CHAR`` per character, a 220 Hz hum at -20 dBFS."""
    count = int(max(0.2, len(text) * SECONDS_PER_CHAR) * sample_rate)
    step = 2 * math.pi * 220 / sample_rate
    return struct.pack(f"<{count}h", *(int(3276 * math.sin(i * step)) for i in range(count)))


def _audio(text: str, output_format: str) -> tuple[bytes, str]:
    codec, rate = output_format.split("_")[:2]
    if codec == "pcm":
        return tone(text, int(rate)), "audio/pcm"
    if codec in ("ulaw", "alaw"):
        return b"\xff" * int(len(text) * SECONDS_PER_CHAR * 8000), "audio/basic"
    # Not decodable audio, but shaped like it: an MP3 frame sync or an Ogg page header up front.
    head = b"\xff\xfb\x90\x64" if codec == "mp3" else b"OggS"
    body = head + bytes(max(0, int(len(text) * SECONDS_PER_CHAR * 16_000) - len(head)))
    return body, "audio/mpeg" if codec == "mp3" else "audio/ogg"


class FakeElevenLabs:
    """The fake's state and scripting API; ``app`` is the ASGI application."""

    def __init__(self, api_keys: set[str] | None = None) -> None:
        self.api_keys: set[str] = set(api_keys or {"xi_test_key"})
        self.models: set[str] = set(MODELS)
        self.voices: set[str] | None = None
        """``None`` accepts any voice id; a set makes others 400 ``voice_not_found``."""
        self.quota_exceeded = False
        self.latency_s = 0.0
        """Delay before the response starts (status and headers)."""
        self.first_chunk_latency_s = 0.0
        """Delay after the headers, before the first audio chunk (streaming only)."""
        self.chunk_interval_s = 0.0
        self.chunk_bytes = CHUNK_BYTES
        self.max_concurrent = 2
        self.requests: list[RecordedRequest] = []
        self._failures: deque[tuple[int, Any]] = deque()
        self._lock = threading.Lock()
        self._active = 0
        self.app = Starlette(routes=[
            Route("/v1/text-to-speech/{voice_id}/stream", self._stream, methods=["POST"]),
            Route("/v1/text-to-speech/{voice_id}", self._convert, methods=["POST"]),
        ])  # fmt: skip

    # -- scripting -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget scripts, requests and knobs (keeps keys, models and voices)."""
        with self._lock:
            self._failures.clear()
            self.requests.clear()
        self.quota_exceeded = False
        self.latency_s = self.first_chunk_latency_s = self.chunk_interval_s = 0.0
        self.chunk_bytes = CHUNK_BYTES

    def fail_next(self, status: int, body: Any = None) -> None:
        """Make the next request fail once with this status and body."""
        if body is None:
            body = detail("internal_error", f"fake failure {status}")
        with self._lock:
            self._failures.append((status, body))

    def concurrency_limit_next(self) -> None:
        self.fail_next(429, detail(
            "too_many_concurrent_requests",
            "Too many concurrent requests. Your current subscription is associated with a "
            f"maximum of {self.max_concurrent} concurrent requests.",
        ))  # fmt: skip

    @property
    def tts_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/v1/text-to-speech/")]

    # -- HTTP ------------------------------------------------------------------------------

    def _headers(self, rid: str) -> dict[str, str]:
        return {"request-id": rid, "current-concurrent-requests": str(self._active),
                "maximum-concurrent-requests": str(self.max_concurrent)}

    async def _check(self, request: Request, rid: str) -> tuple[Response | None, dict[str, Any]]:
        """Record, wait, then run the checks in the real API's order; a response means stop."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = RecordedRequest(request.url.path, dict(request.query_params), body,
                                 {k.lower(): v for k, v in request.headers.items()})
        self.requests.append(record)
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        headers = self._headers(rid)
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            return JSONResponse(failure[1], failure[0], headers), {}
        if request.headers.get("xi-api-key") not in self.api_keys:
            return JSONResponse(detail("invalid_api_key", "Invalid API key"), 401, headers), {}
        fmt = request.query_params.get("output_format", "mp3_44100_128")
        if fmt not in OUTPUT_FORMATS:
            error = {"loc": ["query", "output_format"], "msg": f"value is not a valid enumeration "
                     f"member; permitted: {', '.join(sorted(OUTPUT_FORMATS))}",
                     "type": "type_error.enum"}
            return JSONResponse({"detail": [error]}, 422, headers), {}
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            error = {"loc": ["body", "text"], "msg": "field required",
                     "type": "value_error.missing"}
            return JSONResponse({"detail": [error]}, 422, headers), {}
        model = body.get("model_id") or "eleven_multilingual_v2"
        if model not in self.models:
            message = f"A model with model ID {model} does not exist"
            return JSONResponse(detail("model_not_found", message), 400, headers), {}
        code = body.get("language_code")
        if code and model in LANGUAGE_CODES and code not in LANGUAGE_CODES[model]:
            message = f"Model '{model}' does not support language_code '{code}'."
            return JSONResponse({"detail": {"message": message}}, 400, headers), {}
        voice = request.path_params["voice_id"]
        if self.voices is not None and voice not in self.voices:
            message = f"A voice with voice_id {voice} does not exist."
            return JSONResponse(detail("voice_not_found", message), 400, headers), {}
        if len(text) > MAX_CHARS:
            message = (f"This request's text has {len(text)} characters and exceeds the character "
                       f"limit of {MAX_CHARS} characters.")
            return JSONResponse(detail("max_character_limit_exceeded", message), 400, headers), {}
        if self.quota_exceeded:
            cost = len(text)
            message = (f"This request exceeds your quota of 10000. You have 0 credits remaining, "
                       f"while {cost} credits are required for this request.")
            return JSONResponse(detail("quota_exceeded", message), 401, headers), {}
        return None, {"text": text, "format": fmt}

    async def _convert(self, request: Request) -> Response:
        rid = secrets.token_hex(10)
        stop, ok = await self._check(request, rid)
        if stop is not None:
            return stop
        audio, media = _audio(ok["text"], ok["format"])
        headers = self._headers(rid) | {"x-character-count": str(len(ok["text"]))}
        return Response(audio, 200, headers, media_type=media)

    async def _stream(self, request: Request) -> Response:
        rid = secrets.token_hex(10)
        stop, ok = await self._check(request, rid)
        if stop is not None:
            return stop
        audio, media = _audio(ok["text"], ok["format"])
        headers = self._headers(rid) | {"x-character-count": str(len(ok["text"]))}
        return StreamingResponse(self._chunks(audio), 200, headers, media_type=media)

    async def _chunks(self, audio: bytes) -> AsyncIterator[bytes]:
        with self._lock:
            self._active += 1
        try:
            if self.first_chunk_latency_s > 0:
                await asyncio.sleep(self.first_chunk_latency_s)
            size = max(1, self.chunk_bytes)
            for start in range(0, len(audio), size):
                if start and self.chunk_interval_s > 0:
                    await asyncio.sleep(self.chunk_interval_s)
                yield audio[start:start + size]
        finally:
            with self._lock:
                self._active -= 1
