"""Chunk-size sweep on the dev set: retrieval hit@1/@5 and the eval figures per size.

    .venv/bin/python bench/tune_chunks.py 400/100 600/150 1000/200
"""

import json
import sys
import tempfile
from pathlib import Path

from bot.evaluation import run_eval
from bot.settings import Settings

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev_news_qa"


def main(sizes: list[str]) -> None:
    for spec in sizes:
        size, overlap = (int(x) for x in spec.split("/"))
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), chunk_size=size, chunk_overlap=overlap)
            report = run_eval(DEV / "questions.jsonl", DEV / "articles.jsonl", settings, store_dir=Path(tmp))
        print(json.dumps({"chunk": spec, **report.summary()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["400/100", "600/150", "1000/200"])
