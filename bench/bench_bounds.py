"""Benchmark: CPU seconds per MB for hostile inputs at the sizes the limits allow, through the
steps before embedding (loading, cleaning, splitting, chunking) and for the largest question;
then hostile requests to a real `newsbot serve` on 127.0.0.1: the server's CPU seconds for each
(all its processes) and the longest wait of a `/healthz` polled every 50 ms meanwhile.
Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_bounds.py [--http-only]

Embedding is the deliberate cost of an ingest and is reported apart: chunks per MB of text and
seconds per chunk with the default embedder, so the bound of a whole request is their product.
"""

import argparse
import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from bench_http import cpu_seconds, start_server  # beside this file: python puts bench/ on the path

from bot.core import Bot
from bot.settings import Settings
from index.errors import IngestError
from index.ingest.chunking import chunk_article
from index.ingest.loaders import load_bytes

MB = 1_000_000
REPO = Path(__file__).resolve().parents[1]


def cpu(step: Callable[[], object]) -> tuple[float, object]:
    start = time.process_time()
    try:
        out = step()
    except IngestError as exc:  # refused is an outcome, timed the same way
        out = f"refused: {str(exc)[:80]}"
    return time.process_time() - start, out


def through_chunking(data: bytes, name: str) -> object:
    articles = load_bytes(data, name)
    return sum(len(chunk_article(a)) for a in articles)


def hostile_requests() -> dict[str, dict[str, object]]:
    """name -> httpx request arguments (path, and json or files)."""
    def upload(name: str, data: bytes) -> dict[str, object]:
        return {"path": "/v1/articles", "files": [("files", (name, data, "text/plain"))]}

    def ask(message: str) -> dict[str, object]:
        return {"path": "/v1/chat", "json": {"message": message}}

    report = " ".join(f"Sentence {i} of a long report on the harbour and its boats." for i in range(1700))
    return {
        **{f"vtab_line_{n // 1000}k": upload("vtabs.txt", b"\x0b" * n) for n in (25_000, 50_000, 100_000, 150_000)},
        "article_106kb_json": {"path": "/v1/articles", "json": {"title": "A long report", "text": report}},
        "ligature_fdfa_x100_question": ask("\ufdfa" * 100),
        "ligature_fdfa_x100_article": {"path": "/v1/articles", "json": {"title": "Ligatures", "text": "\ufdfa" * 100}},
        "dz_x2000_question": ask("ǅ" * 2000),
        "sharp_s_x2000_question": ask("ß" * 2000),
        "combining_x2000_question": ask("e" + "\u0301" * 1999),
        "dot_space_x1000_question": ask(". " * 1000),
    }


def probe_health(base: str, done: threading.Event, waits: list[float]) -> None:
    """/healthz every 50 ms until `done`, each wait in `waits`."""
    while not done.is_set():
        start = time.perf_counter()
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{base}/healthz", timeout=120)
        waits.append(time.perf_counter() - start)
        time.sleep(0.05)


def over_http(port: int = 8765) -> None:
    """Each hostile request alone against a fresh server on the samples: status, the server's CPU
    seconds, wall seconds, and the longest /healthz wait while it ran."""
    with TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data", port, cache=False)  # the server holds the store: ingest through it
        base = f"http://127.0.0.1:{port}"
        try:
            samples = [("files", (f.name, f.read_bytes(), "text/markdown"))
                       for f in sorted((REPO / "samples").glob("*.md"))]
            httpx.post(f"{base}/v1/articles", files=samples, timeout=300).raise_for_status()
            httpx.post(f"{base}/v1/chat", json={"message": "warm up"}, timeout=60)
            for name, request in hostile_requests().items():
                waits: list[float] = []
                done = threading.Event()
                watcher = threading.Thread(target=probe_health, args=(base, done, waits))
                before, start = cpu_seconds(server.pid), time.perf_counter()
                watcher.start()
                args = dict(request)
                path = str(args.pop("path"))
                try:
                    status: object = httpx.post(base + path, timeout=300, **args).status_code  # type: ignore[arg-type]
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                wall = time.perf_counter() - start
                done.set()
                watcher.join()
                print(json.dumps({name: {"status": status, "server_cpu_s": round(cpu_seconds(server.pid) - before, 2),
                                         "wall_s": round(wall, 2), "healthz_max_s": round(max(waits, default=0), 3),
                                         "alive": server.poll() is None}}), flush=True)
            print(json.dumps({"ordinary_question_beside_4_hostile": held_up(base)}), flush=True)
        finally:
            server.terminate()
            server.wait(30)


def held_up(base: str) -> dict[str, float]:
    """An ordinary question's wall time alone, then while four 2,000 x 'ǅ' questions run."""
    def ask(message: str) -> float:
        start = time.perf_counter()
        httpx.post(f"{base}/v1/chat", json={"message": message}, timeout=300)
        return time.perf_counter() - start

    alone = ask("How many bicycles will Riverton have?")
    hostile = [threading.Thread(target=ask, args=("ǅ" * 2000 + f" {n}",)) for n in range(4)]
    for t in hostile:
        t.start()
    time.sleep(0.05)
    beside = ask("How many bicycles will Riverton have in the spring?")
    for t in hostile:
        t.join()
    return {"alone_s": round(alone, 3), "beside_s": round(beside, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--http-only", action="store_true", help="only the hostile requests over HTTP")
    if parser.parse_args().http_only:
        over_http()
        return
    in_process()
    over_http()


def in_process() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]><rss version="2.0">'
              b"<channel><item><title>&d;&d;&d;&d;</title><description>Text.</description></item></channel></rss>")
    cases: dict[str, tuple[bytes, str]] = {
        "initials_x_dot_Y": (b"Title\n\n" + b"x. Y " * (MB // 5), "a.txt"),
        "no_sentence_end": (b"Title\n\n" + b"word " * (MB // 5), "a.txt"),
        "one_token": (b"Title\n\n" + b"a" * MB, "a.txt"),
        "short_sentences": (b"Title\n\n" + b"It rained. " * (MB // 11), "a.txt"),
        "html_nested_divs": (b"<html><body>" + b"<div>" * 20_000 + b"Text here. " * 80_000 + b"</div>" * 20_000
                             + b"</body></html>", "a.html"),
        "html_paragraphs": (b"<html><body><article>" + b"<p>The council met on Monday to vote. </p>" * 25_000
                            + b"</article></body></html>", "a.html"),
        "json_deep": (b"[" * 100_000 + b"]" * 100_000, "a.json"),
        "feed_entity_laughs": (laughs, "a.rss"),
    }
    rows = {}
    for name, (data, filename) in cases.items():
        seconds, out = cpu(functools.partial(through_chunking, data, filename))
        rows[name] = {"mb": round(len(data) / MB, 3), "cpu_s": round(seconds, 3),
                      "cpu_s_per_mb": round(seconds / max(len(data) / MB, 1e-6), 2), "chunks_or_outcome": out}
        print(json.dumps({name: rows[name]}), flush=True)
    with TemporaryDirectory() as tmp:
        bot = Bot(settings=Settings(data_dir=Path(tmp), answer_cache=0, query_cache=0))
        bot.ingest([REPO / "samples"])
        bot.ask("warm up")
        most = bot.settings.max_question_chars
        question = ("Who will attend the summit and what is the spending target? " * 40)[:most]
        seconds, _ = cpu(lambda: bot.ask(question))
        print(json.dumps({"longest_question": {"chars": len(question), "cpu_s": round(seconds, 3)}}), flush=True)
        filters = {"source": [f"source {i} " * 18 for i in range(100)], "article_id": [f"id{i}" for i in range(1000)]}
        seconds, _ = cpu(lambda: bot.ask("What is the spending target?", filters=filters))
        print(json.dumps({"largest_filters": {"cpu_s": round(seconds, 3)}}), flush=True)
        text = " ".join(f"Sentence {i} of a long report on the harbour and its boats." for i in range(1500))
        start = time.perf_counter()
        report = bot.ingest([{"title": "A long report", "text": text}])
        wall = time.perf_counter() - start
        per_mb = report.chunks_written / (len(text) / MB)
        print(json.dumps({"embedding": {"chars": len(text), "chunks": report.chunks_written,
                                        "s_per_chunk": round(wall / report.chunks_written, 3),
                                        "chunks_per_mb": round(per_mb),
                                        "s_per_mb": round(wall / (len(text) / MB), 1)}}))


if __name__ == "__main__":
    main()
