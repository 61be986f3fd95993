"""What a cloud fault costs the user: each fault's time to answer (median of N) against the
turn's deadline, with the default budget (chat 5 s, voice 8 s), through the HTTP API with the
real groq SDK talking to the fake Groq server. The healthy turn, measured in the same run, is
the baseline.

    .venv/bin/python bench/faults.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sam_edge.app.runtime import build_runtime
from sam_edge.pipeline.deadline import Budget
from sam_edge.settings import load_settings
from sam_edge.web.app import create_app
from tests.fakes.groq import FakeGroq
from tests.fakes.server import serve
from tests.voice_world import DATA, voice_settings

LLM_TEXT = "I fancy something mellow from the sixties"
PORTAL = "<html><body>Sign in to the Wi-Fi</body></html>"

Inject = Callable[[FakeGroq], object]
CASES: list[tuple[str, str, Inject]] = [
    ("chat, healthy (baseline)", "chat", lambda f: None),
    ("chat, LLM hangs", "chat", lambda f: setattr(f, "hang", True)),
    ("chat, LLM captive portal", "chat", lambda f: [f.raw_next(200, PORTAL) for _ in "ab"]),
    ("chat, LLM 500 twice", "chat", lambda f: (f.fail_next(500), f.fail_next(500))),
    ("chat, LLM 429 for 60 s", "chat", lambda f: f.rate_limit_next(60)),
    ("voice, healthy (baseline)", "voice", lambda f: f.transcribe_with(LLM_TEXT)),
    ("voice, STT hangs", "voice", lambda f: setattr(f, "hang", True)),
    ("voice, STT captive portal", "voice", lambda f: [f.raw_next(200, PORTAL) for _ in "ab"]),
    ("voice, LLM hangs after STT", "voice",
     lambda f: (f.transcribe_with(LLM_TEXT), f.path_latency_s.update(completions=3600.0))),
]


async def one(client: httpx.AsyncClient, kind: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    if kind == "chat":
        response = await client.post("/v1/chat/message", json={"text": LLM_TEXT})
    else:
        wav = DATA / "pause.wav"
        response = await client.post("/v1/voice/process",
                                     files={"file": (wav.name, wav.read_bytes(), "audio/wav")})
    elapsed = time.perf_counter() - t0
    body = response.json()
    code = (body.get("error") or {}).get("code", "") or body.get("status", "")
    return elapsed, f"{response.status_code} {code}"


async def main(runs: int) -> None:
    fake = FakeGroq()
    budget = Budget()
    with serve(fake.app) as url, tempfile.TemporaryDirectory() as tmp:
        music = Path(tmp) / "music"
        music.mkdir()
        base = load_settings(Path(tmp) / "absent.toml", {"SAM_DATA_DIR": f"{tmp}/data"})
        rt = await build_runtime(voice_settings(base, music, url, None, SAM_GROQ_TIMEOUT_S="8"))
        transport = httpx.ASGITransport(app=create_app(rt.settings, rt))
        rows = []
        async with httpx.AsyncClient(transport=transport, base_url="http://sam",
                                     timeout=60) as client:
            for name, kind, inject in CASES:
                times, answers = [], set()
                for _ in range(runs):
                    fake.reset()
                    inject(fake)
                    elapsed, answer = await one(client, kind)
                    times.append(elapsed)
                    answers.add(answer)
                deadline = budget.chat_s if kind == "chat" else budget.voice_s
                rows.append((name, statistics.median(times), deadline, ", ".join(sorted(answers))))
        fake.reset()
        await rt.aclose()
    print(f"{'fault':32} {'median s':>9} {'deadline s':>10} {'ratio':>6}  answer")
    for name, median, deadline, answer in rows:
        print(f"{name:32} {median:9.2f} {deadline:10.1f} {median / deadline:6.2f}  {answer}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
