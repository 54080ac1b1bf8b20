"""Ask latency as the store grows: 1k, 10k and 100k chunks, embedded Chroma vs a Chroma server
(`chroma run` on loopback). Prints a table; asserts nothing.

The larger stores are news-like text made by recombining the sentences of the dev-set articles
into new articles, embedded with the fast static embedder (wordllama), so building 100k chunks
takes minutes, not hours; the answer path measured is the real one (hybrid retrieval + extractive
answer, caches off). At each size also the first ask after a one-article ingest through the same
Bot (median of 5) and after another worker's write (median of 2: the keyword index rebuilt).

    .venv/bin/python bench/bench_scale.py [--sizes 1000,10000,100000] [--questions 60]
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot import Bot
from bot.components import STORE_VERSION
from bot.evaluation import percentile, read_jsonl
from bot.server.workers import chroma_server
from index.chunking import split_sentences

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


def after_one_ingest(bot: Bot, questions: list[str], sentences: list[str], next_id: int, rng: random.Random,
                     rounds: int = 5) -> tuple[float, float]:
    """Median latency of the first ask after a one-article ingest through this Bot (its keyword
    index catches up with the article), and of the first ask after another worker's write (what
    it looks like from here: the shared store version moves; the keyword index is rebuilt)."""
    own, other = [], []
    for n in range(rounds):
        bot.ingest(synthetic_articles(sentences, 5, next_id + n, rng), on_error="skip")
        started = time.perf_counter()
        bot.ask(questions[n % len(questions)])
        own.append((time.perf_counter() - started) * 1000)
    for n in range(2):
        bot.database.bump(STORE_VERSION)
        started = time.perf_counter()
        bot.ask(questions[n % len(questions)])
        other.append((time.perf_counter() - started) * 1000)
    return statistics.median(own), statistics.median(other)


def run(kind: str, sizes: list[int], questions: list[str], real: list[dict[str, str]], sentences: list[str],
        tmp: Path) -> dict[int, tuple[float, float, int, float, float]]:
    results: dict[int, tuple[float, float, int, float, float]] = {}
    rng = random.Random(7)

    def grow(bot: Bot) -> None:
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
            after, rebuilt = after_one_ingest(bot, questions, sentences, next_id, rng)
            next_id += 5
            results[size] = (p50, p95, count, after, rebuilt)
            print(f"{kind:9} {count:>7} chunks  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  first ask after a "
                  f"one-article ingest {after:7.1f} ms, after another worker's write {rebuilt:7.1f} ms  "
                  f"(grown in {built:.0f} s)", file=sys.stderr, flush=True)

    options: dict[str, Any] = {"embedder": "wordllama", "answer_cache": 0, "query_cache": 0}
    if kind == "embedded":
        grow(Bot(data_dir=tmp / "embedded", **options))
    else:
        with chroma_server(tmp / "server" / "chroma") as url:
            grow(Bot(data_dir=tmp / "server", chroma_url=url, **options))
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
    table: dict[str, dict[int, tuple[float, float, int, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            table[kind] = run(kind, sizes, questions, real, sentences, Path(tmp))
    print("chunks (target) | " + " | ".join(f"{k} p50 / p95 / after an own one-article ingest / after another "
                                            "worker's write, ms" for k in table))
    for size in sizes:
        print(f"{size:>15} | " + " | ".join(f"{table[k][size][0]:.1f} / {table[k][size][1]:.1f} / "
                                          f"{table[k][size][3]:.1f} / {table[k][size][4]:.1f}" for k in table))
    for kind, rows in table.items():
        print(f"{kind}: p50 at {sizes[-1]} chunks is {rows[sizes[-1]][0] / rows[sizes[0]][0]:.2f}x p50 at {sizes[0]}")
    print("(chunks beyond the dev-set articles are synthetic: dev-set sentences recombined, wordllama embeddings)")
    print(json.dumps({k: {str(s): v for s, v in rows.items()} for k, rows in table.items()}))


if __name__ == "__main__":
    main()
