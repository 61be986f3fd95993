"""Hostile input over real HTTP (uvicorn on 127.0.0.1): body limits while streaming, with the
413 readable by clients that send everything first; malformed audio; guessing clients slowed
down one by one; the bare ``/health``; internal errors as 500 and the OpenAPI document."""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import Settings, load_settings
from sam_edge.web.app import create_app
from sam_edge.web.throttle import Throttle
from tests.fakes.server import serve

LAN = ("192.168.1.20", 5000)
DEVICE = "http://192.168.1.5:8080"
TOKEN = "api-token-for-tests"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    env = {"SAM_DATA_DIR": str(settings.data.dir), "SAM_HTTP_TOKEN": TOKEN,
           "SAM_VOICE_MAX_UPLOAD_MB": "0.25", "SAM_PLAYER_AUDIO_OUTPUT": "null"}
    rt = await build_runtime(load_settings(settings.data.dir / "absent.toml", env))
    yield rt
    await rt.aclose()


@pytest.fixture
def app(runtime: Runtime) -> Any:
    return create_app(runtime.settings, runtime)


@pytest.fixture
def base(app: Any) -> Iterator[str]:
    with serve(app) as url:
        yield url


def post(base: str, path: str, body: bytes, content_type: str, *,
         chunked: bool = False) -> tuple[int, bytes]:
    """POST the whole body before reading the answer, as curl and urllib do."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        if chunked:
            pieces = (body[i:i + 65536] for i in range(0, len(body), 65536))
            conn.request("POST", path, body=pieces, encode_chunked=True,
                         headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"})
        else:
            conn.request("POST", path, body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def multipart(size: int) -> tuple[bytes, str]:
    boundary = "sam-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"x.wav\"\r\nContent-Type: audio/wav\r\n\r\n").encode()
    return head + b"\0" * size + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("path", "size", "kind"), [
    ("/v1/chat/message", 300_000, "json"),
    ("/login", 1_000_000, "multipart"),
    ("/login", 20_000, "form"),
    ("/pair/complete", 20_000, "form"),
    ("/v1/voice/process", 400_000, "multipart"),
    ("/v1/microphone", 70_000, "json"),
])
def test_oversized_bodies_are_413_and_readable(base: str, path: str, size: int, kind: str,
                                               chunked: bool) -> None:
    if kind == "json":
        body, ctype = b'{"text": "' + b"a" * size + b'"}', "application/json"
    elif kind == "form":
        body, ctype = b"code=" + b"1" * size, "application/x-www-form-urlencoded"
    else:
        body, ctype = multipart(size)

    status, answer = post(base, path, body, ctype, chunked=chunked)

    assert status == 413, answer
    assert b"larger than" in answer


def test_urllib_reads_the_413(base: str) -> None:
    request = urllib.request.Request(f"{base}/v1/chat/message", data=b"x" * 5_000_000,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=60)
    assert raised.value.code == 413 and b"64 kB" in raised.value.read()


def test_bodies_under_the_limit_pass(base: str) -> None:
    status, _ = post(base, "/v1/microphone", b'{"muted": false}', "application/json",
                     chunked=True)
    assert status == 200
    status, answer = post(base, "/v1/chat/message", b'{"text": "' + b"a" * 60_000 + b'"}',
                          "application/json")
    assert status == 422 and b"text" in answer  # the schema's own limit, not the body's


# ---- through the app in-process -----------------------------------------------------------


def client_of(app: Any, client: tuple[str, int] = LAN) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client),
                             base_url=DEVICE)


async def test_a_riff_header_with_garbage_is_400(app: Any) -> None:
    garbage = bytes.fromhex("52494646" "65d1e75f" "57415645") + bytes.fromhex(
        "842bedbf43eabbfb249efd93210a5a9de5a2254aca878b37c874aac982d4")
    async with client_of(app, ("127.0.0.1", 1)) as b:
        response = await b.post("/v1/voice/process",
                                files={"file": ("x.wav", garbage, "audio/wav")})
    assert response.status_code == 400 and "damaged" in response.json()["message"]


async def test_a_guessing_client_waits_longer_and_longer_but_the_household_does_not(
        app: Any) -> None:
    clock = Clock()
    guard = app.state.access_guard
    guard.throttle = Throttle(clock)
    wrong = "000000" if guard.code != "000000" else "111111"
    async with client_of(app) as guesser:
        for _ in range(5):
            assert (await guesser.post("/login", data={"code": wrong})).status_code == 401
        waits = []
        for _ in range(4):
            refused = await guesser.post("/login", data={"code": guard.code})
            assert refused.status_code == 429
            waits.append(int(refused.headers["retry-after"]))
            clock.t += waits[-1]
            assert (await guesser.post("/login", data={"code": wrong})).status_code == 401
        assert waits == sorted(waits) and waits[-1] > waits[0]
    for n in range(2, 7):  # many guessing addresses
        async with client_of(app, (f"192.168.1.{n}", 4000)) as other:
            for _ in range(8):
                await other.post("/login", data={"code": wrong})
    async with client_of(app, ("192.168.1.99", 4000)) as household:
        ok = await household.post("/login", data={"code": guard.code})
    assert ok.status_code == 303


async def test_wrong_bearer_tokens_are_slowed_down_the_same_way(app: Any) -> None:
    clock = Clock()
    app.state.access_guard.throttle = Throttle(clock)
    wrong = {"Authorization": "Bearer not-the-token"}
    right = {"Authorization": f"Bearer {TOKEN}"}
    async with client_of(app) as guesser:
        for _ in range(5):
            assert (await guesser.get("/v1/state", headers=wrong)).status_code == 401
        refused = await guesser.get("/v1/state", headers=right)
        assert refused.status_code == 429 and refused.json()["code"] == "too_many_attempts"
        clock.t += int(refused.headers["retry-after"])
        assert (await guesser.get("/v1/state", headers=right)).status_code == 200
    async with client_of(app, ("192.168.1.77", 1)) as household:
        assert (await household.get("/v1/state", headers=right)).status_code == 200


async def test_health_without_credentials_only_says_it_is_alive(app: Any) -> None:
    async with client_of(app) as stranger:
        response = await stranger.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    async with client_of(app, ("127.0.0.1", 1)) as local:
        full = (await local.get("/health")).json()
    assert full["database"] == "ok" and "platforms" in full


async def test_health_reports_a_database_that_cannot_be_read(app: Any,
                                                             runtime: Runtime) -> None:
    await runtime.engine.dispose()
    runtime.settings.database_path.unlink()
    runtime.settings.database_path.mkdir()  # sqlite cannot open a directory
    try:
        async with client_of(app, ("127.0.0.1", 1)) as local:
            response = await local.get("/health")
        assert response.status_code == 503 and response.json()["database"].startswith("error")
    finally:
        runtime.settings.database_path.rmdir()


async def test_an_internal_error_is_a_500_logged_once_with_its_traceback(
        app: Any, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(runtime.runner, "chat", broken)
    caplog.set_level(logging.INFO)
    async with client_of(app, ("127.0.0.1", 1)) as local:
        response = await local.post("/v1/chat/message", json={"text": "hello"})
        invalid = await local.post("/v1/chat/message", json={"nope": 1})
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "error" and body["error"]["code"] == "internal"
    assert body["code"] == "internal"
    crashes = [r for r in caplog.records if r.exc_info]
    assert len(crashes) == 1 and "internal error" in crashes[0].getMessage()
    assert invalid.status_code == 422
    assert any("refused POST /v1/chat/message" in r.getMessage() and not r.exc_info
               for r in caplog.records)


async def test_422_bodies_match_the_served_openapi_document(app: Any) -> None:
    async with client_of(app, ("127.0.0.1", 1)) as local:
        schema = (await local.get("/openapi.json")).json()
        invalid = await local.post("/v1/chat/message", json={"nope": 1})
    problem = schema["components"]["schemas"]["Problem"]
    declared = schema["paths"]["/v1/chat/message"]["post"]["responses"]["422"]
    assert declared["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")
    body = invalid.json()
    assert set(problem["required"]) <= set(body)
    for name, prop in problem["properties"].items():
        assert prop["type"] == "string" and isinstance(body[name], str)


def test_every_route_declares_what_it_answers(app: Any) -> None:
    spec = app.openapi()
    assert "HTTPValidationError" not in spec.get("components", {}).get("schemas", {})
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"401", "403", "413", "429", "500"} <= declared, (method, path)
            # FastAPI validates parameters and model bodies (422); the sign-in and paste forms
            # are read by their routes, which answer with their own pages.
            body = operation.get("requestBody", {}).get("content", {})
            validated = bool(operation.get("parameters")) or bool(
                set(body) - {"application/x-www-form-urlencoded"})
            assert ("422" in declared) == validated, (method, path)
            assert ("400" in declared) >= bool(body), (method, path)  # a body that cannot parse
    voice = spec["paths"]["/v1/voice/process"]["post"]["responses"]
    assert {"400", "413", "415", "503"} <= set(voice)
    assert "404" in spec["paths"]["/v1/adapter/{platform}/status"]["get"]["responses"]
