"""Memory and start-up of a real ``sam-edge run`` (no keys, the simulated mode).

Prints the cold start to the first ``/health`` 200 (against starting a bare Python
interpreter, the baseline), the idle RSS after start-up, the CPU it uses while idle (no
microphone, nothing playing) and the peak RSS after text turns and talk-button turns (against
the RSS of a bare interpreter).

    .venv/bin/python bench/memory.py [--turns 100] [--starts 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SAM = str(Path(sys.executable).with_name("sam-edge"))
TEXTS = ["pause", "set the volume to 40", "what's playing", "shuffle on", "play Hello by Adele"]


def status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAM_")}
    env |= {"SAM_DATA_DIR": str(data), "SAM_HTTP_PORT": str(port), "SAM_LOG_LEVEL": "WARNING",
            "SAM_MUSIC_DIR": str(data / "music"), "SAM_CONFIG": str(data / "absent.toml")}
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([SAM, "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.perf_counter() - t0 > 60:
            raise RuntimeError("sam-edge run did not start")
        time.sleep(0.005)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=15)


def idle_cpu(pid: int, seconds: float) -> tuple[float, int]:
    """CPU seconds (user + system) the process used while nothing happened, and its threads."""
    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before = used()
    time.sleep(seconds)
    threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
    return used() - before, threads


def bare_python() -> tuple[float, int]:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    took = time.perf_counter() - t0
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    time.sleep(0.5)
    rss = status(proc.pid, "VmRSS")
    proc.kill()
    proc.wait()
    return took, rss


def bytecode_state() -> str:
    """Whether the project's modules are compiled (``install.sh`` does it), as a device has them."""
    import importlib.util

    import sam_edge

    sources = list(Path(sam_edge.__file__).parent.rglob("*.py"))
    stale = [p for p in sources
             if not Path(importlib.util.cache_from_source(str(p))).exists()]
    if not stale:
        return "compiled"
    return f"{len(stale)} of {len(sources)} modules not compiled: run ./install.sh"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--idle-s", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "music").mkdir()
        starts = []
        for _ in range(args.starts):  # the first start creates the database
            proc, _, took = start(data)
            starts.append(took)
            stop(proc)
        proc, base, _ = start(data)
        time.sleep(2.0)
        idle = status(proc.pid, "VmRSS")
        cpu_s, threads = idle_cpu(proc.pid, args.idle_s)
        with httpx.Client(base_url=base, timeout=30) as client:
            for i in range(args.turns):
                client.post("/v1/chat/message", json={"text": TEXTS[i % len(TEXTS)]})
            for _ in range(3):
                client.post("/v1/listen")
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    if client.get("/v1/state").json()["state"] == "idle":
                        break
                    time.sleep(0.2)
                time.sleep(2.5)
        peak = status(proc.pid, "VmHWM")
        stop(proc)
    base_start, base_rss = bare_python()
    warm = statistics.median(starts[1:]) if len(starts) > 1 else starts[0]
    print(f"sam-edge run (simulated mode, no keys; bytecode {bytecode_state()})")
    print(f"  cold start to /health 200   first {starts[0] * 1000:6.0f} ms   "
          f"median later {warm * 1000:6.0f} ms   bare python {base_start * 1000:5.0f} ms "
          f"({warm / base_start:4.1f}x)")
    print(f"  RSS idle {idle / 1024:6.1f} MiB   peak {peak / 1024:6.1f} MiB   "
          f"bare python {base_rss / 1024:5.1f} MiB ({idle / base_rss:4.1f}x idle)")
    print(f"  idle CPU {cpu_s:.2f} s in {args.idle_s:.0f} s = {100 * cpu_s / args.idle_s:.2f} % "
          f"of a core, {threads} threads")


if __name__ == "__main__":
    main()
