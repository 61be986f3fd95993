"""``sam-edge pair spotify|soundcloud``: pairing without the web page (PKCE and ``state``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from pathlib import Path

from ..errors import PairingError
from ..settings import Settings
from ._common import err, setup_logging


async def _paste_or_callback(pending: Path) -> str | None:
    """The line pasted on stdin, or ``None`` once the pending record is gone (the running
    service got the browser's redirect and completed the pairing)."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        text = sys.stdin.readline()
        def answer() -> None:
            if not line.done():
                line.set_result(text)

        loop.call_soon_threadsafe(answer)

    # A daemon thread: a blocked readline must not keep the process alive after pairing.
    threading.Thread(target=read, daemon=True).start()
    while not line.done():
        if not pending.exists():
            return None
        await asyncio.wait([line], timeout=0.5)
    return line.result()


PAIRING = {
    "spotify": ("Spotify", "SAM_SPOTIFY_CLIENT_ID", "create your own Spotify app"),
    "soundcloud": ("SoundCloud", "SAM_SOUNDCLOUD_CLIENT_ID", "register a SoundCloud app"),
}


async def _pair(settings: Settings, args: argparse.Namespace) -> int:
    from ..accounts.platforms import PLATFORMS
    from ..app.core import build_core

    platform = args.platform
    label = PAIRING[platform][0]
    redirect_uri = (settings.spotify_redirect_uri if platform == "spotify"
                    else settings.soundcloud_redirect_uri)
    core = await build_core(settings)
    try:
        pairing = PLATFORMS[platform].pairing(settings, core.tokens, core.cipher)
        if args.redirect_url:
            redirect = args.redirect_url
        else:
            url = pairing.start()
            print(url, flush=True)
            print(f"Open the URL above in a browser and allow access. {label} then redirects to "
                  f"{redirect_uri}?code=...", file=sys.stderr)
            if args.print_url:
                print(f"Then run: sam-edge pair {platform} --redirect-url 'THE_URL' "
                      "(within 10 minutes).", file=sys.stderr)
                return 0
            print("If that page does not load, copy the whole address from the browser's "
                  "address bar and paste it here:", file=sys.stderr)
            before = await pairing.stored()
            pasted = await _paste_or_callback(pairing.pending_path)
            if pasted is None:  # the running service received the redirect and finished
                stored = await pairing.stored()
                if stored is None or stored == before:
                    err("the browser's redirect reached the running service, but the pairing "
                         "failed there (see its page); nothing was paired")
                    return 1
                print(f"{label} paired as {stored.display_name or stored.account_id}")
                return 0
            redirect = pasted
            if not redirect.strip():
                err("no redirect URL was pasted; nothing was paired")
                return 1
        done = await pairing.complete(redirect)
        print(f"{label} paired as {done.display_name or done.account_id or 'unknown'}")
        return 0
    finally:
        await core.aclose()


def cmd_pair(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    label, variable, how = PAIRING[args.platform]
    client_id = (settings.spotify.client_id if args.platform == "spotify"
                 else settings.soundcloud.client_id)
    if not client_id:
        err(f"no {label} client id: set {variable} (see README: {how})")
        return 2
    try:
        return asyncio.run(_pair(settings, args))
    except PairingError as exc:
        err(exc.message)
        return 1
