"""The join token and the ``[household]`` section of a device's config file.

The token is ``samhh1.`` and URL-safe base64 of a JSON object: the two server URLs, the
household's name and its key (the Fernet key the shared tokens are encrypted with). Whoever has
it can read the household's music accounts: it is a secret.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import ConfigError
from ..settings import HouseholdSettings

PREFIX = "samhh1."
_SECTION = re.compile(r"^\[household\][^\[]*", re.MULTILINE)


@dataclass(frozen=True)
class JoinToken:
    database_url: str
    redis_url: str
    name: str
    key: str

    def encode(self) -> str:
        body = json.dumps({"db": self.database_url, "redis": self.redis_url, "name": self.name,
                           "key": self.key}, separators=(",", ":"))
        return PREFIX + base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> JoinToken:
        bad = ConfigError("not a household join token (copy the whole line household create "
                          "printed)")
        token = token.strip()
        if not token.startswith(PREFIX):
            raise bad
        raw = token.removeprefix(PREFIX)
        try:
            body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            found = cls(str(body["db"]), str(body["redis"]), str(body["name"]), str(body["key"]))
            base64.urlsafe_b64decode(found.key)
        except (ValueError, KeyError, TypeError):
            raise bad from None
        validated(found.database_url, found.redis_url, found.name, "x")
        return found


def validated(database_url: str, redis_url: str, name: str, device: str) -> HouseholdSettings:
    try:
        return HouseholdSettings(database_url=database_url, redis_url=redis_url, name=name,
                                 device=device)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"household {first['loc'][0]}: {first['msg']}") from None


def write_section(config: Path, household: HouseholdSettings | None) -> None:
    """Replace (``None``: remove) the ``[household]`` table of ``config``, atomically."""
    current = config.read_text() if config.exists() else ""
    rest = _SECTION.sub("", current).rstrip()
    if household is not None:
        lines = ["[household]"] + [f"{key} = {json.dumps(getattr(household, key))}"
                                   for key in ("database_url", "redis_url", "name", "device")]
        rest = (rest + "\n\n" if rest else "") + "\n".join(lines)
    config.parent.mkdir(parents=True, exist_ok=True)
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(rest + "\n" if rest else "")
    os.replace(tmp, config)


def write_key(path: Path, key: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
