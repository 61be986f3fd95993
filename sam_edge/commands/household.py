"""``sam-edge household create|join|status|leave``: several devices of one home sharing
PostgreSQL and Redis.

``create`` prints exactly one line on stdout, the join token (a secret: it holds the household
key); everything else goes to stderr. A bad token or a server that does not answer is one line
on stderr and exit 1, with the device left as it was: nothing is written before both servers
answered and the copy succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING

from ..errors import ConfigError, SamError
from ..settings import Settings, config_path

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

RESTART = ("a running sam-edge service keeps its old store until it is restarted "
           "(sudo systemctl restart sam-edge)")


def _say(message: str) -> None:
    print(f"sam-edge: {message}", file=sys.stderr)


async def _open(settings: Settings, database_url: str, redis_url: str) -> AsyncEngine:
    from ..household.bus import check_redis
    from ..household.database import check_database, make_household_engine, migrate_household

    await check_database(database_url)
    await check_redis(redis_url)
    engine = make_household_engine(database_url)
    try:
        await migrate_household(engine)
    except Exception:
        await engine.dispose()
        raise
    return engine


async def _create(settings: Settings, args: argparse.Namespace) -> int:
    from cryptography.fernet import Fernet

    from ..accounts.secrets import Cipher
    from ..db.engine import make_engine, migrate
    from ..household.database import KEY_FILE
    from ..household.joining import JoinToken, validated, write_key, write_section
    from ..household.transfer import copy_shared

    device = args.device or args.name_device
    household = validated(args.database_url, args.redis_url, args.name, device)
    engine = await _open(settings, household.database_url, household.redis_url)
    key = Fernet.generate_key().decode()
    try:
        await asyncio.to_thread(migrate, settings.database_path)
        local = make_engine(settings.database_path)
        try:
            copied = await copy_shared(local, Cipher.from_data_dir(settings.data.dir), engine,
                                       Cipher(key.encode()), replace=False)
        finally:
            await local.dispose()
    finally:
        await engine.dispose()
    write_key(settings.data.dir / KEY_FILE, key)
    write_section(config_path(args.config, os.environ), household)
    _say(f"household {household.name!r} created; this device is {device!r}; copied "
         + ", ".join(f"{n} {t}" for t, n in copied.items() if n))
    _say(RESTART)
    _say("the line below is the join token: it holds the household key, keep it secret")
    print(JoinToken(household.database_url, household.redis_url, household.name, key).encode())
    return 0


async def _join(settings: Settings, args: argparse.Namespace) -> int:
    from ..household.database import KEY_FILE
    from ..household.joining import JoinToken, validated, write_key, write_section

    token = JoinToken.decode(args.token)
    household = validated(token.database_url, token.redis_url, token.name, args.device)
    engine = await _open(settings, household.database_url, household.redis_url)
    await engine.dispose()
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_key(settings.data.dir / KEY_FILE, token.key)
    write_section(config_path(args.config, os.environ), household)
    _say(f"this device joined household {household.name!r} as {household.device!r}")
    _say(RESTART)
    return 0


async def _status(settings: Settings, _args: argparse.Namespace) -> int:
    from ..household.bus import connect_bus

    if not settings.household.enabled:
        raise ConfigError("this device is not in a household (sam-edge household join TOKEN)")
    bus = await connect_bus(settings.household)
    try:
        devices = await bus.devices(60.0)
    finally:
        await bus.aclose()
    print(f"household {settings.household.name}: {len(devices)} device(s) seen in the last "
          "minute")
    for name, entry in sorted(devices.items()):
        print(f"  {name}: {entry.get('playing') or 'not playing'}")
    return 0


async def _leave(settings: Settings, args: argparse.Namespace) -> int:
    from ..accounts.secrets import Cipher
    from ..db.engine import make_engine, migrate
    from ..household.database import KEY_FILE, household_cipher, make_household_engine
    from ..household.joining import write_section
    from ..household.transfer import copy_shared

    household = settings.household
    if not household.enabled:
        raise ConfigError("this device is not in a household")
    from ..household.database import check_database

    await check_database(household.database_url)
    await asyncio.to_thread(migrate, settings.database_path)
    shared = make_household_engine(household.database_url)
    local = make_engine(settings.database_path)
    try:
        await copy_shared(shared, household_cipher(settings.data.dir), local,
                          Cipher.from_data_dir(settings.data.dir), replace=True)
    finally:
        await local.dispose()
        await shared.dispose()
    write_section(config_path(args.config, os.environ), None)
    (settings.data.dir / KEY_FILE).unlink(missing_ok=True)
    _say(f"this device left household {household.name!r}; it keeps a copy of the accounts, "
         "library and search cache")
    _say(RESTART)
    return 0


ACTIONS = {"create": _create, "join": _join, "status": _status, "leave": _leave}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    household = sub.add_parser("household", help="share accounts, library and cache with the "
                               "other devices of the home (PostgreSQL and Redis)")
    actions = household.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make this device the first of a household")
    create.add_argument("--database-url", required=True, metavar="postgresql://user@host:port/db")
    create.add_argument("--redis-url", required=True, metavar="redis://host:port/n")
    create.add_argument("--name", required=True, help="the household's name")
    create.add_argument("--device", default="", help="this device's room (default: the name of "
                        "the household's first device, 'main')")
    create.set_defaults(name_device="main")
    join = actions.add_parser("join", help="join a household with the token create printed")
    join.add_argument("token")
    join.add_argument("--name", dest="device", required=True, help="this device's room")
    actions.add_parser("status", help="the devices seen in the last minute and what they play")
    actions.add_parser("leave", help="stand alone again, with a copy of the shared data")


def cmd_household(settings: Settings, args: argparse.Namespace) -> int:
    try:
        return asyncio.run(ACTIONS[args.action](settings, args))
    except SamError as exc:
        _say(exc.message)
        return 1
