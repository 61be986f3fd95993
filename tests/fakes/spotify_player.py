"""The fake Spotify's player endpoints (``/v1/me/player...``): 204s with an empty body,
``device_id`` honoured, ``NO_ACTIVE_DEVICE`` when there is no device to act on."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from tests.fakes.spotify_api import ApiError, Call, int_param, no_content
from tests.fakes.spotify_catalog import FakeDevice, FakeTrack, device_json, track_json


def _context_json(call: Call) -> dict[str, Any] | None:
    uri = call.fake.state.context_uri
    if not uri:
        return None
    _, kind, id_ = uri.split(":", 2)
    return {
        "type": kind,
        "uri": uri,
        "href": f"{call.api}/{kind}s/{id_}",
        "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{id_}"},
    }


def _playing(call: Call, *, with_device: bool) -> dict[str, Any]:
    state = call.fake.state
    assert state.item is not None and state.device is not None
    body: dict[str, Any] = {}
    if with_device:
        body |= {
            "device": device_json(state.device),
            "shuffle_state": state.shuffle,
            "smart_shuffle": False,
            "repeat_state": state.repeat,
        }
    # Real answers nest the flags under ``disallows``; the published schema flattens them.
    disallows = {"pausing": True} if not state.is_playing else {"resuming": True}
    return body | {
        "timestamp": int(state.changed_at * 1000),
        "context": _context_json(call),
        "progress_ms": state.progress_ms,
        "is_playing": state.is_playing,
        "item": track_json(state.item, call.api),
        "currently_playing_type": "track",
        "actions": {"disallows": disallows},
    }


def player_state(call: Call) -> Response:
    state = call.fake.state
    if state.device is None or state.item is None:
        return no_content()
    return JSONResponse(_playing(call, with_device=True))


def currently_playing(call: Call) -> Response:
    state = call.fake.state
    if state.device is None or state.item is None:
        return no_content()
    return JSONResponse(_playing(call, with_device=False))


def devices(call: Call) -> Response:
    return JSONResponse({"devices": [device_json(d) for d in call.fake.devices]})


def _device(call: Call, device_id: str) -> FakeDevice:
    device = next((d for d in call.fake.devices if d.id == device_id), None)
    if device is None:
        raise ApiError(404, "Device not found")
    if device.is_restricted:
        raise ApiError(403, "Player command failed: Restriction violated", "UNKNOWN")
    return device


def _target(call: Call) -> FakeDevice:
    """The device a command acts on: ``device_id`` (which becomes active) or the active one."""
    if call.query.get("device_id"):
        device = _device(call, call.query["device_id"])
        call.fake.activate(device)
        return device
    if call.fake.state.device is None:
        raise ApiError(404, "Player command failed: No active device found", "NO_ACTIVE_DEVICE")
    return call.fake.state.device


def transfer(call: Call) -> Response:
    body = call.body if isinstance(call.body, dict) else {}
    ids = body.get("device_ids")
    if not isinstance(ids, list) or not ids:
        raise ApiError(400, "Required field device_ids missing")
    if len(ids) > 1:
        raise ApiError(400, "Only one device_id is supported")
    device = _device(call, str(ids[0]))
    state = call.fake.state
    state.touch()
    call.fake.activate(device)
    if body.get("play") and state.item is not None:
        state.is_playing = True
    return no_content()


def _known_track(call: Call, uri: Any) -> FakeTrack:
    found = call.fake.find(uri) if isinstance(uri, str) else None
    if not isinstance(found, FakeTrack):
        raise ApiError(400, f"Invalid track uri: {uri}")
    return found


def play(call: Call) -> Response:
    _target(call)
    if call.fake.unresponsive_device:
        return no_content()
    state, body = call.fake.state, call.body or {}
    if not isinstance(body, dict):
        raise ApiError(400, "Malformed json")
    if body.get("uris") is not None and body.get("context_uri") is not None:
        raise ApiError(400, "Only one of context_uri and uris can be specified")
    if body.get("uris") is not None:
        if not isinstance(body["uris"], list) or not body["uris"]:
            raise ApiError(400, "Invalid uris")
        tracks, context = [_known_track(call, u) for u in body["uris"]], None
    elif body.get("context_uri") is not None:
        context = body["context_uri"]
        tracks = call.fake.context_tracks(context)
        if not tracks:
            raise ApiError(404, "Not found.")
    else:
        if state.item is None:
            raise ApiError(403, "Player command failed: Restriction violated", "UNKNOWN")
        state.touch()
        state.is_playing = True
        return no_content()
    index = 0
    offset = body.get("offset")
    if isinstance(offset, dict) and "position" in offset:
        index = offset["position"] if isinstance(offset["position"], int) else -1
    elif isinstance(offset, dict) and "uri" in offset:
        index = next((i for i, t in enumerate(tracks) if t.uri == offset["uri"]), -1)
    if not 0 <= index < len(tracks):
        raise ApiError(400, "Invalid offset")
    state.tracks, state.index, state.item, state.context_uri = tracks, index, tracks[index], context
    state.is_playing = True
    state.touch(int(body.get("position_ms") or 0))
    return no_content()


def pause(call: Call) -> Response:
    _target(call)
    if call.fake.unresponsive_device:
        return no_content()
    call.fake.state.touch()
    call.fake.state.is_playing = False
    return no_content()


def skip_next(call: Call) -> Response:
    _target(call)
    if call.fake.unresponsive_device:
        return no_content()
    state = call.fake.state
    if state.queue:
        state.item = state.queue.pop(0)
    elif state.index + 1 < len(state.tracks):
        state.index += 1
        state.item = state.tracks[state.index]
    elif state.repeat == "context" and state.tracks:
        state.index = 0
        state.item = state.tracks[0]
    else:
        state.touch()
        state.is_playing = False
        return no_content()
    state.is_playing = True
    state.touch(0)
    return no_content()


def skip_previous(call: Call) -> Response:
    _target(call)
    state = call.fake.state
    if state.progress_ms <= 3000 and state.index > 0:
        state.index -= 1
        state.item = state.tracks[state.index]
    state.touch(0)
    return no_content()


def seek(call: Call) -> Response:
    position = int_param(call, "position_ms", -1, 0, 10**9, "Invalid position_ms")
    if position < 0:
        raise ApiError(400, "Required parameter position_ms missing")
    _target(call)
    call.fake.state.touch(position)
    return no_content()


def volume(call: Call) -> Response:
    level = int_param(call, "volume_percent", -1, 0, 100, "Invalid volume value")
    if level < 0:
        raise ApiError(400, "Required parameter volume_percent missing")
    device = _target(call)
    if not device.supports_volume:
        raise ApiError(403, "Player command failed: Cannot control device volume",
                       "VOLUME_CONTROL_DISALLOW")
    device.volume_percent = level
    return no_content()


def shuffle(call: Call) -> Response:
    state = call.query.get("state")
    if state not in ("true", "false"):
        raise ApiError(400, "Invalid state value")
    _target(call)
    call.fake.state.shuffle = state == "true"
    return no_content()


def repeat(call: Call) -> Response:
    state = call.query.get("state")
    if state not in ("track", "context", "off"):
        raise ApiError(400, "State must be one of track, context or off")
    _target(call)
    call.fake.state.repeat = state
    return no_content()


def add_to_queue(call: Call) -> Response:
    if not call.query.get("uri"):
        raise ApiError(400, "Required parameter uri missing")
    track = _known_track(call, call.query["uri"])
    _target(call)
    call.fake.state.queue.append(track)
    return no_content()


def get_queue(call: Call) -> Response:
    state = call.fake.state
    upcoming = [*state.queue, *state.tracks[state.index + 1 :]][:20]
    current = track_json(state.item, call.api) if state.item and state.device else None
    return JSONResponse(
        {"currently_playing": current, "queue": [track_json(t, call.api) for t in upcoming]}
    )
