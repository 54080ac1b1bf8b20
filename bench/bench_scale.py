"""Ask latency as the store grows: 1k, 10k and 100k chunks, embedded Chroma vs a Chroma server
(`chroma run` on loopback). Prints a table; asserts nothing.

The larger stores are news-like text made by recombining the sentences of the dev-set articles
into new articles, embedded with the fast static embedder (wordllama), so building 100k chunks
takes minutes, not hours; the answer path measured is the real one (hybrid retrieval + extractive
answer, caches off). At each size also the first ask after a one-article ingest through the same
Bot and (Chroma server only: an embedded store has one process) through another worker sharing the
server and the database (medians of 5: the keyword index catches up from the shared change log),
and the time a full keyword-index rebuild takes (what a write the log does not name costs).

    .venv/bin/python bench/bench_scale.py [--sizes 1000,10000,100000] [--questions 60]
"""

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot import Bot
from bot.evaluation import percentile, read_jsonl
from bot.server.workers import chroma_server
from index.store.keyword import KeywordIndex
from index.text import split_sentences

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev_news_qa"


def synthetic_articles(sentences: list[str], n_chunks: int, start: int, rng: random.Random) -> list[dict[str, str]]:
    """Articles of ~5 chunks each (about 5,000 characters) until `n_chunks` chunks are added."""
    articles = []
    for i in range(start, start + max(1, n_chunks // 5)):
        body, size = [], 0
        while size < 4600:
            sentence = rng.choice(sentences)
            body.append(sentence)
            size += len(sentence) + 1
        articles.append({"id": f"syn-{i}", "title": rng.choice(sentences)[:80], "text": " ".join(body),
                         "published": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", "source": "synthetic"})
    return articles


def measure(bot: Bot, questions: list[str]) -> tuple[float, float]:
    bot.ask(questions[0])  # builds the keyword index for this size
    times = []
    for q in questions * 3:  # three rounds: small stores answer in a few ms, so noise matters
        started = time.perf_counter()
        bot.ask(q)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 0.95)


def after_one_ingest(bot: Bot, other: Bot | None, questions: list[str], sentences: list[str], next_id: int,
                     rng: random.Random, rounds: int = 5) -> tuple[float, float, float]:
    """Median latency of the first ask after a one-article ingest through this Bot, and through
    another worker (`other`: same Chroma server and database; NaN without one), both caught up
    from the shared change log; and the time a full rebuild of the keyword index takes (what a
    write the log does not name costs the next ask)."""
    own: list[float] = []
    theirs: list[float] = []
    for n in range(rounds):
        for writer, times in ((bot, own), (other, theirs)):
            if writer is None:
                continue
            writer.ingest(synthetic_articles(sentences, 5, next_id, rng), on_error="skip")
            next_id += 1
            started = time.perf_counter()
            bot.ask(questions[n % len(questions)])
            times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    KeywordIndex(bot.store.all_chunks())
    rebuild = (time.perf_counter() - started) * 1000
    return statistics.median(own), statistics.median(theirs) if theirs else math.nan, rebuild


Row = tuple[float, float, int, float, float, float]


def run(kind: str, sizes: list[int], questions: list[str], real: list[dict[str, str]], sentences: list[str],
        tmp: Path) -> dict[int, Row]:
    results: dict[int, Row] = {}
    rng = random.Random(7)

    def grow(bot: Bot, other: Bot | None) -> None:
        bot.ingest(real)  # the real articles, so the questions have answers to find
        next_id = 0
        for size in sizes:
            missing = size - bot.store.count()
            started = time.perf_counter()
            while missing > 0:
                batch = synthetic_articles(sentences, min(missing, 5000), next_id, rng)
                next_id += len(batch)
                bot.ingest(batch, on_error="skip")  # a rare mix may be all page furniture
                missing = size - bot.store.count()
            built = time.perf_counter() - started
            p50, p95 = measure(bot, questions)
            count = bot.store.count()
            own, theirs, rebuild = after_one_ingest(bot, other, questions, sentences, next_id, rng)
            next_id += 10
            results[size] = (p50, p95, count, own, theirs, rebuild)
            print(f"{kind:9} {count:>7} chunks  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  first ask after a one-article "
                  f"ingest: own {own:7.1f} ms, another worker's {theirs:7.1f} ms; a full keyword rebuild "
                  f"{rebuild:7.1f} ms  (grown in {built:.0f} s)", file=sys.stderr, flush=True)

    options: dict[str, Any] = {"embedder": "wordllama", "answer_cache": 0, "query_cache": 0}
    if kind == "embedded":
        grow(Bot(data_dir=tmp / "embedded", **options), None)  # one process owns an embedded store
    else:
        with chroma_server(tmp / "server" / "chroma") as url:
            shared = {**options, "chroma_url": url, "database_url": f"sqlite:///{tmp / 'server' / 'shared.db'}"}
            grow(Bot(data_dir=tmp / "server" / "one", **shared), Bot(data_dir=tmp / "server" / "two", **shared))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--kinds", default="embedded,server")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    real = read_jsonl(DEV / "articles.jsonl")
    questions = [q["question"] for q in read_jsonl(DEV / "questions.jsonl")][: args.questions]
    sentences = [s for a in real for s in split_sentences(a["text"]) if 40 <= len(s) <= 300]
    table: dict[str, dict[int, Row]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            table[kind] = run(kind, sizes, questions, real, sentences, Path(tmp))
    print("chunks (target) | " + " | ".join(f"{k} p50 / p95 / first ask after a one-article ingest, own / another "
                                            "worker's / full keyword rebuild, ms" for k in table))
    for size in sizes:
        print(f"{size:>15} | " + " | ".join(f"{table[k][size][0]:.1f} / {table[k][size][1]:.1f} / "
                                          f"{table[k][size][3]:.1f} / {table[k][size][4]:.1f} / "
                                          f"{table[k][size][5]:.1f}" for k in table))
    for kind, rows in table.items():
        print(f"{kind}: p50 at {sizes[-1]} chunks is {rows[sizes[-1]][0] / rows[sizes[0]][0]:.2f}x p50 at {sizes[0]}")
    print("(chunks beyond the dev-set articles are synthetic: dev-set sentences recombined, wordllama embeddings)")
    print(json.dumps({k: {str(s): [None if isinstance(x, float) and math.isnan(x) else x for x in v]
                          for s, v in rows.items()} for k, rows in table.items()}))


if __name__ == "__main__":
    main()
