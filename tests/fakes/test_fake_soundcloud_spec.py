"""The fake SoundCloud's answers validated against the published SoundCloud OpenAPI spec.

Responses whose status the spec declares for the operation go through openapi-core
(``validate_response``); error statuses it leaves out of an operation are checked against its
shared ``components/responses`` error schemas.

The spec is loaded once and corrected, explicitly, where it cannot be used as published or where
real responses are known to differ (protocols.md 2.2):

* the ``access`` parameters give their array default as a comma-separated string, which makes
  the document invalid: the default becomes the list it stands for;
* user ``created_at``/``last_modified`` are declared ``date-time`` while SoundCloud writes every
  timestamp as ``yyyy/MM/dd HH:mm:ss Z``: the format is dropped.

The sign-in host (``/authorize``, ``/oauth/token``) has no paths in the spec; its forms are
checked against the ``OAuthToken`` schema and its answers against protocols.md 2.1.
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
from tests.fakes.soundcloud import CLIENT_ID, CLIENT_SECRET, FakeSoundCloud, s256
from tests.fakes.specs import spec_path

SPEC_URI = "urn:soundcloud-api"
GENERIC_ERRORS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                  429: "TooManyRequests"}
REDIRECT = "http://127.0.0.1:8080/v1/adapter/soundcloud/callback"


def _as_observed(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec with the corrections described in the module docstring."""
    spec = copy.deepcopy(spec)
    components = spec["components"]
    for name in ("access", "access_explicit"):
        schema = components["parameters"][name]["schema"]
        if isinstance(schema.get("default"), str):
            schema["default"] = schema["default"].split(",")
    for name in ("User", "Me"):
        for field in ("created_at", "last_modified"):
            components["schemas"][name]["properties"].get(field, {}).pop("format", None)
    return spec


class Contract:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.openapi = OpenAPI.from_dict(spec)
        self.registry = Registry().with_resource(SPEC_URI, DRAFT4.create_resource(spec))

    def schema(self, pointer: str) -> OAS30Validator:
        return OAS30Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry)

    def check(self, response: httpx.Response, template: str) -> Any:
        """Validate ``response`` to the request it answered; ``template`` is the spec path."""
        method = response.request.method.lower()
        declared = self.spec["paths"][template][method]["responses"]
        body = response.json() if response.content else None
        if str(response.status_code) in declared:
            request = MockRequest("https://api.soundcloud.com", method, response.request.url.path,
                                  args=dict(response.request.url.params))
            self.openapi.validate_response(request, MockResponse(
                response.content, status_code=response.status_code,
                content_type=response.headers.get("content-type")))
        else:
            name = GENERIC_ERRORS[response.status_code]
            content = self.spec["components"]["responses"][name]["content"]
            media = next(iter(content)).replace("/", "~1")
            self.schema(f"/components/responses/{name}/content/{media}/schema").validate(body)
        return body


@pytest.fixture(scope="module")
def contract() -> Contract:
    path = spec_path("soundcloud-api.openapi.yaml")
    return Contract(_as_observed(yaml.safe_load(path.read_text())))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeSoundCloud, str]]:
    fake = FakeSoundCloud.with_demo_catalog()
    with serve(fake.app) as base:
        yield fake, base


@pytest.fixture
def api(served: tuple[FakeSoundCloud, str]) -> Iterator[httpx.Client]:
    fake, base = served
    token = fake.issue_tokens()["access_token"]
    with httpx.Client(base_url=base, headers={"Authorization": f"OAuth {token}",
                                              "accept": "application/json; charset=utf-8"}) as c:
        yield c


def test_search_pages_and_access_filter(contract: Contract, api: httpx.Client) -> None:
    first = contract.check(api.get("/tracks", params={
        "q": "hello", "limit": 1, "linked_partitioning": "true"}), "/tracks")
    assert [t["access"] for t in first["collection"]] == ["preview"]  # default playable,preview
    assert first["next_href"].startswith("http://127.0.0.1") and "cursor=" in first["next_href"]
    second = contract.check(api.get(first["next_href"]), "/tracks")
    assert second["collection"][0]["user"]["username"] == "Nina Covers"
    assert "next_href" not in second

    playable = contract.check(api.get("/tracks", params={
        "q": "hello", "access": "playable", "linked_partitioning": "true"}), "/tracks")
    assert [t["user"]["username"] for t in playable["collection"]] == ["Nina Covers"]
    locked = api.get("/tracks", params={"q": "region locked", "linked_partitioning": "true"})
    assert contract.check(locked, "/tracks")["collection"] == []
    bare = contract.check(api.get("/tracks", params={"q": "nuvvu"}), "/tracks")
    assert isinstance(bare, list) and bare[0]["urn"].startswith("soundcloud:tracks:")


def test_track_and_streams(contract: Contract, api: httpx.Client,
                           served: tuple[FakeSoundCloud, str]) -> None:
    fake, _ = served
    song = fake.track("Nuvvu Nenantu")
    track = contract.check(api.get(f"/tracks/{song.urn}"), "/tracks/{track_urn}")
    assert (track["title"], track["user"]["username"], track["access"]) == (
        "Nuvvu Nenantu", "Karthik", "playable")
    assert contract.check(api.get(f"/tracks/{song.id}"), "/tracks/{track_urn}")["urn"] == song.urn

    streams = contract.check(api.get(f"/tracks/{song.urn}/streams"),
                             "/tracks/{track_urn}/streams")
    assert set(streams) == {"hls_aac_160_url", "hls_aac_96_url", "preview_mp3_128_url"}
    full = api.get(streams["hls_aac_160_url"])
    assert full.status_code == 302 and f"/cdn/{song.urn}.mp3?" in full.headers["location"]
    anonymous = httpx.get(streams["hls_aac_160_url"])
    assert f"/cdn/preview/{song.urn}.mp3?" in anonymous.headers["location"]
    audio = httpx.get(full.headers["location"])
    assert audio.status_code == 200 and audio.headers["content-type"].startswith("audio/")
    assert audio.content[:3] == b"ID3" or audio.content[:1] == b"\xff" or \
        audio.content[:4] == b"RIFF"
    forged = httpx.get(full.headers["location"].replace("Expires=", "Expires=1"))
    assert forged.status_code == 403

    preview = api.get(f"/tracks/{song.urn}/preview")
    assert contract.check(preview, "/tracks/{track_urn}/preview")["location"].startswith(
        preview.headers["location"].split("?")[0])

    snippet = fake.track("Golden Hour")
    only = contract.check(api.get(f"/tracks/{snippet.urn}/streams"), "/tracks/{track_urn}/streams")
    assert set(only) == {"preview_mp3_128_url"}


def test_me_likes_and_playlists(contract: Contract, api: httpx.Client,
                                served: tuple[FakeSoundCloud, str]) -> None:
    fake, _ = served
    me = contract.check(api.get("/me"), "/me")
    assert me["username"] == "Sam Tester" and me["urn"].startswith("soundcloud:users:")

    liked = contract.check(api.get("/me/likes/tracks", params={
        "limit": 2, "linked_partitioning": "true"}), "/me/likes/tracks")
    assert [t["title"] for t in liked["collection"]] == ["Nuvvu Nenantu", "Midnight Drive"]
    rest = contract.check(api.get(liked["next_href"]), "/me/likes/tracks")
    assert [t["access"] for t in rest["collection"]] == ["preview"]  # default: all three

    mine = contract.check(api.get("/me/playlists", params={"linked_partitioning": "true"}),
                          "/me/playlists")
    lofi = next(p for p in mine["collection"] if p["title"] == "Late Night Lo-Fi")
    assert len(lofi["tracks"]) == 4
    tracks = contract.check(api.get(f"/playlists/{lofi['urn']}/tracks", params={
        "access": "playable", "linked_partitioning": "true"}), "/playlists/{playlist_urn}/tracks")
    assert [t["title"] for t in tracks["collection"]] == [
        "Midnight Drive", "Rainy Window", "Sunrise Loop"]
    contract.check(api.get(f"/playlists/{lofi['urn']}"), "/playlists/{playlist_urn}")

    albums = contract.check(api.get("/playlists", params={
        "q": "telugu", "show_tracks": "false", "linked_partitioning": "true"}), "/playlists")
    assert albums["collection"][0]["playlist_type"] == "album"
    assert "tracks" not in albums["collection"][0]
    users = contract.check(api.get("/users", params={"q": "lo-fi lab",
                                                     "linked_partitioning": "true"}), "/users")
    lab = users["collection"][0]["urn"]
    by_lab = contract.check(api.get(f"/users/{lab}/tracks", params={
        "linked_partitioning": "true"}), "/users/{user_urn}/tracks")
    assert len(by_lab["collection"]) == 3

    raga = fake.track("Monsoon Raga")
    contract.check(api.post(f"/likes/tracks/{raga.urn}"), "/likes/tracks/{track_urn}")
    assert fake.liked[0] is raga
    contract.check(api.delete(f"/likes/tracks/{raga.urn}"), "/likes/tracks/{track_urn}")
    assert raga not in fake.liked


def test_error_bodies(contract: Contract, api: httpx.Client,
                      served: tuple[FakeSoundCloud, str]) -> None:
    fake, base = served
    missing = contract.check(httpx.get(f"{base}/me"), "/me")
    assert missing["message"].startswith("A request must contain the Authorization header")
    invalid = contract.check(httpx.get(f"{base}/me", headers={"Authorization": "OAuth nope"}),
                             "/me")
    assert invalid == {"code": 401, "message": "", "status": "401 - Unauthorized", "errors": [],
                       "error": None, "link": invalid["link"]}
    bearer = fake.issue_tokens()["access_token"]
    assert httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {bearer}"}).is_success

    unknown = api.get("/tracks/soundcloud:tracks:1")
    assert unknown.status_code == 404
    contract.check(unknown, "/tracks/{track_urn}")
    too_many = api.get("/tracks", params={"q": "x", "limit": 201})
    assert contract.check(too_many, "/tracks")["code"] == 400
    blocked = api.get(f"/tracks/{fake.track('Region Locked').urn}/streams")
    assert blocked.status_code == 403
    contract.check(blocked, "/tracks/{track_urn}/streams")

    fake.rate_limit_next("GET", "/tracks")
    limited = api.get("/tracks", params={"q": "hello"})
    body = contract.check(limited, "/tracks")
    assert limited.status_code == 429 and "retry-after" not in limited.headers
    assert body["spam_warning_urn"] and body["errors"][0]["meta"]["rate_limit"]["group"] == "plays"

    fake.plays, fake.play_limit = 0, 1
    try:
        stream = api.get(f"/tracks/{fake.track('Monsoon Raga').urn}/streams").json()
        assert api.get(stream["hls_aac_96_url"]).status_code == 302
        assert api.get(stream["hls_aac_96_url"]).status_code == 429
    finally:
        fake.play_limit = 15_000


# ---- sign-in host ------------------------------------------------------------------------------


def test_pkce_code_exchange_and_single_use_refresh(contract: Contract,
                                                   served: tuple[FakeSoundCloud, str]) -> None:
    _, base = served
    verifier = "v" * 64
    authorize = httpx.get(f"{base}/auth/authorize", params={
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
        "code_challenge": s256(verifier), "code_challenge_method": "S256", "state": "st"})
    assert authorize.status_code == 302
    back = httpx.URL(authorize.headers["location"])
    assert back.params["state"] == "st" and str(back).startswith(REDIRECT)
    form = {"grant_type": "authorization_code", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT,
            "code_verifier": verifier, "code": back.params["code"]}
    contract.schema("/components/schemas/OAuthToken").validate(form)

    tokens = httpx.post(f"{base}/auth/oauth/token", data=form).json()
    assert set(tokens) == {"access_token", "expires_in", "refresh_token", "scope", "token_type"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3599
    reused = httpx.post(f"{base}/auth/oauth/token", data=form)
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})

    refresh = {"grant_type": "refresh_token", "client_id": CLIENT_ID,
               "client_secret": CLIENT_SECRET, "refresh_token": tokens["refresh_token"]}
    contract.schema("/components/schemas/OAuthToken").validate(refresh)
    rotated = httpx.post(f"{base}/auth/oauth/token", data=refresh).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    again = httpx.post(f"{base}/auth/oauth/token", data=refresh)
    assert again.json() == {"error": "invalid_grant"}


def test_token_endpoint_refusals(served: tuple[FakeSoundCloud, str]) -> None:
    fake, base = served
    good = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
            "code_challenge": s256("x" * 50), "code_challenge_method": "S256"}
    no_pkce = httpx.get(f"{base}/auth/authorize", params={**good, "code_challenge": ""})
    assert httpx.URL(no_pkce.headers["location"]).params["error"] == "invalid_request"
    code = httpx.URL(httpx.get(f"{base}/auth/authorize", params=good).headers["location"])
    exchange = {"grant_type": "authorization_code", "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT, "code_verifier": "x" * 50,
                "code": code.params["code"]}
    no_secret = httpx.post(f"{base}/auth/oauth/token", data=exchange)
    assert (no_secret.status_code, no_secret.json()) == (401, {"error": "invalid_client"})
    wrong = httpx.post(f"{base}/auth/oauth/token",
                       data={**exchange, "client_secret": CLIENT_SECRET, "code_verifier": "y"})
    assert wrong.json() == {"error": "invalid_grant"}

    fake.token_error_style = "soundcloud"
    try:
        legacy = httpx.post(f"{base}/auth/oauth/token",
                            data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                  "client_secret": CLIENT_SECRET, "refresh_token": "gone"})
    finally:
        fake.token_error_style = "oauth"
    assert legacy.json()["error_code"] == "invalid_grant" and legacy.json()["code"] == 400

    app = httpx.post(f"{base}/auth/oauth/token", data={"grant_type": "client_credentials"},
                     auth=(CLIENT_ID, CLIENT_SECRET)).json()
    headers = {"Authorization": f"OAuth {app['access_token']}"}
    assert httpx.get(f"{base}/tracks", params={"q": "raga"}, headers=headers).is_success
    assert httpx.get(f"{base}/me", headers=headers).status_code == 401

    fake.deny = True
    try:
        denied = httpx.get(f"{base}/auth/authorize", params={**good, "state": "s"})
    finally:
        fake.deny = False
    assert httpx.URL(denied.headers["location"]).params["error"] == "access_denied"
