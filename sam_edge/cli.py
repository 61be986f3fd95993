"""The ``sam-edge`` command: run, chat, pair.

Exit codes: 0 success; 1 the command failed (one line on stderr says why); 2 a usage or
configuration problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from . import __version__
from .errors import ConfigError, PairingError
from .settings import Settings, config_path, load_settings

log = logging.getLogger("sam_edge")


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "urllib3", "alembic", "groq", "huey"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    # spotipy logs every HTTP error at ERROR, even the 401 that a refresh then fixes; the
    # adapter reports what really failed.
    logging.getLogger("spotipy").setLevel(logging.CRITICAL)


def _err(message: str) -> None:
    print(f"sam-edge: {message}", file=sys.stderr)


# ---------------------------------------------------------------- run


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from .web.app import create_app

    _setup_logging(settings.log.level)
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.http.host, port=settings.http.port,
                            log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    log.info("SAM Edge %s starting on http://%s:%d (data in %s)", __version__,
             settings.http.host, settings.http.port, settings.data.dir)
    try:
        server.run()
    except OSError as exc:
        _err(f"cannot listen on {settings.http.host}:{settings.http.port}: {exc.strerror}")
        return 1
    if not server.started:
        _err(f"could not start on {settings.http.host}:{settings.http.port} "
             "(is another sam-edge running? set SAM_HTTP_PORT)")
        return 1
    return 0


# ---------------------------------------------------------------- chat


def _service_answers(settings: Settings) -> bool:
    try:
        response = httpx.get(f"{settings.service_url}/health", timeout=0.5)
        return response.status_code == 200 and response.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError):
        return False


def _print_turn(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    else:
        print(result.get("response_text") or f"({result.get('status')})", flush=True)


Turn = Callable[[str], Awaitable[dict[str, Any]]]


async def _converse(turn: Turn, text: str | None, as_json: bool) -> int:
    """One turn for ``text``, else an interactive prompt until EOF or "quit"."""
    from .web.schemas import MAX_TEXT

    if text is not None:
        if not text.strip() or len(text) > MAX_TEXT:
            _err(f"text must be 1-{MAX_TEXT} characters")
            return 2
        _print_turn(await turn(text), as_json)
        return 0
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if line.strip().lower() in ("quit", "exit"):
            return 0
        if line.strip():
            _print_turn(await turn(line[:MAX_TEXT]), as_json)


async def _remote_chat(settings: Settings, text: str | None, session_id: str,
                       as_json: bool) -> int:
    async with httpx.AsyncClient(base_url=settings.service_url, timeout=30.0) as client:

        async def turn(line: str) -> dict[str, Any]:
            response = await client.post("/v1/chat/message",
                                         json={"text": line, "session_id": session_id})
            response.raise_for_status()
            return dict(response.json())

        try:
            return await _converse(turn, text, as_json)
        except httpx.HTTPError as exc:
            _err(f"the running service did not answer: {exc}")
            return 1


async def _local_chat(settings: Settings, text: str | None, session_id: str,
                      as_json: bool) -> int:
    from .app import build_runtime

    runtime = await build_runtime(settings)

    async def turn(line: str) -> dict[str, Any]:
        return (await runtime.assistant.handle_text(line, session_id)).to_dict()

    try:
        return await _converse(turn, text, as_json)
    finally:
        await runtime.aclose()


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    _setup_logging("WARNING" if settings.log.level != "DEBUG" else "DEBUG")
    text = " ".join(args.text) if args.text else None
    if _service_answers(settings):
        return asyncio.run(_remote_chat(settings, text, args.session, args.json))
    _err("no running service answered at "
         f"{settings.service_url}; running in-process (playback stops when this command exits)")
    return asyncio.run(_local_chat(settings, text, args.session, args.json))


# ---------------------------------------------------------------- pair


async def _paste_or_callback(pending: Path) -> str | None:
    """The line pasted on stdin, or ``None`` once the pending record is gone (the running
    service got the browser's redirect and completed the pairing)."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        text = sys.stdin.readline()
        loop.call_soon_threadsafe(lambda: line.done() or line.set_result(text))

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
    from .db.accounts import DbTokenStore
    from .db.engine import make_engine, make_sessionmaker, migrate
    from .db.secrets import Cipher
    from .pairing import SoundCloudPairing, SpotifyPairing

    platform = args.platform
    label = PAIRING[platform][0]
    redirect_uri = (settings.spotify_redirect_uri if platform == "spotify"
                    else settings.soundcloud_redirect_uri)
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    await asyncio.to_thread(migrate, settings.database_path)
    engine = make_engine(settings.database_path)
    try:
        cipher = Cipher.from_data_dir(settings.data.dir)
        tokens = DbTokenStore.in_data_dir(make_sessionmaker(engine), cipher, settings.data.dir)
        kind = SpotifyPairing if platform == "spotify" else SoundCloudPairing
        pairing = kind(settings, tokens, cipher)
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
                    _err("the browser's redirect reached the running service, but the pairing "
                         "failed there (see its page); nothing was paired")
                    return 1
                print(f"{label} paired as {stored.display_name or stored.account_id}")
                return 0
            redirect = pasted
            if not redirect.strip():
                _err("no redirect URL was pasted; nothing was paired")
                return 1
        done = await pairing.complete(redirect)
        print(f"{label} paired as {done.display_name or done.account_id or 'unknown'}")
        return 0
    finally:
        await engine.dispose()


def cmd_pair(settings: Settings, args: argparse.Namespace) -> int:
    _setup_logging("WARNING")
    label, variable, how = PAIRING[args.platform]
    client_id = (settings.spotify.client_id if args.platform == "spotify"
                 else settings.soundcloud.client_id)
    if not client_id:
        _err(f"no {label} client id: set {variable} (see README: {how})")
        return 2
    try:
        return asyncio.run(_pair(settings, args))
    except PairingError as exc:
        _err(exc.message)
        return 1


# ---------------------------------------------------------------- listen, say


async def _listen(settings: Settings, wav: Path) -> int:
    from .app import build_runtime
    from .audio.errors import AudioError
    from .audio.sources import decode_upload
    from .pipeline import SttMissing
    from .speech.simulated import KnownTranscript

    try:
        data = wav.read_bytes()
    except OSError as exc:
        _err(f"cannot read {wav}: {exc.strerror}")
        return 1
    try:
        clip = await asyncio.to_thread(decode_upload, data,
                                       max_seconds=settings.voice.max_upload_seconds)
    except AudioError as exc:
        _err(f"{wav}: {exc.message}")
        return 1
    runtime = await build_runtime(settings)
    try:
        stt = None
        if runtime.pipeline.stt is None:
            stt = KnownTranscript.for_wav(wav)
            if stt is not None:
                _err(f"no SAM_GROQ_API_KEY: using the transcript in {wav.with_suffix('.txt')}")
        try:
            result = await runtime.pipeline.process(clip, stt=stt)
        except SttMissing as exc:
            _err(exc.message)
            return 1
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    finally:
        await runtime.aclose()


def cmd_listen(settings: Settings, args: argparse.Namespace) -> int:
    _setup_logging("WARNING" if settings.log.level != "DEBUG" else "DEBUG")
    return asyncio.run(_listen(settings, Path(args.wav)))


async def _say(settings: Settings, text: str, out: Path | None) -> int:
    from .audio.format import pcm_to_wav
    from .speech.factory import build_tts

    tts = build_tts(settings, settings.phrase_cache_dir)
    try:
        if out is not None:
            pcm = b"".join([chunk async for chunk in tts.stream(text)])
            if not pcm:
                _err("nothing can speak: install espeak-ng or set SAM_ELEVENLABS_API_KEY")
                return 1
            out.write_bytes(pcm_to_wav(pcm, tts.sample_rate))
        else:
            from .voice import speaker

            played = await speaker(settings).play(tts.stream(text), tts.sample_rate)
            if not played:
                return 1
        print(f"spoken with {tts.last_source}", file=sys.stderr)
        return 0
    finally:
        await tts.aclose()


def cmd_say(settings: Settings, args: argparse.Namespace) -> int:
    _setup_logging("WARNING")
    text = " ".join(args.text).strip()
    if not text:
        _err("nothing to say")
        return 2
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return asyncio.run(_say(settings, text, Path(args.out) if args.out else None))


# ---------------------------------------------------------------- operations


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    from .sync.cli import run_sync_command

    _setup_logging("WARNING" if settings.log.level != "DEBUG" else "DEBUG")
    return run_sync_command(settings, args.platform, stderr_is_tty=sys.stderr.isatty())


def cmd_status(settings: Settings, _args: argparse.Namespace) -> int:
    from .ops import OpsError, status_report

    _setup_logging("WARNING")
    try:
        print(status_report(settings))
    except OpsError as exc:
        _err(exc.message)
        return 1
    return 0


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    from .ops import doctor

    _setup_logging("WARNING")
    report, code = doctor(settings, tone=args.tone,
                          config=config_path(args.config, os.environ))
    print(report)
    return code


def cmd_forget(settings: Settings, _args: argparse.Namespace) -> int:
    from .ops import OpsError, forget

    _setup_logging("WARNING")
    try:
        print(forget(settings))
    except OpsError as exc:
        _err(exc.message)
        return 1
    return 0


def cmd_reset(settings: Settings, args: argparse.Namespace) -> int:
    from .ops import OpsError, reset

    _setup_logging("WARNING")
    if _service_answers(settings):
        _err("stop the service first: sudo systemctl stop sam-edge")
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            _err("reset erases accounts, library, history and caches; add --yes to confirm")
            return 2
        answer = input("Erase accounts, library, history and caches on this device? "
                       "Type 'reset' to confirm: ")
        if answer.strip().lower() != "reset":
            _err("nothing was erased")
            return 1
    try:
        print(reset(settings, config=config_path(args.config, os.environ)))
    except OpsError as exc:  # ServiceRunning included
        _err(exc.message)
        return 1
    return 0


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sam-edge", description="SAM Edge music assistant")
    parser.add_argument("--config", help="settings file (default ~/.config/sam-edge/config.toml "
                        "or $SAM_CONFIG)")
    parser.add_argument("--version", action="version", version=f"sam-edge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="start the assistant service (default 127.0.0.1:8080)")

    chat = sub.add_parser("chat", help="talk to the assistant in text")
    chat.add_argument("text", nargs="*", help="what to say; none opens an interactive prompt")
    chat.add_argument("--json", action="store_true", help="print the API's JSON object")
    chat.add_argument("--session", default="default", help="dialog session id")

    pair = sub.add_parser("pair", help="connect a music account")
    pair.add_argument("platform", choices=["spotify", "soundcloud"])
    group = pair.add_mutually_exclusive_group()
    group.add_argument("--print-url", action="store_true",
                       help="only print the authorize URL; finish later with --redirect-url")
    group.add_argument("--redirect-url", metavar="URL",
                       help="finish a pairing started with --print-url")

    listen = sub.add_parser("listen", help="run one voice turn on a WAV file; prints JSON")
    listen.add_argument("--wav", required=True, metavar="FILE",
                        help="the recording (any format ffmpeg reads)")

    say = sub.add_parser("say", help="speak a sentence")
    say.add_argument("text", nargs="+")
    say.add_argument("--out", metavar="FILE.wav", help="write a WAV instead of playing it")

    sync = sub.add_parser("sync", help="copy your liked songs and playlists to the device now")
    sync.add_argument("--platform", choices=["spotify", "soundcloud"],
                      help="only this platform (default: every paired one)")
    sub.add_parser("status", help="accounts, last sync, caches, device state, recent turns")
    doctor = sub.add_parser("doctor", help="check audio, keys, services, disk, permissions")
    doctor.add_argument("--tone", action="store_true", help="play a test tone")
    sub.add_parser("forget", help="erase the dialog history and transcripts")
    reset = sub.add_parser("reset", help="return the device to factory state")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


COMMANDS = {"run": cmd_run, "chat": cmd_chat, "pair": cmd_pair, "listen": cmd_listen,
            "say": cmd_say, "status": cmd_status, "doctor": cmd_doctor, "forget": cmd_forget,
            "reset": cmd_reset, "sync": cmd_sync}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        _err(exc.message)
        return 2
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
