"""Voice turns against fakes with fixed latencies: what the user waits.

The fakes sleep a fixed time per call (speech-to-text 300 ms, LLM 150 ms, ElevenLabs first
chunk 100 ms, Spotify 80 ms). Two parts:

* **Microphone turns** (:mod:`bench.voice_live`): command WAVs played into the listening loop
  at their real pace; the wait is measured from the true end of speech in the recording to the
  platform call done at the fake Spotify and to the first reply audio byte, with speculative
  speech-to-text at the 250 ms provisional end and, in the same run, without it (speech-to-text
  after the full 600 ms of trailing silence). The baseline is the critical path's calls timed
  straight against the fakes in the same run (speech-to-text, then the platform call; for the
  first audio also the LLM when used, every Spotify call on the way and the first TTS chunk).
  Target for "pause": at most 750 ms p50 from the end of speech to the pause at the platform.
* **Uploads**: a whole utterance to the first reply audio byte; SAM's own overhead is the time
  minus the injected latencies of the calls it made. Also the share of replies served by the
  phrase cache, and that a grammar command ("pause") made no LLM call.

    .venv/bin/python bench/voice_turn.py [--rounds 12] [--live-rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.voice_live import Call, Wait, live_turn, stamped  # noqa: E402
from sam_edge.accounts.tokens import TokenSet  # noqa: E402
from sam_edge.app.runtime import Runtime, build_runtime  # noqa: E402
from sam_edge.audio.format import Clip  # noqa: E402
from sam_edge.audio.playback import MemorySink  # noqa: E402
from sam_edge.audio.sources import read_wav_pcm  # noqa: E402
from sam_edge.events import Event, EventType  # noqa: E402
from sam_edge.settings import load_settings  # noqa: E402
from tests.fakes.elevenlabs import FakeElevenLabs  # noqa: E402
from tests.fakes.groq import FakeGroq  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.spotify import CLIENT_ID, FakeSpotify  # noqa: E402

DATA = ROOT / "tests" / "data"
STT_S, LLM_S, TTS_S, SPOTIFY_S = 0.300, 0.150, 0.100, 0.080
TARGET_PAUSE_MS = 750.0
LLM_PLAY = json.dumps({"action": "PLAY", "parameters": {"query": "Yellow", "artist": "Coldplay"},
                       "response_text": "Playing Yellow."})
# (what was said, the WAV standing in for it, whether the grammar handles it)
TURNS = [
    ("pause", "pause.wav", True),
    ("play Hello by Adele", "play_hello_by_adele.wav", True),
    ("I'm in the mood for that Coldplay song Yellow", "play_hello_by_adele.wav", False),
    ("what's playing", "pause.wav", True),
    ("set the volume to {n}", "pause.wav", True),  # a new reply every round: not cached
]
# (what was said, the WAV, the platform call that carries it out)
LIVE = [("pause", "pause.wav", "/me/player/pause"),
        ("play Hello by Adele", "play_hello_by_adele.wav", "/me/player/play")]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(rounds: int, live_rounds: int, detail: bool = False) -> None:
    groq, eleven, spotify = FakeGroq(), FakeElevenLabs(), FakeSpotify.with_demo_catalog()
    groq.path_latency_s = {"transcriptions": STT_S, "completions": LLM_S}
    groq.reply_with(LLM_PLAY, always=True)
    eleven.first_chunk_latency_s = TTS_S
    spotify.latency_s = SPOTIFY_S
    calls: list[Call] = []
    with tempfile.TemporaryDirectory() as tmp, serve(groq.app) as g, serve(eleven.app) as e, \
            serve(stamped(spotify.app, calls)) as s:
        data = Path(tmp)
        (data / "music").mkdir()
        settings = load_settings(data / "absent.toml", {
            "SAM_DATA_DIR": str(data / "d"), "SAM_MUSIC_DIR": str(data / "music"),
            "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
            "SAM_GROQ_API_KEY": "gsk_test_key", "SAM_GROQ_BASE_URL": g,
            "SAM_ELEVENLABS_API_KEY": "xi_test_key", "SAM_ELEVENLABS_BASE_URL": e,
            "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID, "SAM_SPOTIFY_API_URL": f"{s}/v1",
            "SAM_SPOTIFY_ACCOUNTS_URL": s, "SAM_LOG_LEVEL": "WARNING"})
        rt = await build_runtime(settings, sink=MemorySink())
        issued = spotify.issue_tokens()
        await rt.tokens.save("spotify", TokenSet(issued["access_token"], issued["refresh_token"],
                                                 time.time() + 3600, issued["scope"]))
        clips = {wav: Clip(read_wav_pcm(DATA / wav)) for _, wav, _ in TURNS}
        overhead, counts = await uploads(rt, groq, eleven, spotify, clips, rounds, detail)
        waits = {(text, p): [] for text, _, _ in LIVE for p in (250, 0)}
        for round_no in range(live_rounds + 1):
            for text, wav, path in LIVE:
                for provisional in (250, 0):
                    groq.transcribe_with(text, always=True)
                    wait = await live_turn(rt, DATA / wav, path, calls,
                                           provisional_ms=provisional)
                    if round_no:  # the first round is a warm-up
                        waits[(text, provisional)].append(wait)
        await rt.aclose()
        direct = direct_costs(g, e, s, issued["access_token"], clips["pause.wav"])
    extra = {k: v - latency for (k, v), latency in
             zip(direct.items(), (STT_S, LLM_S, TTS_S, SPOTIFY_S), strict=True)}
    adjusted = [o - 1000 * sum(n * extra[k] for n, k in zip(c, extra, strict=True))
                for o, c in zip(overhead, counts, strict=True)]
    print("  the fakes' own time per call, above the injected latency (direct httpx): "
          + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in extra.items()))
    print(f"  SAM overhead without it p50 {statistics.median(adjusted):7.2f} ms   "
          f"p95 {pct(adjusted, .95):7.2f} ms")
    report_live(waits, direct)


async def uploads(rt: Runtime, groq: FakeGroq, eleven: FakeElevenLabs, spotify: FakeSpotify,
                  clips: dict[str, Clip], rounds: int, detail: bool
                  ) -> tuple[list[float], list[tuple[int, int, int, int]]]:
    """Upload turns; SAM's overhead per turn and the calls (stt, llm, tts, spotify) it made."""
    firsts: list[Event] = []
    rt.bus.subscribe(lambda ev: firsts.append(ev) if ev.type is EventType.REPLY_AUDIO else None)
    overhead: list[float] = []
    measured: list[float] = []
    sources: list[str] = []
    counts: list[tuple[int, int, int, int]] = []
    grammar_llm_calls = 0
    for round_no in range(rounds + 1):
        for text, wav, grammar in TURNS:
            marks = len(groq.requests), len(eleven.requests), len(spotify.requests)
            groq.transcribe_with(text.format(n=30 + round_no))
            firsts.clear()
            t0 = time.monotonic()
            result = await rt.runner.voice(clips[wav], play=True)
            assert result.turn.status == "ok", result.turn.to_dict()
            assert firsts, "no reply audio"
            new_groq = groq.requests[marks[0]:]
            stt = sum(r.path.endswith("transcriptions") for r in new_groq)
            llm = sum(r.path.endswith("completions") for r in new_groq)
            tts = len(eleven.requests) - marks[1]
            spot = len(spotify.requests) - marks[2]
            if grammar:
                grammar_llm_calls += llm
            if round_no == 0:
                continue  # warm-up: fills the search and phrase caches
            base = stt * STT_S + llm * LLM_S + tts * TTS_S + spot * SPOTIFY_S
            took = firsts[0].timestamp - t0
            measured.append(took * 1000)
            overhead.append((took - base) * 1000)
            sources.append(result.reply_source)
            counts.append((stt, llm, tts, spot))
            if detail:
                print(f"    {text[:24]:24} {(took - base) * 1000:6.1f} ms  "
                      f"{result.turn.timings_ms}")
    print(f"uploads: whole utterance -> first reply audio ({len(measured)} turns, "
          f"STT {STT_S * 1000:.0f} ms, LLM {LLM_S * 1000:.0f} ms, "
          f"TTS first chunk {TTS_S * 1000:.0f} ms, Spotify {SPOTIFY_S * 1000:.0f} ms per call)")
    print(f"  measured                p50 {statistics.median(measured):7.1f} ms   "
          f"p95 {pct(measured, .95):7.1f} ms")
    print(f"  SAM overhead (measured - injected latencies of its calls)  "
          f"p50 {statistics.median(overhead):7.2f} ms   p95 {pct(overhead, .95):7.2f} ms")
    base_p50 = statistics.median(m - o for m, o in zip(measured, overhead, strict=True))
    print(f"  measured / baseline     p50 {statistics.median(measured) / base_p50:7.3f}x")
    print(f"  replies from the phrase cache {sources.count('cache') / len(sources):6.1%}")
    print(f"  LLM calls made by grammar commands: {grammar_llm_calls}")
    return overhead, counts


def report_live(waits: dict[tuple[str, int], list[Wait]], direct: dict[str, float]) -> None:
    print("microphone turns: true end of speech -> platform call done / first reply audio")
    print("  calls timed straight against the fakes (baseline parts): "
          + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in direct.items()))
    for (text, provisional), got in waits.items():
        mode = ("speculative at 250 ms" if provisional
                else "no speculation (600 ms)")
        platform = [w.to_platform_ms for w in got]
        audio = [w.to_audio_ms for w in got]
        base_platform = (direct["stt"] + direct["spotify"]) * 1000
        llm = 0.0 if text.startswith(("pause", "play")) else direct["llm"]
        base_audio = statistics.median(
            (direct["stt"] + llm + w.platform_calls * direct["spotify"] + direct["tts"]) * 1000
            for w in got)
        reasons = sorted({w.listen_reason for w in got})
        p50, a50 = statistics.median(platform), statistics.median(audio)
        print(f"  {text!r:24} {mode:24} to platform p50 {p50:6.0f} ms "
              f"p95 {pct(platform, .95):6.0f} ms ({p50 / base_platform:4.2f}x"
              f" of {base_platform:.0f} ms; {p50 / ((STT_S + SPOTIFY_S) * 1000):4.2f}x"
              f" injected)   to first audio p50 {a50:6.0f} ms"
              f" p95 {pct(audio, .95):6.0f} ms ({a50 / base_audio:4.2f}x of {base_audio:.0f} ms)"
              f"   listen ended by {','.join(reasons)}")
    print(f"  (the injected latencies alone: speech-to-text + platform call "
          f"{(STT_S + SPOTIFY_S) * 1000:.0f} ms)")
    pause = statistics.median(w.to_platform_ms for w in waits[("pause", 250)])
    verdict = "meets" if pause <= TARGET_PAUSE_MS else "MISSES"
    print(f"  'pause', end of speech -> platform p50 {pause:.0f} ms: {verdict} the "
          f"{TARGET_PAUSE_MS:.0f} ms target")


def direct_costs(groq_url: str, xi_url: str, spotify_url: str, token: str,
                 clip: Clip) -> dict[str, float]:
    """Median time of one call straight to each fake (injected latency and the fake's cost)."""
    import httpx

    wav = clip.to_wav()
    calls = {
        "stt": lambda c: c.post(
            f"{groq_url}/openai/v1/audio/transcriptions", files={"file": ("speech.wav", wav)},
            data={"model": "whisper-large-v3", "response_format": "verbose_json"},
            headers={"Authorization": "Bearer gsk_test_key"}),
        "llm": lambda c: c.post(
            f"{groq_url}/openai/v1/chat/completions",
            headers={"Authorization": "Bearer gsk_test_key"},
            json={"model": "openai/gpt-oss-20b", "response_format": {"type": "json_object"},
                  "messages": [{"role": "user", "content": "json please: play Yellow"}]}),
        "tts": lambda c: _first_chunk(c, f"{xi_url}/v1/text-to-speech/v/stream"),
        "spotify": lambda c: c.put(f"{spotify_url}/v1/me/player/pause",
                                   headers={"Authorization": f"Bearer {token}"}),
    }
    out: dict[str, float] = {}
    with httpx.Client(timeout=10) as client:
        for name, call in calls.items():
            times = []
            for _ in range(10):
                t0 = time.perf_counter()
                call(client)
                times.append(time.perf_counter() - t0)
            out[name] = statistics.median(times)
    return out


def _first_chunk(client: object, url: str) -> None:
    import httpx

    assert isinstance(client, httpx.Client)
    with client.stream("POST", url, params={"output_format": "pcm_16000"},
                       headers={"xi-api-key": "xi_test_key"},
                       json={"text": "Volume 40.", "model_id": "eleven_flash_v2_5"}) as response:
        next(response.iter_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--live-rounds", type=int, default=8)
    parser.add_argument("--detail", action="store_true", help="print every upload turn")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.live_rounds, args.detail))


if __name__ == "__main__":
    main()
