"""Schemathesis against the app over real HTTP: every answer matches the OpenAPI document the
app serves (its status codes, content types and bodies), and nothing is a 500.

The app runs as ``sam-edge run`` does (uvicorn, its own runtime started by the lifespan, a fake
Spotify beside it) on 127.0.0.1. The generated requests come as an API client on the network
would: with the bearer token and a host name that is not this device's, so the loopback
connection alone does not let them in. Each request is a new client as far as the lock-out of
guessing clients goes (wrong pairing codes are generated too; the lock-out has its own tests).

Schemathesis runs as its command line (``st run``: the coverage and fuzzing phases, a fixed
seed, six examples per operation), because its pytest plugin sets a node attribute that pytest 9.2
no longer has.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sam_edge.settings import load_settings
from sam_edge.web.app import create_app
from sam_edge.web.throttle import FORGET_AFTER_S, Throttle
from tests.fakes.server import serve
from tests.fakes.spotify import FakeSpotify
from tests.web.browser import service_env

ST = Path(sys.executable).with_name("st")
TOKEN = "conformance-api-token"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")


class Forgetful:
    """A clock for the lock-out that moves on past its memory at every look."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += FORGET_AFTER_S + 1
        return self.t


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    fake = FakeSpotify.with_demo_catalog()
    with serve(fake.app) as spotify_url:
        env = {**service_env(tmp_path, spotify_url), "SAM_HTTP_TOKEN": TOKEN}
        app = create_app(load_settings(Path(env["SAM_CONFIG"]), env))
        app.state.access_guard.throttle = Throttle(Forgetful())
        with serve(app, lifespan="on") as url:
            yield url


@pytest.mark.timeout(240)  # about 30 s alone; generous for a loaded machine
def test_every_answer_matches_the_served_document(base: str, tmp_path: Path) -> None:
    if not ST.exists():
        pytest.skip(f"schemathesis is not installed ({ST} is missing; ./install.sh --dev)")
    command = [str(ST), "run", f"{base}/openapi.json", "--checks", CHECKS,
               "--phases", "coverage,fuzzing", "--max-examples", "6", "--workers", "1",
               "--seed", "20260", "--no-shrink",
               "--generation-database", "none", "--request-timeout", "20", "--no-color",
               "-H", f"Authorization: Bearer {TOKEN}", "-H", "Host: sam-edge.example.net",
               "--exclude-path", "/v1/events"]
    ran = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=220)
    assert ran.returncode == 0, ran.stdout[-12000:] + ran.stderr[-2000:]


def test_the_event_stream_and_the_refusals_are_what_the_document_says(base: str) -> None:
    """The event stream never ends, so schemathesis leaves it out; its answer is checked here,
    with Starlette's own refusals (a body that is not JSON, an unknown path)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "sam-edge.example.net"}
    spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    declared = spec["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]
    with httpx.stream("GET", f"{base}/v1/events", headers=headers, timeout=10) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].split(";")[0] in declared
    unparsable = httpx.post(f"{base}/v1/microphone", content=b"\x84", timeout=10,
                            headers={**headers, "Content-Type": "application/json"})
    missing = httpx.get(f"{base}/v1/nothing-here", headers=headers, timeout=10)
    for refused, status in ((unparsable, 400), (missing, 404)):
        assert refused.status_code == status
        assert set(refused.json()) == {"detail", "message", "code"}
    assert "400" in spec["paths"]["/v1/microphone"]["post"]["responses"]
