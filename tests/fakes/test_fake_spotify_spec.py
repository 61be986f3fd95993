"""The fake Spotify's answers validated against the published Web API OpenAPI spec.

Responses whose status the spec declares for the operation go through openapi-core
(``validate_response``); error statuses the spec leaves out of an operation (404
``NO_ACTIVE_DEVICE`` on player commands, 400 on search) are checked against its shared
``components/responses`` error schema.

The spec is loaded once and corrected, explicitly, where real responses are known to differ
(protocols.md 1.3):

* its ``oneOf`` discriminators have no mapping, while the ``type`` values ("track", "episode")
  are not schema names, so every branch would fail to resolve: the obvious mapping is added;
* ``context`` and ``item`` of the playback objects are null for ``uris`` playback, ads and
  private sessions, but the spec does not allow null there: null is allowed;
* ``actions`` is published flat (the ``DisallowsObject`` flags directly under it) while real
  responses nest them under ``actions.disallows``. The spec is left as is (its objects allow extra
  keys, so either shape would pass unnoticed); instead :func:`check_disallows` requires the real
  nested shape and validates the nested object strictly against ``DisallowsObject``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from tests.fakes.server import serve
from tests.fakes.specs import spec_path
from tests.fakes.spotify import CLIENT_ID, FakeSpotify
from tests.fakes.spotify_accounts import s256

SPEC_URI = "urn:spotify-web-api"
GENERIC_ERRORS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                  429: "TooManyRequests"}


def _as_observed(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec with the two corrections described in the module docstring."""
    spec = copy.deepcopy(spec)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            disc = node.get("discriminator")
            if isinstance(disc, dict) and "mapping" not in disc and "oneOf" in node:
                refs = [branch["$ref"] for branch in node["oneOf"]]
                disc["mapping"] = {r.rsplit("/", 1)[-1].removesuffix("Object").lower(): r
                                   for r in refs}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    schemas = spec["components"]["schemas"]
    # OAS 3.0 ``nullable`` only works next to a ``type``, so "null or the published schema" is
    # spelled as an anyOf with an object-typed nullable branch that admits nothing but null.
    null_only = {"type": "object", "nullable": True, "maxProperties": 0}
    for name in ("CurrentlyPlayingContextObject", "CurrentlyPlayingObject"):
        properties = schemas[name]["properties"]
        for field in ("context", "item"):
            properties[field] = {"anyOf": [properties[field], null_only]}
    return spec


class Contract:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.openapi = OpenAPI.from_dict(spec)
        self.registry = Registry().with_resource(SPEC_URI, DRAFT4.create_resource(spec))

    def schema(self, pointer: str, **extra: Any) -> OAS30Validator:
        return OAS30Validator({"$ref": f"{SPEC_URI}#{pointer}", **extra}, registry=self.registry)

    def check(self, response: httpx.Response, template: str) -> Any:
        """Validate ``response`` to the request it answered; ``template`` is the spec path."""
        method = response.request.method.lower()
        declared = self.spec["paths"][template][method]["responses"]
        body = response.json() if response.content else None
        if str(response.status_code) in declared:
            request = MockRequest("https://api.spotify.com", method, response.request.url.path,
                                  args=dict(response.request.url.params))
            content_type = response.headers.get("content-type", "application/json")
            self.openapi.validate_response(request, MockResponse(
                response.content, status_code=response.status_code,
                content_type=content_type.split(";")[0] if response.content else None))
        else:
            name = GENERIC_ERRORS[response.status_code]
            pointer = f"/components/responses/{name}/content/application~1json/schema"
            self.schema(pointer).validate(body)
        return body

    def check_disallows(self, body: dict[str, Any]) -> None:
        assert set(body["actions"]) == {"disallows"}, "flags must be nested like real answers"
        strict = self.schema("/components/schemas/DisallowsObject")
        strict.validate(body["actions"]["disallows"])
        flags = set(self.spec["components"]["schemas"]["DisallowsObject"]["properties"])
        assert set(body["actions"]["disallows"]) <= flags


@pytest.fixture(scope="module")
def contract() -> Contract:
    path = spec_path("spotify-web-api.openapi.yml")
    return Contract(_as_observed(yaml.safe_load(path.read_text())))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeSpotify, str]]:
    fake = FakeSpotify.with_demo_catalog()
    with serve(fake.app) as base:
        yield fake, base


@pytest.fixture
def api(served: tuple[FakeSpotify, str]) -> Iterator[httpx.Client]:
    fake, base = served
    token = fake.issue_tokens()["access_token"]
    with httpx.Client(base_url=f"{base}/v1",
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def test_search_pages_validate_and_next_links_work(contract: Contract, api: httpx.Client) -> None:
    first = contract.check(api.get("/search", params={
        "q": "hello", "type": "track,album,artist,playlist", "limit": 1}), "/search")

    assert set(first) == {"tracks", "albums", "artists", "playlists"}
    assert first["tracks"]["total"] == 2 and first["tracks"]["next"].startswith("http://127.0.0.1")
    second = contract.check(api.get(first["tracks"]["next"]), "/search")
    assert second["tracks"]["items"][0]["artists"][0]["name"] == "Lionel Richie"
    assert second["tracks"]["next"] is None and second["tracks"]["previous"]


def test_search_field_filters(contract: Contract, api: httpx.Client) -> None:
    body = contract.check(api.get("/search", params={
        "q": 'track:hello album:"Can\'t Slow Down"', "type": "track"}), "/search")

    assert [t["artists"][0]["name"] for t in body["tracks"]["items"]] == ["Lionel Richie"]


def test_profile(contract: Contract, api: httpx.Client) -> None:
    body = contract.check(api.get("/me"), "/me")
    assert (body["id"], body["type"]) == ("samtester", "user")
    assert body["uri"] == "spotify:user:samtester"


def test_player_lifecycle(contract: Contract, api: httpx.Client,
                          served: tuple[FakeSpotify, str]) -> None:
    fake, _ = served
    fake.state.device = None
    for device in fake.devices:
        device.is_active = False
    idle = api.get("/me/player")
    contract.check(idle, "/me/player")
    assert idle.status_code == 204 and idle.content == b""

    devices = contract.check(api.get("/me/player/devices"), "/me/player/devices")
    kitchen = devices["devices"][0]["id"]
    moved = api.put("/me/player", json={"device_ids": [kitchen], "play": False})
    contract.check(moved, "/me/player")
    album = fake.track("Song 2").album
    started = api.put("/me/player/play", json={"context_uri": album.uri, "offset": {"position": 1}})
    contract.check(started, "/me/player/play")
    assert started.status_code == 204 and started.content == b""

    state = contract.check(api.get("/me/player"), "/me/player")
    assert state["item"]["name"] == "Song 2" and state["context"]["uri"] == album.uri
    assert state["device"]["is_active"] and isinstance(state["timestamp"], int)
    contract.check_disallows(state)
    playing = contract.check(api.get("/me/player/currently-playing"),
                             "/me/player/currently-playing")
    contract.check_disallows(playing)

    contract.check(api.post("/me/player/queue", params={"uri": fake.track("Yellow").uri}),
                   "/me/player/queue")
    queue = contract.check(api.get("/me/player/queue"), "/me/player/queue")
    assert queue["queue"][0]["name"] == "Yellow"

    by_uris = api.put("/me/player/play", json={"uris": [fake.track("Doxy").uri]})
    assert by_uris.status_code == 204
    state = contract.check(api.get("/me/player"), "/me/player")
    assert state["context"] is None


def test_library_and_playlists(contract: Contract, api: httpx.Client,
                               served: tuple[FakeSpotify, str]) -> None:
    fake, _ = served
    saved = contract.check(api.get("/me/tracks", params={"limit": 2}), "/me/tracks")
    assert saved["total"] == len(fake.liked) and saved["items"][0]["added_at"].endswith("Z")
    assert saved["next"] is not None

    uri = fake.track("Parklife").uri
    contract.check(api.put("/me/library", params={"uris": uri}), "/me/library")
    contains = contract.check(api.get("/me/library/contains", params={"uris": uri}),
                              "/me/library/contains")
    assert contains == [True]

    playlists = contract.check(api.get("/me/playlists"), "/me/playlists")
    owned = next(p for p in playlists["items"] if p["owner"]["id"] == "samtester")
    items = contract.check(api.get(f"/playlists/{owned['id']}/items"),
                           "/playlists/{playlist_id}/items")
    assert items["items"][0]["item"]["type"] == "track"
    contract.check(api.get(f"/playlists/{owned['id']}/tracks"), "/playlists/{playlist_id}/tracks")

    other = next(p for p in playlists["items"] if p["owner"]["id"] != "samtester")
    refused = api.get(f"/playlists/{other['id']}/items")
    assert refused.status_code == 403
    contract.check(refused, "/playlists/{playlist_id}/items")


def test_error_bodies(contract: Contract, api: httpx.Client,
                      served: tuple[FakeSpotify, str]) -> None:
    fake, _ = served
    too_many = api.get("/search", params={"q": "hello", "type": "track", "limit": 11})
    assert contract.check(too_many, "/search") == {"error": {"status": 400,
                                                             "message": "Invalid limit"}}

    fake.state.device = None
    no_device = api.put("/me/player/pause")
    body = contract.check(no_device, "/me/player/pause")
    assert body["error"]["reason"] == "NO_ACTIVE_DEVICE" and no_device.status_code == 404

    fake.premium = False
    try:
        premium = contract.check(api.put("/me/player/pause"), "/me/player/pause")
    finally:
        fake.premium = True
    assert premium["error"]["reason"] == "PREMIUM_REQUIRED"

    fake.rate_limit_next(7)
    limited = api.get("/me")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    contract.check(limited, "/me")

    expired = httpx.get(str(api.base_url.join("me")), headers={"Authorization": "Bearer nope"})
    assert contract.check(expired, "/me")["error"]["message"] == "Invalid access token"


# ---- accounts service (not part of the Web API spec; shapes from protocols.md 1.1) --------------


def test_pkce_code_exchange_and_refresh_rotation(served: tuple[FakeSpotify, str]) -> None:
    _, base = served
    verifier, redirect = "v" * 64, "http://127.0.0.1:8080/v1/adapter/spotify/callback"
    authorize = httpx.get(f"{base}/authorize", params={
        "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect,
        "code_challenge_method": "S256", "code_challenge": s256(verifier), "state": "st"})
    assert authorize.status_code == 302
    back = httpx.URL(authorize.headers["location"])
    assert back.params["state"] == "st" and str(back).startswith(redirect)
    form = {"grant_type": "authorization_code", "code": back.params["code"],
            "redirect_uri": redirect, "client_id": CLIENT_ID, "code_verifier": verifier}

    tokens = httpx.post(f"{base}/api/token", data=form).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    reused = httpx.post(f"{base}/api/token", data=form)
    assert reused.status_code == 400 and reused.json() == {
        "error": "invalid_grant", "error_description": "Invalid authorization code"}

    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
               "client_id": CLIENT_ID}
    rotated = httpx.post(f"{base}/api/token", data=refresh).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    again = httpx.post(f"{base}/api/token", data=refresh)
    assert again.json()["error_description"] == "Invalid refresh token"


def test_authorize_refusals(served: tuple[FakeSpotify, str]) -> None:
    fake, base = served
    good = {"client_id": CLIENT_ID, "response_type": "code", "code_challenge_method": "S256",
            "redirect_uri": "http://127.0.0.1:9/cb", "code_challenge": s256("x" * 50)}
    localhost = httpx.get(f"{base}/authorize", params={**good,
                                                       "redirect_uri": "http://localhost:9/cb"})
    assert localhost.status_code == 400
    wrong_verifier_code = httpx.URL(
        httpx.get(f"{base}/authorize", params=good).headers["location"]).params["code"]
    wrong = httpx.post(f"{base}/api/token", data={
        "grant_type": "authorization_code", "code": wrong_verifier_code, "client_id": CLIENT_ID,
        "redirect_uri": good["redirect_uri"], "code_verifier": "y" * 50})
    assert wrong.json()["error_description"] == "code_verifier was incorrect"

    fake.deny = True
    try:
        denied = httpx.get(f"{base}/authorize", params={**good, "state": "s"})
    finally:
        fake.deny = False
    assert httpx.URL(denied.headers["location"]).params["error"] == "access_denied"
