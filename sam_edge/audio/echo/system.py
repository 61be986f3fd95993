"""Which echo canceller runs: SAM's own, PipeWire's echo-cancel module, or none.

``[audio] echo_cancel`` chooses. With ``auto``, SAM's canceller runs unless PipeWire's
``libpipewire-module-echo-cancel`` is loaded: its nodes are named ``echo-cancel-*`` by default
(``echo-cancel-source`` is the cancelled microphone). Two cancellers in a row would each
adapt to the other's output, so only one runs. PipeWire is asked with ``pw-cli ls Node``;
where only the PulseAudio tools are there, ``pactl list short sources``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import Literal

log = logging.getLogger(__name__)

EchoCancelSetting = Literal["auto", "on", "off"]
EchoCancelChoice = Literal["sam", "system", "off"]
Runner = Callable[[Sequence[str]], str | None]
MARKER = "echo-cancel"
PROBES = (("pw-cli", "ls", "Node"), ("pactl", "list", "short", "sources"))


def _run(cmd: Sequence[str]) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=3,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("%s did not answer: %s", cmd[0], exc)
        return None
    return done.stdout if done.returncode == 0 else None


def system_echo_cancel(run: Runner = _run) -> bool:
    """Whether PipeWire's echo-cancel module has nodes (the first tool that answers decides)."""
    for probe in PROBES:
        out = run(probe)
        if out is not None:
            return MARKER in out
    return False


def choose(setting: EchoCancelSetting, *, run: Runner = _run) -> EchoCancelChoice:
    if setting == "off":
        return "off"
    if setting == "on":
        return "sam"
    return "system" if system_echo_cancel(run) else "sam"
