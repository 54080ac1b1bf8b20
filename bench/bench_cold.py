"""Benchmark: a cold `newsbot ask` (a new process each time) on the sample store, as a newcomer
types it, with where the time goes. Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_cold.py [--runs 5]

cold ask = wall time of `newsbot --data-dir D ask Q` from exec to exit; through the server = the
same with `--url` while `newsbot serve` holds the store; the phases come from one more process
that times its own imports, opening the Bot, and the first answer.
"""

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bot.evaluation import machine

REPO = Path(__file__).resolve().parents[1]
QUESTION = "What is the spending target?"
PHASES = """
import time, json
t0 = time.perf_counter()
import bot.cli.main
t1 = time.perf_counter()
from bot.core import Bot
t2 = time.perf_counter()
b = Bot(data_dir=DATA)
t3 = time.perf_counter()
b.ask("What is the spending target?")
t4 = time.perf_counter()
print(json.dumps({"import_cli_s": t1 - t0, "import_core_s": t2 - t1, "open_bot_s": t3 - t2, "first_ask_s": t4 - t3}))
"""


def timed(command: list[str], runs: int) -> list[float]:
    """Wall seconds of each of `runs` runs of the command, from exec to exit."""
    walls = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - began)
    return walls


def summary(walls: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(walls), 2), "min": round(min(walls), 2), "max": round(max(walls), 2),
            "runs": len(walls)}


@contextlib.contextmanager
def served(data: str) -> Iterator[str]:
    """`newsbot serve` over the store on a free loopback port, until it answers /readyz."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(Path(sys.executable).parent / "newsbot"), "--data-dir", data, "serve",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        httpx.post(url + "/v1/chat", json={"message": "warm up"}, timeout=60)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    newsbot = str(Path(sys.executable).parent / "newsbot")
    with tempfile.TemporaryDirectory() as data:
        subprocess.run([newsbot, "--data-dir", data, "ingest", str(REPO / "samples")], check=True,
                       capture_output=True)
        walls = timed([newsbot, "--data-dir", data, "ask", QUESTION], args.runs)
        with served(data) as url:  # the same question through a running server (`--url`)
            remote = timed([newsbot, "--url", url, "ask", QUESTION], args.runs)
        phases = subprocess.run([sys.executable, "-c", f"DATA = {data!r}\n{PHASES}"], check=True,
                                capture_output=True, text=True).stdout
    print(json.dumps({"cold_ask_s": summary(walls), "cold_ask_through_server_s": summary(remote),
                      "phases_s": {k: round(v, 2) for k, v in json.loads(phases).items()}, "machine": machine()},
                     indent=2))


if __name__ == "__main__":
    main()
