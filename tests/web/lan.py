"""Another machine on the network, made on this one: a network namespace joined to the host by
a veth pair, so a client inside it reaches the service from a real address that is neither
loopback nor the device's own.

It needs root and ``ip`` (iproute2, which ``./install.sh --dev`` installs); :func:`lan` skips
with the reason otherwise. The addresses are documentation ones (198.51.100.0/24) on a link
that exists only between the two ends, and everything is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PREFIX = "198.51.100"
BLOCKS = 60
"""How many /30 links there is room for (one per concurrent run)."""


@dataclass(frozen=True)
class Lan:
    namespace: str
    device: str
    """The host's end of the link: the service listens here."""
    client: str
    """The other machine's address."""

    def wrap(self, program: str, folder: Path) -> Path:
        """A script that runs ``program`` inside the other machine (for Playwright's
        ``executable_path``; the pipes it talks through are inherited)."""
        script = folder / f"{Path(program).name}-on-{self.namespace}"
        script.write_text(f'#!/bin/sh\nexec {_ip()} netns exec {self.namespace} {program} "$@"\n')
        script.chmod(0o755)
        return script


def _ip() -> str:
    return shutil.which("ip") or "/usr/sbin/ip"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_ip(), *args], capture_output=True, text=True, timeout=20)


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "a client on another address needs root (a network namespace and a veth pair)"
    if not Path(_ip()).exists():
        return "ip is missing (apt-get install iproute2, or ./install.sh --dev)"
    return None


@contextmanager
def lan() -> Iterator[Lan]:
    """A link between this machine and a new network namespace, removed on exit."""
    reason = _unavailable()
    if reason is not None:
        pytest.skip(reason)
    tag = str(os.getpid())
    namespace, host_end, far_end = f"samlan-{tag}", f"slh{tag}", f"sln{tag}"
    made = _run("netns", "add", namespace)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {made.stderr.strip()}")
    try:
        found = _link(namespace, host_end, far_end, int(tag))
        if isinstance(found, str):
            pytest.skip(f"cannot join a network namespace to this machine: {found}")
        yield found
    finally:
        _run("link", "del", host_end)
        _run("netns", "del", namespace)


def _link(namespace: str, host_end: str, far_end: str, seed: int) -> Lan | str:
    made = _run("link", "add", host_end, "type", "veth", "peer", "name", far_end,
                "netns", namespace)
    if made.returncode != 0:
        return made.stderr.strip()
    shown = _run("-4", "-o", "addr", "show").stdout
    free = (4 * ((seed + n) % BLOCKS + 1) for n in range(BLOCKS))
    base = next((b for b in free if f"{PREFIX}.{b + 1}/" not in shown
                 and f"{PREFIX}.{b + 2}/" not in shown), None)
    if base is None:
        return f"every {PREFIX}.0/24 link is taken"
    device, client = f"{PREFIX}.{base + 1}", f"{PREFIX}.{base + 2}"
    steps = [("addr", "add", f"{device}/30", "dev", host_end),
             ("link", "set", host_end, "up"),
             ("-n", namespace, "addr", "add", f"{client}/30", "dev", far_end),
             ("-n", namespace, "link", "set", far_end, "up"),
             ("-n", namespace, "link", "set", "lo", "up")]
    for step in steps:
        done = _run(*step)
        if done.returncode != 0:
            return done.stderr.strip()
    return Lan(namespace, device, client)
