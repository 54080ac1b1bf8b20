"""`newsbot eval`: answer a question set over its articles and report quality and latency."""

import json
import re
import statistics
import string
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core import Bot
from bot.models import Answer
from bot.settings import Settings
from index.errors import IngestError
from index.ingest.dates import parse_date

_ARTICLES = {"a", "an", "the"}
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "“”‘’—–…"})


def normalise(text: str) -> list[str]:
    """Lower case, punctuation and articles removed, split into whole tokens."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())  # 12,600,000 == 12600000
    return [t for t in text.translate(_PUNCT).split() if t not in _ARTICLES]


def contains(answer: str, gold: str) -> bool:
    hay, needle = normalise(answer), normalise(gold)
    if not needle:
        return False
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))


@dataclass
class ItemResult:
    id: str
    question: str
    answerable: bool
    predicted_answerable: bool
    answer: str
    gold: list[str]
    correct: bool
    hit: bool
    words: int
    latency_ms: float
    style: str | None = None


@dataclass
class Report:
    n: int
    hit_at_k: float
    answer_contains_gold: float
    median_answer_words: float
    refusal_rate_unanswerable: float
    false_refusal_rate: float
    latency_p50_ms: float
    latency_p95_ms: float
    k: int
    # Per question style (sets that label them, as dev_direct_qa): answerable styles the share
    # answered right, unanswerable ones the share declined.
    by_style: dict[str, float] = field(default_factory=dict)
    items: list[ItemResult] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "items"}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except (ValueError, RecursionError) as exc:
                raise IngestError(f"malformed JSON on line {n}", str(path)) from exc
    return rows


def machine() -> dict[str, Any]:
    """What the benchmarks ran on: latency figures moved threefold between two machines of the
    same size with the same code, so every benchmark prints this beside its numbers."""
    import contextlib
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:  # Linux only
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def asked_at(question: dict[str, Any]) -> datetime | None:
    """When a question set's question was asked (`question_date`: quiz questions say "this week"),
    so that "latest" and "now" are read as its asker meant them; None: now."""
    return parse_date(question.get("question_date"), end_of_day=True)


def evaluate(bot: Bot, questions: list[dict[str, Any]], k: int = 5,
             on_item: Callable[[ItemResult], None] | None = None) -> Report:
    bot.ask("warm up")  # loads the keyword index, so latency is the warm figure
    items: list[ItemResult] = []
    for q in questions:
        start = time.perf_counter()
        answer: Answer = bot.ask(q["question"], asked_at=asked_at(q))
        latency = (time.perf_counter() - start) * 1000
        gold = [str(a) for a in q.get("answers") or []]
        groups = [[str(a) for a in group] for group in q.get("all_of") or []]
        answerable = bool(q.get("answerable", bool(gold or groups)))
        cited = [c.article_id for c in answer.citations[:k]]
        item = ItemResult(
            id=str(q.get("id", len(items))), question=q["question"], answerable=answerable,
            predicted_answerable=answer.answerable, answer=answer.text, gold=gold or [" + ".join(g[0] for g in groups)],
            correct=answer.answerable and is_right(answer.text, gold, groups),
            hit=q.get("article_id") in cited, words=len(answer.text.split()), latency_ms=latency,
            style=q.get("style"))
        items.append(item)
        if on_item:
            on_item(item)
    pos = [i for i in items if i.answerable]
    neg = [i for i in items if not i.answerable]
    latencies = [i.latency_ms for i in items]
    return Report(
        n=len(items),
        hit_at_k=sum(i.hit for i in pos) / max(1, len(pos)),
        answer_contains_gold=sum(i.correct for i in pos) / max(1, len(pos)),
        median_answer_words=statistics.median([i.words for i in pos if i.predicted_answerable] or [0]),
        refusal_rate_unanswerable=sum(not i.predicted_answerable for i in neg) / max(1, len(neg)),
        false_refusal_rate=sum(not i.predicted_answerable for i in pos) / max(1, len(pos)),
        latency_p50_ms=percentile(latencies, 0.5), latency_p95_ms=percentile(latencies, 0.95),
        k=k, by_style=by_style(items), items=items)


def is_right(answer: str, gold: list[str], groups: list[list[str]]) -> bool:
    """Holds one of the gold strings; with `all_of` groups (two-part questions), one of each group."""
    if groups:
        return all(any(contains(answer, alt) for alt in group) for group in groups)
    return any(contains(answer, g) for g in gold)


def by_style(items: list[ItemResult]) -> dict[str, float]:
    styles: dict[str, list[bool]] = {}
    for i in items:
        if i.style:
            styles.setdefault(i.style, []).append(i.correct if i.answerable else not i.predicted_answerable)
    return {style: round(sum(v) / len(v), 3) for style, v in sorted(styles.items())}


def run_eval(questions_path: Path, articles_path: Path | None, settings: Settings | None = None,
             store_dir: Path | None = None, k: int = 5, progress: bool = False) -> Report:
    """Index the articles into `store_dir` (a fresh temporary store by default) and evaluate."""
    questions = read_jsonl(questions_path)
    with tempfile.TemporaryDirectory(prefix="newsbot-eval-") as tmp:
        base = settings or Settings()
        bot = Bot(settings=base.model_copy(update={"data_dir": store_dir or Path(tmp)}))
        if articles_path is not None:
            bot.ingest([articles_path], progress=progress)
        return evaluate(bot, questions, k)
