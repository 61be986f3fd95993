"""The line a PCM writer sends first, shared by the writer and the stage (kept light: the
writer starts on every play)."""

from __future__ import annotations

import json
from dataclasses import dataclass

SOCKET_BYTES = 4096
"""Socket buffers this small make a full socket block the writer within a few milliseconds."""


@dataclass(frozen=True, slots=True)
class StreamHeader:
    name: str
    rate: int
    channels: int

    def line(self) -> bytes:
        return (json.dumps({"name": self.name, "rate": self.rate,
                            "channels": self.channels}) + "\n").encode()

    @classmethod
    def parse(cls, line: bytes) -> StreamHeader:
        data = json.loads(line)
        name, rate, channels = str(data["name"]), int(data["rate"]), int(data["channels"])
        if not name or not 8000 <= rate <= 384_000 or not 1 <= channels <= 8:
            raise ValueError(f"unusable stream header {data!r}")
        return cls(name, rate, channels)
