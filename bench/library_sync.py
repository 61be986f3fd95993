"""A full library sync of 10,000 liked tracks and 50 playlists against the fake Spotify, with a
fixed latency per request, then a sync after one new like, then finding library songs locally.

Prints the median over ``--runs`` (each into a fresh data dir) of: the sync's wall time, the
requests it made, the floor they set (requests × latency ÷ the most in flight at once, measured
at the fake) and total ÷ floor, the mean requests in flight; the time inside the fake and SAM's
own time; the one-new-like sync itself, the whole command, and with the process start; the peak
RSS of the syncing process (a separate ``python`` running the ``sam-edge sync`` code); and
``LibraryResolver.find`` p50/p95 against a plain dict lookup (the baseline).

    .venv/bin/python bench/library_sync.py [--liked 10000] [--playlists 50] [--latency-ms 50]
                                           [--lookups 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.asgi_meter import Meter  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def proc_status(field: str) -> int:
    """A ``/proc/self/status`` figure in KiB (``VmRSS``, ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def sync_env(data: Path, url: str, client_id: str) -> dict[str, str]:
    return {"SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "music"),
            "SAM_CONFIG": str(data / "absent.toml"), "SAM_LOG_LEVEL": "WARNING",
            "SAM_SPOTIFY_CLIENT_ID": client_id, "SAM_SPOTIFY_API_URL": f"{url}/v1",
            "SAM_SPOTIFY_ACCOUNTS_URL": url, "SAM_SPOTIFY_TIMEOUT_S": "30"}


# ---- the syncing process ----------------------------------------------------------------------


def child() -> None:
    """Run what ``sam-edge sync`` runs in this process; print its summary line, then one JSON
    line of figures: the whole command (``seconds``), opening the database and the adapters
    (``setup``) and the sync itself (``sync``)."""
    import logging

    # What the sync imports, loaded before the "before" figure so the peak is the sync's work.
    from sam_edge.app.core import build_core
    from sam_edge.app.library_sources import library_sources
    from sam_edge.settings import load_settings
    from sam_edge.sync.service import LibrarySyncService

    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    before_rss, before_hwm = proc_status("VmRSS"), proc_status("VmHWM")
    times: dict[str, float] = {}

    async def run() -> bool:
        t0 = time.perf_counter()
        core = await build_core(settings)
        try:
            service = LibrarySyncService(core.sessions, library_sources(core.platforms),
                                         data_dir=settings.data.dir)
            t1, cpu = time.perf_counter(), time.process_time()
            summaries = await service.sync("spotify")
            times["sync"] = time.perf_counter() - t1
            times["cpu"] = time.process_time() - cpu
            times["setup"] = t1 - t0
        finally:
            await core.aclose()
        for summary in summaries:
            print(summary.line(), flush=True)
        return all(summary.ok for summary in summaries)

    t0 = time.perf_counter()
    ok = asyncio.run(run())
    seconds = time.perf_counter() - t0
    print(json.dumps({"code": 0 if ok else 1, "seconds": seconds, **times,
                      "before_rss": before_rss, "before_hwm": before_hwm,
                      "peak": proc_status("VmHWM")}), flush=True)


# ---- the benchmark ----------------------------------------------------------------------------


async def pair_data_dir(database: Path, data: Path, fake: Any) -> None:
    """A migrated database in ``data`` signed in to ``fake``, as ``sam-edge pair`` leaves it."""
    from sam_edge.accounts.secrets import Cipher
    from sam_edge.accounts.store import DbTokenStore
    from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
    from tests.sync.conftest import pair

    data.mkdir(parents=True, exist_ok=True)
    migrate(database)
    engine = make_engine(database)
    tokens = DbTokenStore.in_data_dir(make_sessionmaker(engine), Cipher.from_data_dir(data), data)
    await pair(tokens, fake)
    await engine.dispose()


async def lookups(database: Path, data: Path, titles: list[tuple[str, str]],
                  ) -> dict[str, Any]:
    """Time ``LibraryResolver.find`` for each (title, uri) and a dict lookup for the same."""
    from sam_edge.cache.library import LibraryResolver
    from sam_edge.cache.normalize import normalize_query
    from sam_edge.db.engine import make_engine, make_sessionmaker

    engine = make_engine(database)
    resolver = LibraryResolver.in_data_dir(make_sessionmaker(engine), data)
    t0 = time.perf_counter()
    await resolver.find("warm up the index")
    load_ms = (time.perf_counter() - t0) * 1000
    found = 0
    find_ms: list[float] = []
    for title, uri in titles:
        t0 = time.perf_counter()
        track = await resolver.find(title)
        find_ms.append((time.perf_counter() - t0) * 1000)
        found += track is not None and track.uri == uri
    await engine.dispose()
    plain = dict(titles)
    normalized = {normalize_query(title): uri for title, uri in titles}
    dict_ms: list[float] = []
    norm_ms: list[float] = []
    for title, uri in titles:
        t0 = time.perf_counter()
        hit = plain[title]
        dict_ms.append((time.perf_counter() - t0) * 1000)
        assert hit == uri
        t0 = time.perf_counter()
        normalized[normalize_query(title)]
        norm_ms.append((time.perf_counter() - t0) * 1000)
    return {"load_ms": load_ms, "find": find_ms, "dict": dict_ms, "norm": norm_ms,
            "found": found}


def run_child(env: dict[str, str]) -> tuple[str, dict[str, Any], float]:
    """One syncing process: its summary line, its figures and its wall time (start included)."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child"], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or len(lines) < 2 or json.loads(lines[-1])["code"] != 0:
        sys.exit(f"the sync process failed:\n{done.stdout}{done.stderr}")
    return lines[-2], json.loads(lines[-1]), wall


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    """A full sync into a fresh data dir, then a sync after one new like."""
    from sam_edge.settings import load_settings
    from tests.fakes.server import serve
    from tests.fakes.spotify import CLIENT_ID
    from tests.sync.test_sync_at_scale import big_library

    fake = big_library(args.liked, args.playlists)
    meter = Meter(fake.app)
    with tempfile.TemporaryDirectory() as tmp, serve(meter) as url:
        data = Path(tmp) / "data"
        chosen = sync_env(data, url, CLIENT_ID)
        database = load_settings(None, chosen).database_path
        asyncio.run(pair_data_dir(database, data, fake))
        fake.latency_s = args.latency_ms / 1000
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("SAM_")}, **chosen}
        meter.reset()
        line, full, _ = run_child(env)
        figures = {"line": line, "full": full, "requests": len(fake.requests),
                   "peak": meter.peak, "inside_s": meter.inside_s,
                   "per_request_s": meter.request_s / max(1, len(fake.requests)),
                   "fake_cpu_s": meter.cpu_s,
                   "mean_in_flight": meter.flight_s / meter.inside_s if meter.inside_s else 0.0}
        fake.add_liked(fake.tracks[-1], added_at="2026-06-01T00:00:00Z")
        before = len(fake.requests)
        line, again, wall = run_child(env)
        figures.update(new_like_line=line, new_like=again, new_like_wall=wall,
                       new_like_requests=len(fake.requests) - before)
        fake.latency_s = 0.0
        rng = random.Random(1)
        sample = [(t.name, t.uri) for t in rng.sample(fake.tracks, min(args.lookups,
                                                                       len(fake.tracks)))]
        figures["lookups"] = asyncio.run(lookups(database, data, sample))
        figures["items"] = sum(len(p.tracks) for p in fake.playlists)
        figures["tracks"] = len(fake.tracks)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--liked", type=int, default=10_000)
    parser.add_argument("--playlists", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    from sam_edge.platforms.spotify.library import CONCURRENCY

    runs = [one_run(args) for _ in range(max(1, args.runs))]
    latency_s = args.latency_ms / 1000
    for r in runs:
        r["floor"] = r["requests"] * latency_s / r["peak"]
        r["total"] = float(r["full"]["sync"])
        r["like_floor"] = r["new_like_requests"] * latency_s
    last = runs[-1]
    med = statistics.median
    total, floor = med(r["total"] for r in runs), med(r["floor"] for r in runs)
    requests, peak = last["requests"], last["peak"]
    own = med(r["total"] - r["inside_s"] for r in runs)
    like = med(float(r["new_like"]["sync"]) for r in runs)
    like_floor = med(r["like_floor"] for r in runs)
    print(f"library sync ({args.liked} liked, {args.playlists} playlists with {last['items']} "
          f"items, {args.latency_ms:g} ms per Spotify request; median of {len(runs)} runs)")
    print(f"  {last['line']}")
    each = ", ".join(f"{r['total']:.2f}" for r in runs)
    print(f"  full sync               {total:8.2f} s   (runs: {each})")
    mean = med(r["mean_in_flight"] for r in runs)
    print(f"  requests                {requests:8d}     (at most {peak} in flight, limit "
          f"{CONCURRENCY}; mean in flight while any was {mean:.1f})")
    print(f"  floor                   {floor:8.2f} s   (requests x latency / {peak})")
    print(f"  total / floor           {med(r['total'] / r['floor'] for r in runs):8.3f}x")
    print(f"  inside the fake         {med(r['inside_s'] for r in runs):8.2f} s   SAM's own time "
          f"{own:.2f} s ({own / requests * 1000:.1f} ms per request)")
    per = med(r["per_request_s"] for r in runs) * 1000
    print(f"  per request at the fake {per:8.1f} ms  ({args.latency_ms:g} ms latency + "
          f"{per - args.latency_ms:.1f} ms the fake's own work and waiting for the CPU)")
    print(f"  CPU during the sync     SAM {med(float(r['full']['cpu']) for r in runs):.2f} s "
          f"(every thread of the sync process), the fake "
          f"{med(r['fake_cpu_s'] for r in runs):.2f} s (its server thread)")
    print(f"  setup (database, adapters) {med(float(r['full']['setup']) for r in runs):5.2f} s"
          f"   the whole command {med(float(r['full']['seconds']) for r in runs):.2f} s")
    print(f"  one new like, the sync  {like:8.2f} s   ({last['new_like_requests']} requests, "
          f"floor {like_floor:.2f} s, sync / floor {like / like_floor:.2f}x; "
          f"{last['new_like_line'].strip()})")
    print(f"  one new like, command   {med(float(r['new_like']['seconds']) for r in runs):8.2f} s"
          f"   (setup {med(float(r['new_like']['setup']) for r in runs):.2f} s); "
          f"with the process start {med(r['new_like_wall'] for r in runs):.2f} s")
    sync = last["full"]
    print(f"  sync process RSS        before {sync['before_rss'] / 1024:6.1f} MiB   "
          f"peak {sync['peak'] / 1024:6.1f} MiB   "
          f"(+{(sync['peak'] - sync['before_hwm']) / 1024:.1f} MiB during the sync, "
          f"peak / before {sync['peak'] / sync['before_rss']:.2f}x)")
    found = last["lookups"]
    find, plain, norm = found["find"], found["dict"], found["norm"]
    print(f"library lookup ({len(find)} titles, {last['tracks']} tracks in the library)")
    print(f"  index load (first find) {found['load_ms']:8.1f} ms")
    print(f"  LibraryResolver.find    p50 {pct(find, .5):7.3f} ms   p95 {pct(find, .95):7.3f} ms"
          f"   ({found['found']}/{len(find)} found the right track)")
    print(f"  dict lookup             p50 {pct(plain, .5):7.4f} ms   p95 {pct(plain, .95):7.4f} ms")
    print(f"  normalize + dict lookup p50 {pct(norm, .5):7.4f} ms   p95 {pct(norm, .95):7.4f} ms")
    print(f"  find / dict             {pct(find, .5) / pct(plain, .5):8.0f}x   "
          f"find / normalize + dict {pct(find, .5) / pct(norm, .5):.0f}x")


if __name__ == "__main__":
    main()
