"""Whether SAM owns the output path, and the parts that make it: the output stage, its sink,
the PCM socket for librespot, and mpv's PCM pipe into it.

``[audio] echo_cancel`` chooses: ``on`` always (a paced null sink stands in for a missing sound
card), ``auto`` on a machine with a sound card where PipeWire's echo-cancel module does not
already cancel, ``off`` never (mpv and replies play to the card themselves, as before). The
stage and numpy are loaded only when it is used.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..audio.capture import has_sound_card
from ..audio.echo.system import choose
from ..settings import Settings
from .core import Core, build_core

if TYPE_CHECKING:
    from ..audio.output.socket_in import PcmSocketServer
    from ..audio.output.speaker import StageSpeaker
    from ..audio.output.stage import OutputStage
    from ..audio.output.tap import ReferenceTap

log = logging.getLogger(__name__)

T = TypeVar("T")
SERVICE_RUN_DIR = Path("/run/sam-edge")
MUSIC = "music"
MUSIC_BUFFER_MS = 50


def owns_output(settings: Settings) -> bool:
    setting = settings.audio.echo_cancel
    if setting == "off" or (settings.audio.output == "none" and setting == "auto"):
        return False
    if setting == "on":
        return True
    return has_sound_card() and choose("auto") == "sam"


def pcm_socket_path(settings: Settings) -> Path:
    if settings.audio.pcm_socket:
        return Path(settings.audio.pcm_socket).expanduser()
    if SERVICE_RUN_DIR.is_dir():
        return SERVICE_RUN_DIR / "pcm.sock"
    return settings.data.dir / "run" / "pcm.sock"


@dataclass
class OwnedOutput:
    stage: OutputStage
    server: PcmSocketServer | None
    reply_sink: StageSpeaker
    earcon_sink: StageSpeaker

    @property
    def reference(self) -> ReferenceTap:
        return self.stage.tap

    def take_music(self, fd: int) -> None:
        """A new mpv's PCM pipe (mpv started or restarted)."""
        from ..audio.output.inputs import FdInput

        # 50 ms: mpv, woken late on a busy machine, still never leaves a gap (20 ms did).
        buffer = self.stage.rate * MUSIC_BUFFER_MS // 1000
        self.stage.attach(FdInput(MUSIC, fd, self.stage.converter(48_000, 2),
                                  buffer_frames=buffer))

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self.stage.close()


def build_output(settings: Settings, simulated: list[str]) -> OwnedOutput | None:
    """The running output stage when SAM owns the output path, else ``None``."""
    if not owns_output(settings):
        return None
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # before run/ in it
    from ..audio.output.sinks import AplayCardSink, PacedNullSink, PcmSink
    from ..audio.output.socket_in import PcmSocketServer
    from ..audio.output.speaker import StageSpeaker
    from ..audio.output.stage import OutputStage

    sink: PcmSink
    if has_sound_card() and shutil.which("aplay"):
        sink = AplayCardSink(settings.audio.output_device)
    else:
        sink = PacedNullSink()
        simulated.append("output stage (no sound card or aplay: a paced null sink)")
    stage = OutputStage(sink)
    server: PcmSocketServer | None = None
    try:
        server = PcmSocketServer(stage, pcm_socket_path(settings))
        server.start()
    except OSError as exc:  # librespot cannot join; mpv and replies still play
        log.warning("no PCM socket for other players: %s", exc)
        server = None
    stage.start()
    return OwnedOutput(stage, server, StageSpeaker(stage, "reply"),
                       StageSpeaker(stage, "earcon"))


async def closed_on_failure(output: OwnedOutput | None, step: Awaitable[T]) -> T:
    """``step``'s result; when it fails, the stage's thread and socket do not outlive it."""
    try:
        return await step
    except BaseException:
        if output is not None:
            output.close()
        raise


async def build_core_and_output(settings: Settings,
                                **parts: Any) -> tuple[Core, OwnedOutput | None]:
    """The core (``parts`` as for :func:`~.core.build_core`) with mpv writing into the output
    stage when SAM owns the output path."""
    output = build_output(settings, owned := list[str]())
    core = await closed_on_failure(output, build_core(
        settings, pcm_out=output.take_music if output is not None else None, **parts))
    core.simulated.extend(owned)
    return core, output
