"""``sam-edge sync``, ``status``, ``doctor``, ``forget`` and ``reset``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from ..settings import Settings, config_path
from ._common import err, service_answers, setup_logging


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    from ..sync.cli import run_sync_command

    setup_logging("WARNING" if settings.log.level != "DEBUG" else "DEBUG")
    return run_sync_command(settings, args.platform, stderr_is_tty=sys.stderr.isatty())


def _print_report(make_report: Callable[[Settings], str], settings: Settings) -> int:
    from ..ops import OpsError

    setup_logging("WARNING")
    try:
        print(make_report(settings))
    except OpsError as exc:
        err(exc.message)
        return 1
    return 0


def cmd_status(settings: Settings, _args: argparse.Namespace) -> int:
    from ..ops import status_report

    return _print_report(status_report, settings)


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    from ..ops import doctor

    setup_logging("WARNING")
    report, code = doctor(settings, tone=args.tone,
                          config=config_path(args.config, os.environ))
    print(report)
    return code


def cmd_forget(settings: Settings, _args: argparse.Namespace) -> int:
    from ..ops import forget

    return _print_report(forget, settings)


def cmd_reset(settings: Settings, args: argparse.Namespace) -> int:
    from ..ops import OpsError, reset

    setup_logging("WARNING")
    if service_answers(settings):
        err("stop the service first: sudo systemctl stop sam-edge")
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            err("reset erases accounts, library, history and caches; add --yes to confirm")
            return 2
        answer = input("Erase accounts, library, history and caches on this device? "
                       "Type 'reset' to confirm: ")
        if answer.strip().lower() != "reset":
            err("nothing was erased")
            return 1
    try:
        print(reset(settings, config=config_path(args.config, os.environ)))
    except OpsError as exc:  # ServiceRunning included
        err(exc.message)
        return 1
    return 0
