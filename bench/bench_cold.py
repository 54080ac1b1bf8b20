"""Benchmark: a cold `newsbot ask` (a new process each time) on the sample store, as a newcomer
types it, with where the time goes. Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_cold.py [--runs 5]

cold ask = wall time of `newsbot --data-dir D ask Q` from exec to exit; the phases come from one
more process that times its own imports, opening the Bot, and the first answer.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHASES = """
import time, json
t0 = time.perf_counter()
import bot.cli
t1 = time.perf_counter()
from bot.core import Bot
t2 = time.perf_counter()
b = Bot(data_dir=DATA)
t3 = time.perf_counter()
b.ask("What is the spending target?")
t4 = time.perf_counter()
print(json.dumps({"import_cli_s": t1 - t0, "import_core_s": t2 - t1, "open_bot_s": t3 - t2, "first_ask_s": t4 - t3}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    newsbot = str(Path(sys.executable).parent / "newsbot")
    with tempfile.TemporaryDirectory() as data:
        subprocess.run([newsbot, "--data-dir", data, "ingest", str(REPO / "samples")], check=True,
                       capture_output=True)
        walls = []
        for _ in range(args.runs):
            began = time.perf_counter()
            subprocess.run([newsbot, "--data-dir", data, "ask", "What is the spending target?"], check=True,
                           capture_output=True)
            walls.append(time.perf_counter() - began)
        phases = subprocess.run([sys.executable, "-c", f"DATA = {data!r}\n{PHASES}"], check=True,
                                capture_output=True, text=True).stdout
    print(json.dumps({"cold_ask_s": {"p50": round(statistics.median(walls), 2), "min": round(min(walls), 2),
                                     "max": round(max(walls), 2), "runs": args.runs},
                      "phases_s": {k: round(v, 2) for k, v in json.loads(phases).items()}}, indent=2))


if __name__ == "__main__":
    main()
