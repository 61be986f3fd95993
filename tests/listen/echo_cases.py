"""Runs corpus recordings through the live front end, as ``sam-edge listen`` does."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sam_edge.listen.endpoint import EndpointConfig
from sam_edge.listen.replay import Played, ReplayResult, listen_config, replay
from tests.echo_corpus import PLAYER_RATE, Recording

START_TOLERANCE_MS = 300
END_TOLERANCE_MS = 400


def run(rec: Recording, *, cancel: bool = True, suppress: bool = True) -> ReplayResult:
    played = Played(rec.reference_bytes(), PLAYER_RATE, 2) if cancel else None
    config = listen_config(EndpointConfig(), vad_mode=2, mic_ms=len(rec.mic) * 1000 // 16000)
    if not suppress:
        config = replace(config, suppress=None)
    return replay(rec.mic_bytes(), played, config)


@dataclass(frozen=True)
class Outcome:
    name: str
    found: bool
    start_ms: int | None
    end_ms: int | None
    true_start_ms: int | None
    true_end_ms: int | None
    erle_db: float | None

    def line(self) -> str:
        mark = "ok  " if self.found else "MISS"
        return (f"{mark} {self.name}: found {self.start_ms}-{self.end_ms} ms, "
                f"truth {self.true_start_ms}-{self.true_end_ms} ms, ERLE {self.erle_db} dB")


def judge(rec: Recording, heard: ReplayResult) -> Outcome:
    r = heard.result
    found = (r.kind == "speech" and rec.speech_start_ms is not None
             and rec.speech_end_ms is not None and r.speech_start_ms is not None
             and r.speech_end_ms is not None
             and abs(r.speech_start_ms - rec.speech_start_ms) <= START_TOLERANCE_MS
             and abs(r.speech_end_ms - rec.speech_end_ms) <= END_TOLERANCE_MS)
    return Outcome(rec.name, found, r.speech_start_ms, r.speech_end_ms, rec.speech_start_ms,
                   rec.speech_end_ms, heard.erle_db)
