"""A fake Groq API (chat completions in JSON mode, transcriptions) that behaves like the real one.

Serve it with ``serve(fake.app)`` and give the SDK the served URL as ``base_url``: routes live
under ``/openai/v1``. Errors, rate-limit headers and response shapes follow Groq's observed
behaviour; everything a test needs to script is a method or attribute of :class:`FakeGroq`.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import secrets
import threading
import time
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ChatReply = str | Callable[[list[dict[str, Any]]], str]
Transcript = str | dict[str, Any] | Callable[[bytes, dict[str, str]], "str | dict[str, Any]"]

DEFAULT_MODELS = frozenset({"openai/gpt-oss-20b", "openai/gpt-oss-120b", "qwen/qwen3.6-27b"})
STT_MODELS = frozenset({"whisper-large-v3", "whisper-large-v3-turbo"})
AUDIO_EXTENSIONS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
HANG_LIMIT_S = 600.0


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    request_id: str
    json: Any = None
    fields: dict[str, str] = field(default_factory=dict)
    """Multipart text fields; the audio part is in ``files`` as ``(filename, bytes)``."""
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def error_body(message: str, code: str | None, type_: str = "invalid_request_error") -> dict:
    error: dict[str, Any] = {"message": message, "type": type_}
    if code is not None:
        error["code"] = code
    return {"error": error}


def rule_brain(messages: list[dict[str, Any]]) -> str:
    """A tiny keyword "model": enough to drive the dialog in tests and benchmarks."""
    text = str(messages[-1].get("content", "")).strip().lower().rstrip(".!?")
    fixed = {"pause": "PAUSE", "stop": "PAUSE", "resume": "RESUME", "next": "NEXT", "skip": "NEXT",
             "previous": "PREVIOUS", "louder": "VOLUME_UP", "quieter": "VOLUME_DOWN",
             "what's playing": "NOW_PLAYING", "like this": "LIKE"}  # fmt: skip
    action, params, say = "CHAT", {}, "I can help with music."
    if text in fixed:
        action, say = fixed[text], "Okay."
    elif match := re.fullmatch(r"(?:set )?volume (?:to )?(\d{1,3})(?: percent)?", text):
        action, params, say = "SET_VOLUME", {"level": int(match[1])}, "Volume set."
    elif text in ("play it", "play that"):
        earlier = [m for m in messages[:-1] if m.get("role") == "assistant"]
        for message in reversed(earlier):
            try:
                query = json.loads(message["content"])["parameters"]["query"]
            except (ValueError, KeyError, TypeError):
                continue
            action, params, say = "PLAY", {"query": query}, f"Playing {query}."
            break
    elif match := re.fullmatch(r"play (.+?)(?: by (.+))?", text):
        params = {"query": match[1]} | ({"artist": match[2]} if match[2] else {})
        action, say = "PLAY", f"Playing {match[1]}."
    return json.dumps({"action": action, "parameters": params, "response_text": say})


_RAW = "__raw_body__"


class FakeGroq:
    """The fake's state and scripting API; ``app`` is the ASGI application."""

    def __init__(self, api_keys: set[str] | None = None) -> None:
        self.api_keys: set[str] = set(api_keys or {"gsk_test_key"})
        self.models: set[str] = set(DEFAULT_MODELS)
        """Any other model, e.g. the retired llama ones, is a 404 ``model_not_found``."""
        self.stt_models: set[str] = set(STT_MODELS)
        self.latency_s = 0.0
        self.path_latency_s: dict[str, float] = {}
        """Per-endpoint latency by the path's last part (``transcriptions``, ``completions``)."""
        self.hang = False
        self.enforce_json = True
        """Like Groq, turn a non-JSON reply in JSON mode into 400 ``json_validate_failed``."""
        self.max_upload_bytes = MAX_UPLOAD_BYTES
        self.requests: list[RecordedRequest] = []
        self.default_reply: ChatReply = rule_brain
        self.default_transcript: Transcript = ""
        self._replies: deque[ChatReply] = deque()
        self._transcripts: deque[Transcript] = deque()
        self._failures: deque[tuple[int, dict[str, Any], dict[str, str]]] = deque()
        self._lock = threading.Lock()
        self._served = 0
        self.app = Starlette(
            routes=[
                Route("/openai/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/openai/v1/audio/transcriptions", self._transcribe, methods=["POST"]),
            ]
        )

    # -- scripting -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget scripts, requests and knobs (keeps keys and models): for shared servers."""
        with self._lock:
            self._replies.clear()
            self._transcripts.clear()
            self._failures.clear()
            self.requests.clear()
        self.latency_s, self.hang, self.enforce_json = 0.0, False, True
        self.path_latency_s = {}
        self.default_reply, self.default_transcript = rule_brain, ""

    def reply_with(self, content: ChatReply, *, always: bool = False) -> None:
        """Queue the content of the next chat reply (``always``: of every unqueued reply)."""
        with self._lock:
            if always:
                self.default_reply = content
            else:
                self._replies.append(content)

    def transcribe_with(self, transcript: Transcript, *, always: bool = False) -> None:
        """Queue a transcript: text, a verbose dict, or ``callable(file_bytes, fields)``."""
        with self._lock:
            if always:
                self.default_transcript = transcript
            else:
                self._transcripts.append(transcript)

    def fail_next(
        self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Make the next request (any route) fail once with this status."""
        if body is None:
            body = error_body(f"fake failure {status}", "internal_server_error", "api_error")
        with self._lock:
            self._failures.append((status, body, dict(headers or {})))

    def rate_limit_next(self, retry_after: float = 3.2) -> None:
        message = (
            "Rate limit reached for model `openai/gpt-oss-20b` in organization `org_fake` service "
            "tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5200, Requested 1100. "
            f"Please try again in {retry_after}s. Visit https://console.groq.com/docs/rate-limits "
            "for more information."
        )
        retry = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        body = error_body(message, "rate_limit_exceeded", "tokens")
        self.fail_next(429, body, {"retry-after": retry})

    def raw_next(self, status: int, body: str, content_type: str = "text/html") -> None:
        """Answer the next request with this body as it is: a captive portal's HTML page, a
        truncated JSON document, JSON of another shape."""
        self.fail_next(status, {_RAW: body}, {"content-type": content_type})

    def json_validate_failed_next(self, raw: str) -> None:
        self.fail_next(400, _json_failed_body(raw))

    # -- HTTP plumbing ---------------------------------------------------------------------

    def _headers(self, request_id: str, status: int) -> dict[str, str]:
        self._served += 1
        return {
            "x-ratelimit-limit-requests": "1000",  # per day
            "x-ratelimit-limit-tokens": "6000",  # per minute
            "x-ratelimit-remaining-requests": str(max(0, 1000 - self._served)),
            "x-ratelimit-remaining-tokens": "5200" if status == 429 else "5900",
            "x-ratelimit-reset-requests": "2m59.56s",
            "x-ratelimit-reset-tokens": "7.66s",
            "x-request-id": request_id,
        }

    def _json(self, request_id: str, status: int, body: Any, extra: dict | None = None) -> Response:
        headers = self._headers(request_id, status) | (extra or {})
        if status != 429:
            headers.pop("retry-after", None)
        if isinstance(body, dict) and _RAW in body:
            media = headers.pop("content-type", "text/html")
            return Response(body[_RAW], status_code=status, headers=headers, media_type=media)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _prologue(self, request: Request, record: RecordedRequest) -> Response | None:
        """Log, wait, then apply one-shot failures and the key check; a response means stop."""
        self.requests.append(record)
        rid = record.request_id
        latency = self.path_latency_s.get(request.url.path.rsplit("/", 1)[-1], self.latency_s)
        if latency > 0:
            await asyncio.sleep(latency)
        deadline = time.monotonic() + HANG_LIMIT_S
        while self.hang and time.monotonic() < deadline:
            # Polling for the disconnect lets the server shut down once the client gave up.
            if await request.is_disconnected():
                return Response(status_code=499)
            await asyncio.sleep(0.02)
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            return self._json(rid, failure[0], failure[1], failure[2])
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.api_keys:
            return self._json(rid, 401, error_body("Invalid API Key", "invalid_api_key"))
        return None

    def _start(self, request: Request) -> RecordedRequest:
        headers = {key.lower(): value for key, value in request.headers.items()}
        rid = "req_" + secrets.token_hex(13)
        return RecordedRequest(request.method, request.url.path, headers, rid)

    def _bad(self, rid: str, message: str) -> Response:
        return self._json(rid, 400, error_body(message, None))

    def _model_error(self, rid: str, model: object) -> Response:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return self._json(rid, 404, error_body(message, "model_not_found"))

    # -- chat completions ------------------------------------------------------------------

    async def _chat(self, request: Request) -> Response:
        record = self._start(request)
        rid = record.request_id
        try:
            record.json = json.loads(await request.body())
        except ValueError:
            record.json = None
        if (stop := await self._prologue(request, record)) is not None:
            return stop
        body = record.json
        if not isinstance(body, dict):
            return self._bad(rid, "could not parse the request body as JSON")
        model, messages = body.get("model"), body.get("messages")
        if model not in self.models:
            return self._model_error(rid, model)
        roles = ("system", "user", "assistant", "tool")
        if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) and m.get("role") in roles for m in messages
        ):  # fmt: skip
            return self._bad(rid, "'messages' : invalid or empty")
        effort = body.get("reasoning_effort")
        if effort is not None and effort not in ("low", "medium", "high"):
            message = f"`reasoning_effort` must be one of `low`, `medium`, or `high`, got {effort}"
            return self._bad(rid, message)
        json_mode = (body.get("response_format") or {}).get("type") == "json_object"
        if json_mode and "json" not in json.dumps([m.get("content") for m in messages]).lower():
            message = "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."  # noqa: E501
            return self._bad(rid, message)
        with self._lock:
            reply = self._replies.popleft() if self._replies else self.default_reply
        content = reply(messages) if callable(reply) else reply
        if json_mode and self.enforce_json and not _is_json_object(content):
            return self._json(rid, 400, _json_failed_body(content))
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 8
        completion_tokens = len(content) // 4 + 1
        return self._json(rid, 200, {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"queue_time": 0.021, "prompt_tokens": prompt_tokens, "prompt_time": 0.004,
                      "completion_tokens": completion_tokens, "completion_time": 0.03,
                      "total_tokens": prompt_tokens + completion_tokens, "total_time": 0.034},
            "system_fingerprint": "fp_" + secrets.token_hex(5),
            "x_groq": {"id": rid},
        })  # fmt: skip

    # -- transcriptions --------------------------------------------------------------------

    async def _transcribe(self, request: Request) -> Response:
        record = self._start(request)
        rid = record.request_id
        # The whole body is read even when too large: answering early makes clients see a reset.
        form = await request.form(max_part_size=4 * 1024 * 1024)
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                record.files[name] = (value.filename or "", await value.read())
            else:
                record.fields[name] = value
        if (stop := await self._prologue(request, record)) is not None:
            return stop
        fields, upload = record.fields, record.files.get("file")
        if upload is None and "url" not in fields:
            return self._bad(rid, "either 'file' or 'url' must be provided")
        if upload is not None and len(upload[1]) > self.max_upload_bytes:
            return self._json(rid, 413, error_body("Request Entity Too Large", "request_too_large"))
        if upload is not None and upload[0].rsplit(".", 1)[-1].lower() not in AUDIO_EXTENSIONS:
            message = f"file must be one of the following types: {list(AUDIO_EXTENSIONS)}"
            return self._bad(rid, message)
        if fields.get("model") not in self.stt_models:
            return self._model_error(rid, fields.get("model"))
        if len(fields.get("prompt", "")) > 896:
            return self._bad(rid, "'prompt' must be at most 896 characters")
        fmt = fields.get("response_format", "json")
        if fmt not in ("json", "text", "verbose_json"):
            message = "response_format must be one of json, text, verbose_json"
            return self._bad(rid, message)
        try:
            temperature = float(fields.get("temperature", 0))
        except ValueError:
            temperature = -1.0
        if not 0 <= temperature <= 1:
            return self._bad(rid, "'temperature' must be between 0 and 1")
        with self._lock:
            script = self._transcripts.popleft() if self._transcripts else self.default_transcript
        data = upload[1] if upload else b""
        result = script(data, dict(fields)) if callable(script) else script
        verbose = dict(result) if isinstance(result, dict) else {"text": result}
        text = str(verbose.get("text", ""))
        if fmt == "text":
            return PlainTextResponse(text, headers=self._headers(rid, 200))
        if fmt == "json":
            return self._json(rid, 200, {"text": text, "x_groq": {"id": rid}})
        duration = float(verbose.get("duration", _wav_seconds(data)))
        segments = verbose.get("segments") or [{"text": text}]
        verbose["segments"] = [
            {"id": i, "seek": 0, "start": 0.0, "end": duration, "text": "", "tokens": [],
             "temperature": temperature, "avg_logprob": -0.2, "compression_ratio": 1.2,
             "no_speech_prob": 0.01} | segment
            for i, segment in enumerate(segments)
        ]  # fmt: skip
        verbose |= {"text": text, "duration": duration, "x_groq": {"id": rid}}
        verbose = {"task": "transcribe", "language": fields.get("language") or "en"} | verbose
        return self._json(rid, 200, verbose)


def _json_failed_body(raw: str) -> dict[str, Any]:
    message = "Failed to generate JSON. Please adjust your prompt. See 'failed_generation' for more details."  # noqa: E501
    body = error_body(message, "json_validate_failed")
    body["error"]["failed_generation"] = raw
    return body


def _is_json_object(content: str) -> bool:
    try:
        return isinstance(json.loads(content), dict)
    except ValueError:
        return False


def _wav_seconds(data: bytes) -> float:
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return round(wav.getnframes() / wav.getframerate(), 3)
    except (wave.Error, EOFError, ZeroDivisionError):
        return 0.0
