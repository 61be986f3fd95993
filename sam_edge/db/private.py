"""The data dir and everything in it are the service user's alone, whatever the umask.

The database is created 0600 before SQLite opens it (SQLite gives its WAL and shared-memory
files the database's mode), the service runs with umask 077, and at every start a data dir or
cache dir that an older version, a copy or a hand-made ``mkdir`` left looser is tightened:
directories 0700, files 0600. ``doctor`` reports what is still loose.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..settings import Settings

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
LOOSE = stat.S_IRWXG | stat.S_IRWXO


def private_dirs(settings: Settings) -> list[Path]:
    """The data dir and the cache dirs (which may live elsewhere)."""
    return list(dict.fromkeys([settings.data.dir, settings.cache_dir,
                               settings.phrase_cache_dir]))


def private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def create_private_file(path: Path) -> None:
    """Make ``path`` (empty) with mode 0600 if it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.fchmod(fd, 0o600)  # the umask may have taken bits away, never added; be exact anyway
    os.close(fd)


def loose_paths(roots: Iterable[Path]) -> list[Path]:
    """Every directory or file under ``roots`` that others (group or world) may use."""
    found: list[Path] = []
    for root in roots:
        if not root.exists():
            continue
        for path in [root, *root.rglob("*")]:
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:
                continue
            if not stat.S_ISLNK(mode) and mode & LOOSE:
                found.append(path)
    return found


def tighten(roots: Iterable[Path], *, quiet: bool = False) -> list[Path]:
    """Directories to 0700 and files to 0600 under ``roots``; returns what was changed.
    ``quiet`` for files this process has just made (a library may not honour our modes)."""
    changed = []
    for path in loose_paths(roots):
        try:
            path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError as exc:
            log.warning("cannot make %s private: %s", path, exc.strerror)
            continue
        changed.append(path)
    if changed and not quiet:
        log.warning("made %d files and directories in the data dir private (others could read "
                    "them), e.g. %s", len(changed), changed[0])
    return changed
