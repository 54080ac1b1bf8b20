"""Benchmark: the answer model's reading step and the warm ask, on the dev-set store (2 cores).
Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_reader.py

reading step = first-stage candidates + the reader over them + the decision, for passages
already retrieved; warm ask = Bot.ask with the answer and vector caches off (embed, retrieve,
read, answer).
"""

import json
import tempfile
import time
from pathlib import Path

from bot import Bot
from bot.answer.candidates import candidates
from bot.answer.reader import MODEL_DIR
from bot.evaluation import machine, percentile, read_jsonl

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev_news_qa"


def main() -> None:
    questions = [q["question"] for q in read_jsonl(DEV / "questions.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        bot = Bot(data_dir=tmp, answer_cache=0, query_cache=0)
        bot.ingest([DEV / "articles.jsonl"])
        bot.ask("warm up")
        answerer = bot.answerer.extractive  # type: ignore[attr-defined]
        reading, asking, tokens = [], [], []
        for q in questions:
            passages = bot.search(q)
            top = candidates(q, passages)[: answerer.read]
            tokens.append(sum(len(e.ids) - e.attention_mask.count(0) for e in
                              answerer.reader.tokenizer.encode_batch([(q, c.sentence) for c in top])))
            t = time.perf_counter()
            answerer.extract(q, passages)
            reading.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            bot.ask(q)
            asking.append((time.perf_counter() - t) * 1000)
    model = MODEL_DIR / "reader.int8.onnx"
    print(json.dumps({
        "questions": len(questions),
        "tokens_read_p50": percentile([float(t) for t in tokens], 0.5),
        "reading_ms_p50": round(percentile(reading, 0.5), 1), "reading_ms_p95": round(percentile(reading, 0.95), 1),
        "warm_ask_ms_p50": round(percentile(asking, 0.5), 1), "warm_ask_ms_p95": round(percentile(asking, 0.95), 1),
        "model_mb": round(model.stat().st_size / 1e6, 1), "machine": machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
