"""Load benchmark of the chat service: a real `newsbot serve` (one uvicorn worker, extractive
answerer) on 127.0.0.1 over the sample articles plus the dev-set articles. First the
time to the first byte of streamed answers to questions it has not seen (idle server); then
N concurrent clients POST /v1/chat for T seconds, twice: with the answer and query caches
off (every request does the whole work), and with them on after one pass over the questions
(people ask the same questions). Beside each load: the server's CPU use (all its processes,
in cores) and how many questions were embedded together (`newsbot_question_batch_size` from
/metrics). Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_http.py [--clients 20] [--seconds 30] [--data-dir DIR]
    .venv/bin/python bench/bench_http.py --workers 1,2,4 [--seconds 15]   # scaling on one Chroma server
"""

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bot import Bot
from bot.evaluation import machine, percentile, read_jsonl

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "data" / "dev_news_qa"
SEED_QUESTIONS = ["Who attends the NATO summit?", "What is the spending target?",
                  "How many bicycles will Riverton have?", "Who won the World Cup?"]


def start_server(data_dir: Path, port: int, cache: bool, workers: int = 1,
                 chroma_url: str | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSBOT_LOG_FORMAT": "json"}
    if not cache:
        env |= {"NEWSBOT_ANSWER_CACHE": "0", "NEWSBOT_QUERY_CACHE": "0"}
    if chroma_url:
        env["NEWSBOT_CHROMA_URL"] = chroma_url
    cmd = [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not become ready")


async def load(base: str, questions: list[str], clients: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    cycle = itertools.cycle(questions)
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    r = await client.post("/v1/chat", json={"message": next(cycle)})
                    problem = "" if r.status_code == 200 else f"HTTP {r.status_code}: {r.text[:200]}"
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                if not problem:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
                    kinds[problem] = kinds.get(problem, 0) + 1

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.monotonic() - began
    return {"requests": len(latencies) + errors, "errors": errors, **({"error_kinds": kinds} if kinds else {}),
            "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # the name may hold spaces and ")"
        except OSError:
            continue  # gone meanwhile
        procs[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, grew = {pid}, True
    while grew:
        more = {p for p, (parent, _) in procs.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(cpu for p, (_, cpu) in procs.items() if p in tree)


def batch_counts(base: str) -> dict[str, float]:
    """The server's question-batch histogram: cumulative counts per bucket, `count` and `sum`."""
    text = httpx.get(base + "/metrics", timeout=30).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("newsbot_question_batch_size_"):
            name, value = line.rsplit(" ", 1)
            key = name.split('le="')[1].rstrip('"}') if 'le="' in name else name.rsplit("_", 1)[1]
            out[key] = out.get(key, 0.0) + float(value)  # summed over workers' series
    return out


def measured_load(base: str, pid: int, questions: list[str], clients: int, seconds: float) -> dict[str, object]:
    """`load`, with the server's CPU use in cores and the sizes of the question batches it ran."""
    batches, cpu, began = batch_counts(base), cpu_seconds(pid), time.monotonic()
    result = asyncio.run(load(base, questions, clients, seconds))
    cpu, wall, after = cpu_seconds(pid) - cpu, time.monotonic() - began, batch_counts(base)
    result["server_cpu_cores"] = round(cpu / wall, 2)
    ran = after.get("count", 0.0) - batches.get("count", 0.0)
    if ran:
        result["question_batches"] = int(ran)
        result["mean_batch"] = round((after["sum"] - batches["sum"]) / ran, 1)
        below, shares = 0.0, {}
        for le in ("1.0", "2.0", "4.0", "8.0", "16.0", "32.0"):
            upto = after.get(le, 0.0) - batches.get(le, 0.0)
            shares[f"<={int(float(le))}"] = round((upto - below) / ran, 3)
            below = upto
        result["batch_size_shares"] = shares
    return result


def ttfb(base: str, questions: list[str], n: int = 100) -> dict[str, float]:
    firsts, totals = [], []
    with httpx.Client(base_url=base, timeout=30) as client:
        for q in itertools.islice(itertools.cycle(questions), n):
            started = time.perf_counter()
            with client.stream("POST", "/v1/chat", json={"message": q, "stream": True}) as r:
                chunks = r.iter_raw()
                next(chunks)
                firsts.append((time.perf_counter() - started) * 1000)
                for _ in chunks:
                    pass
            totals.append((time.perf_counter() - started) * 1000)
    return {"ttfb_p50_ms": round(statistics.median(firsts), 1), "ttfb_p95_ms": round(percentile(firsts, 0.95), 1),
            "stream_total_p50_ms": round(statistics.median(totals), 1)}


def scaling(workers: list[int], clients: int, seconds: float, port: int, questions: list[str]) -> None:
    """Throughput with 1, 2, 4... workers, all on one Chroma server (so only the worker count
    changes), caches off and on."""
    from bot.server.workers import chroma_server

    base = f"http://127.0.0.1:{port}"
    rows = []
    with tempfile.TemporaryDirectory() as tmp, chroma_server(Path(tmp) / "chroma") as url:
        loader = Bot(data_dir=Path(tmp) / "loader", chroma_url=url)
        loader.ingest([REPO / "samples", *read_jsonl(DEV / "articles.jsonl")])
        for n in workers:
            row: dict[str, object] = {"workers": n}
            for cache in (False, True):
                server = start_server(Path(tmp) / f"w{n}", port, cache, workers=n, chroma_url=url)
                try:
                    if cache:
                        for q in questions:
                            httpx.post(base + "/v1/chat", json={"message": q}, timeout=30)
                    row["cache_on" if cache else "cache_off"] = measured_load(base, server.pid, questions, clients,
                                                                              seconds)
                finally:
                    server.terminate()
                    server.wait(30)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print(json.dumps({"clients": clients, "seconds": seconds, "machine": machine(), "scaling": rows}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data-dir", type=Path, help="reuse an indexed data dir (made on first use)")
    parser.add_argument("--workers", help="e.g. 1,2,4: throughput per worker count on one Chroma server instead")
    args = parser.parse_args()
    questions = SEED_QUESTIONS + [q["question"] for q in read_jsonl(DEV / "questions.jsonl")]
    if args.workers:
        scaling([int(w) for w in args.workers.split(",")], args.clients, args.seconds, args.port, questions)
        return
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    # In a process of its own: the embedded store belongs to one process at a time.
    indexed = subprocess.run([sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), "ingest",
                              str(REPO / "samples"), str(DEV / "articles.jsonl")], capture_output=True, text=True)
    print(f"indexed: {indexed.stdout.strip()} {indexed.stderr.strip()[-300:]}", file=sys.stderr)
    base = f"http://127.0.0.1:{args.port}"
    results: dict[str, object] = {"machine": machine(), "workers": 1, "clients": args.clients,
                                  "seconds": args.seconds, "questions": len(questions)}
    for cache in (False, True):
        server = start_server(data_dir, args.port, cache)
        try:
            results["chunks"] = httpx.get(base + "/readyz", timeout=30).json()["chunks"]
            if cache:
                results["idle_unseen_questions"] = ttfb(base, questions)
                for q in questions:  # one pass: the questions have been asked before
                    httpx.post(base + "/v1/chat", json={"message": q}, timeout=30)
            results["load_cache_on" if cache else "load_cache_off"] = measured_load(
                base, server.pid, questions, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(10)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
