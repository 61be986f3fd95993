"""The ``sam-edge`` command: run, chat, pair, listen, say, sync, status, doctor, forget, reset,
household.

Exit codes: 0 success; 1 the command failed (one line on stderr says why); 2 a usage or
configuration problem.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .commands._common import err, setup_logging
from .commands.household import add_parser as add_household_parser
from .errors import ConfigError
from .settings import Settings, load_settings

log = logging.getLogger("sam_edge")


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from .db.private import private_dirs, private_umask, tighten
    from .web.server import GRACEFUL_S, Server, without_pydantic_v1

    setup_logging(settings.log.level)
    private_umask()
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tighten(private_dirs(settings))
    with without_pydantic_v1():
        from .web.app import create_app

        app = create_app(settings)
    config = uvicorn.Config(app, host=settings.http.host, port=settings.http.port,
                            log_level="warning", access_log=False, ws="none",
                            timeout_graceful_shutdown=round(GRACEFUL_S))
    server = Server(config)
    log.info("SAM Edge %s starting on http://%s:%d (data in %s)", __version__,
             settings.http.host, settings.http.port, settings.data.dir)
    try:
        server.run()
    except OSError as exc:
        err(f"cannot listen on {settings.http.host}:{settings.http.port}: {exc.strerror}")
        return 1
    if not server.started:
        err(f"could not start on {settings.http.host}:{settings.http.port} "
             "(is another sam-edge running? set SAM_HTTP_PORT)")
        return 1
    log.info("SAM Edge stopped")
    return 0


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
    listen.add_argument("--reference", metavar="PLAYED",
                        help="what the device played during the recording, from the same "
                        "instant (any rate, mono or stereo): its echo is cancelled")

    talk = sub.add_parser("talk", help="the Enter key as the talk button (Ctrl-C ends)")
    talk.add_argument("--json", action="store_true", help="print each turn's JSON object")
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
    add_household_parser(sub)
    return parser


Command = Callable[[Settings, argparse.Namespace], int]

COMMANDS = {"chat": "chat", "pair": "pair", "listen": "voice", "talk": "talk", "say": "voice",
            "status": "operations", "doctor": "operations", "forget": "operations",
            "reset": "operations", "sync": "operations", "household": "household"}
"""Each command's module under ``sam_edge.commands``, imported when that command runs."""


def command(name: str) -> Command:
    if name == "run":
        return cmd_run
    module = importlib.import_module(f"{__package__}.commands.{COMMANDS[name]}")
    found: Command = getattr(module, f"cmd_{name}")
    return found


def launch() -> int:
    """The ``sam-edge`` program: :func:`main` with the garbage collector paused for start-up.

    Start-up creates about 170,000 objects that live as long as the process; collecting them
    over and over while they are being created costs several per cent of the start.
    ``sam-edge run`` freezes them once it serves and then turns the collector back on; every
    other command turns it back on as soon as its settings are read.
    """
    gc.disable()
    # SAM Edge uses no pydantic plugins; looking for them reads every installed package's
    # metadata at the first settings model.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # A recording is judged without the service: its [http] settings do not matter.
        skip = ("http",) if args.command == "listen" else ()
        settings = load_settings(args.config, skip=skip)
    except ConfigError as exc:
        err(exc.message)
        return 2
    finally:
        if args.command != "run":
            gc.enable()
    return command(args.command)(settings, args)


if __name__ == "__main__":
    sys.exit(launch())
