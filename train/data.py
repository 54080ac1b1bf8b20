"""Training and hold-out data for the reader, read from ../shared/data (never copied here).

train_news_qa is split by week: every fifth week (by date order) is held out for model selection
and threshold calibration, so no article or story is shared between the two sides. Retrieval is
simulated with the project's own chunker and BM25 over a week's articles, and candidates come
from `bot.answer.candidates`, exactly as at ask time.
"""

import gzip
import json
import os
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answer.candidates import Candidate, candidates
from bot.answer.retrieval import Passage
from bot.evaluation import contains
from index.ingest.articles import Article
from index.ingest.chunking import chunk_article
from index.store.chunks import StoredChunk
from index.store.keyword import KeywordIndex

DATA = Path(os.environ.get("NEWSBOT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
HOLDOUT_EVERY = 5
PASSAGES = 6  # as Settings.passages


@dataclass
class NewsQuestion:
    id: str
    question: str
    answers: list[str]
    week: str
    article_ids: list[str]
    negative_ids: list[str]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def news_questions() -> list[NewsQuestion]:
    out = []
    for row in read_jsonl(DATA / "train_news_qa" / "questions.jsonl"):
        week = row["provenance"]["path"].rsplit("/", 1)[-1].split("_")[0]
        out.append(NewsQuestion(row["id"], row["question"], [str(a) for a in row["answers"]], week,
                                row.get("article_ids") or [], row.get("negative_article_ids") or []))
    return out


def split_weeks(questions: list[NewsQuestion]) -> tuple[set[str], set[str]]:
    weeks = sorted({q.week for q in questions})
    held = {w for i, w in enumerate(weeks) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1}
    return set(weeks) - held, held


def news_articles() -> dict[str, dict[str, Any]]:
    return {a["article_id"]: a for a in read_jsonl(DATA / "train_news_qa" / "articles.jsonl.gz")}


def chunks_of(raw: dict[str, Any]) -> list[StoredChunk]:
    try:
        article = Article(id=raw["article_id"], title=raw.get("title") or "", text=raw["text"])
    except ValueError:  # nothing left once cleaned (a scraped page of captions only)
        return []
    return [StoredChunk(c.id, c.text, c.metadata) for c in chunk_article(article)]


class WeekPools:
    """Per week: the chunks of every article its questions name, and a BM25 index over them."""

    def __init__(self, questions: list[NewsQuestion], articles: dict[str, dict[str, Any]]) -> None:
        by_week: dict[str, set[str]] = defaultdict(set)
        for q in questions:
            by_week[q.week].update(a for a in q.article_ids + q.negative_ids if a in articles)
        self.chunks: dict[str, list[StoredChunk]] = {}
        self.index: dict[str, KeywordIndex] = {}
        for week, ids in by_week.items():
            chunks = [c for a in sorted(ids) for c in chunks_of(articles[a])]
            self.chunks[week] = chunks
            self.index[week] = KeywordIndex(chunks)

    def retrieve(self, question: str, week: str, k: int = PASSAGES) -> list[Passage]:
        return [Passage(chunk, score) for chunk, score in self.index[week].search(question, k)]


def labelled(question: str, passages: list[Passage], answers: list[str], limit: int
             ) -> list[tuple[Candidate, bool]]:
    return [(c, any(contains(c.sentence, a) for a in answers)) for c in candidates(question, passages)[:limit]]


def squad_items() -> Iterator[tuple[str, Passage, list[str]]]:
    """(question, its paragraph as a passage, gold answer texts; empty when unanswerable)."""
    data = json.loads((DATA / "squad2" / "dev-v2.0-half.json").read_text(encoding="utf-8"))
    for article in data["data"]:
        for p_no, paragraph in enumerate(article["paragraphs"]):
            chunk = StoredChunk(f"{article['title']}:{p_no}", paragraph["context"],
                                {"article_id": article["title"], "title": article["title"].replace("_", " ")})
            for qa in paragraph["qas"]:
                answers = [] if qa.get("is_impossible") else sorted({a["text"] for a in qa["answers"]})
                yield qa["question"], Passage(chunk, 0.0), answers


def shuffled(items: list[Any], seed: int = 13) -> list[Any]:
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


EXTRA_HOLDOUT_EVERY = 10  # one tenth of squad_extra's articles (contexts where untitled) held out
# Datasets whose "title" labels the collection, not the text: grouped by context, read untitled.
UNTITLED = {"squadshifts_reddit", "tweetqa", "covid_qa_deepset"}


@dataclass
class ExtraQuestion:
    id: str
    dataset: str
    question: str
    passage: Passage
    spans: list[tuple[int, int]]  # character spans of the gold answers in the passage; [] when unanswerable
    held_out: bool


def extra_group(row: dict[str, Any]) -> str:
    """What is held out together: a titled article whole (all its paragraphs), else one context."""
    title = "" if row["dataset"] in UNTITLED else row.get("title")
    return f"{row['dataset']}:{title or row['context']}"


def is_held_out(group: str) -> bool:
    import hashlib

    return int(hashlib.sha1(group.encode()).hexdigest()[:8], 16) % EXTRA_HOLDOUT_EVERY == 0


def extra_items() -> Iterator[ExtraQuestion]:
    """squad_extra's questions (training side and held-out side), each with its paragraph."""
    for row in read_jsonl(DATA / "squad_extra" / "train.jsonl.gz"):
        group = extra_group(row)
        title = "" if row["dataset"] in UNTITLED else str(row.get("title") or "").replace("_", " ")
        chunk = StoredChunk(f"extra:{group}", row["context"], {"article_id": group, "title": title})
        spans = [(a["answer_start"], a["answer_start"] + len(a["text"])) for a in row["answers"]]
        yield ExtraQuestion(row["id"], row["dataset"], row["question"], Passage(chunk, 0.0), spans,
                            is_held_out(group))


def sentence_span(context: str, sentence: str, spans: list[tuple[int, int]]) -> list[int] | None:
    """The first gold span lying inside the sentence (offsets within the sentence), else None:
    offsets, not string search, so an answer word repeated elsewhere is no positive."""
    at = context.find(sentence)
    while at >= 0:
        for s, e in spans:
            if at <= s and e <= at + len(sentence):
                return [s - at, e - at]
        at = context.find(sentence, at + 1)
    return None
