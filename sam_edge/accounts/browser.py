"""Binding a pairing to the browser that started it.

``bind`` records a digest of the pairing's ``state`` with a keyed tag of the browser's session,
next to the pending record; :func:`complete_in_browser` finishes only for that browser, so nobody
can slip their own code into another's pairing. A pending record that ``sam-edge pair`` made has
no browser: its redirect completes as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ..errors import PairingError
from .pairing import PkcePairing
from .tokens import TokenSet


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url.strip()).query).items()}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def _path(pairing: PkcePairing) -> Path:
    return pairing.pending_path.with_name(f"{pairing.platform}.browser.json")


def bind(pairing: PkcePairing, authorize_url: str, session_tag: str) -> None:
    """Tie the pairing just started (its authorize URL carries ``state``) to this browser."""
    path = _path(pairing)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"state": _digest(query_of(authorize_url).get("state", "")),
                   "session": session_tag, "created_at": time.time()}, fh)
    tmp.replace(path)


def _bound_session(pairing: PkcePairing, state: str) -> str | None:
    """The session tag that started the pairing with ``state``; None if no browser did."""
    try:
        record = json.loads(_path(pairing).read_text())
        if hmac.compare_digest(str(record["state"]), _digest(state)):
            return str(record["session"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _unbind(pairing: PkcePairing) -> None:
    _path(pairing).unlink(missing_ok=True)


async def complete_in_browser(pairing: PkcePairing, redirect_url: str,
                              session_tag: str | None) -> TokenSet:
    """Finish from a redirect URL, in the browser whose ``session_tag`` started the pairing."""
    bound = _bound_session(pairing, query_of(redirect_url).get("state", ""))
    if bound is not None and (session_tag is None
                              or not hmac.compare_digest(bound, session_tag)):
        raise PairingError("This pairing was started in another browser, so nothing was "
                           "stored. Start it again from this browser.", code="other_browser")
    try:
        tokens = await pairing.complete(redirect_url)
    except PairingError:
        if not pairing.pending_path.exists():
            _unbind(pairing)
        raise
    _unbind(pairing)
    return tokens
