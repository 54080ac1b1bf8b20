"""Readers compared on squad_extra's held-out tenth (never trained on), per source dataset.

    .venv/bin/python -m train.heldout --model bot/answer_model --model build/train/reader

Each question is read as the runtime reads a passage: the first stage's top 8 sentences of its
paragraph (`bot.answer.candidates`), scored by the reader one pair per run. Per source:
- `read`: a sentence holding a gold span (by offset) is among the 8 read;
- `first`: the reader's best sentence holds a gold span (of answerable questions);
- `em` / `f1`: the reader's span in its best sentence against the gold answers (SQuAD's
  normalisation; 0 where the best sentence holds none);
- `auc`: where a source has unanswerable questions, how well the best sentence's logit tells
  answerable from unanswerable (the model's own no-answer evidence).
TyDi, NQ and TweetQA questions were typed by users: together they are the `direct` row. The
`news` row reads train_news_qa's held-out weeks (`train.data.split_weeks`) as the quiz questions
were read for training: BM25 over the week's articles (no embedding, so it runs in a minute),
`first` of the questions whose answer string is among the 8 sentences read (span EM/F1 not
scored: quiz answers are not spans).
"""

import argparse
import json
import random
import re
import string
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from bot.answer.candidates import candidates
from bot.answer.reader import MODEL_DIR, Calibration, Reader
from train.data import (
    ExtraQuestion,
    WeekPools,
    extra_items,
    labelled,
    news_articles,
    news_questions,
    sentence_span,
    split_weeks,
)

READ = 8  # sentences read per question at ask time
DIRECT = {"tydiqa_goldp_en", "nq_qed_dev", "tweetqa"}


def normalise(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, words."""
    text = "".join(c for c in text.lower() if c not in set(string.punctuation))
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def f1(prediction: str, gold: str) -> float:
    p, g = normalise(prediction), normalise(gold)
    common = sum((Counter(p) & Counter(g)).values())
    if not p or not g or not common:
        return float(p == g)
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def auc(positives: list[float], negatives: list[float]) -> float | None:
    if not positives or not negatives:
        return None
    neg = np.sort(np.asarray(negatives))
    wins = sum(np.searchsorted(neg, p, side="left") + 0.5 * (
        np.searchsorted(neg, p, side="right") - np.searchsorted(neg, p, side="left")) for p in positives)
    return float(wins / (len(positives) * len(negatives)))


def sample(per_source: int, seed: int = 5) -> list[ExtraQuestion]:
    by_source: dict[str, list[ExtraQuestion]] = defaultdict(list)
    for q in extra_items():
        if q.held_out:
            by_source[q.dataset].append(q)
    rng = random.Random(seed)
    picked = []
    for source in sorted(by_source):
        items = by_source[source]
        picked += items if len(items) <= per_source else rng.sample(items, per_source)
    return picked


def evaluate(reader: Reader, questions: list[ExtraQuestion]) -> dict[str, dict[str, float | int | None]]:
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    for q in questions:
        context = q.passage.chunk.text
        read = candidates(q.question, [q.passage])[:READ]
        if not read:
            if q.spans:
                rows[q.dataset].append({"read": 0.0, "first": 0.0, "em": 0.0, "f1": 0.0})
            continue
        readings = reader.read(q.question, [c.sentence for c in read])
        best = int(np.argmax([r.logit for r in readings]))
        if not q.spans:
            rows[q.dataset].append({"no_answer_logit": readings[best].logit})
            continue
        golds = [context[s:e] for s, e in q.spans]
        holds = [sentence_span(context, c.sentence, q.spans) is not None for c in read]
        span = readings[best].span
        predicted = read[best].sentence[span[0]:span[1]] if span and holds[best] else ""
        rows[q.dataset].append({
            "read": float(any(holds)), "first": float(holds[best]),
            "em": float(bool(predicted) and max(normalise(predicted) == normalise(g) for g in golds)),
            "f1": max(f1(predicted, g) for g in golds) if predicted else 0.0,
            "answer_logit": readings[best].logit})
    return summarise(rows)


def news_cases() -> list[tuple[str, list[str], list[str], list[bool]]]:
    """(question, answers, the 8 sentences read, which hold an answer) per held-out quiz question."""
    questions = news_questions()
    _, held = split_weeks(questions)
    held_q = [q for q in questions if q.week in held]
    pools = WeekPools(held_q, news_articles())
    cases = []
    for q in held_q:
        found = labelled(q.question, pools.retrieve(q.question, q.week), q.answers, READ)
        cases.append((q.question, q.answers, [c.sentence for c, _ in found], [y for _, y in found]))
    return cases


def evaluate_news(reader: Reader, cases: list[tuple[str, list[str], list[str], list[bool]]]
                  ) -> dict[str, float | int | None]:
    firsts = []
    for question, _answers, sentences, holds in cases:
        if any(holds):
            logits = [r.logit for r in reader.read(question, sentences)]
            firsts.append(float(holds[int(np.argmax(logits))]))
    return {"n": len(firsts), "of": len(cases), "first": round(float(np.mean(firsts)), 3) if firsts else None}


def summarise(rows: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float | int | None]]:
    def line(items: list[dict[str, float]], with_auc: bool = True) -> dict[str, float | int | None]:
        answerable = [r for r in items if "first" in r]
        out: dict[str, float | int | None] = {"n": len(answerable)}
        for key in ("read", "first", "em", "f1"):
            out[key] = round(float(np.mean([r[key] for r in answerable])), 3) if answerable else None
        negatives = [r["no_answer_logit"] for r in items if "no_answer_logit" in r]
        if negatives and with_auc:  # within one source: across sources the logits' scales differ by topic
            out["unanswerable"] = len(negatives)
            score = auc([r["answer_logit"] for r in answerable if "answer_logit" in r], negatives)
            out["auc"] = None if score is None else round(score, 3)
        return out

    table = {source: line(items) for source, items in sorted(rows.items())}
    table["direct"] = line([r for s, items in rows.items() if s in DIRECT for r in items], with_auc=False)
    table["all"] = line([r for items in rows.values() for r in items], with_auc=False)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, action="append", required=True, help="a reader directory (repeatable)")
    parser.add_argument("--per-source", type=int, default=300, help="held-out questions read per source dataset")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args()
    questions = sample(args.per_source)
    news = news_cases()
    results = {}
    for model in args.model:
        shipped = Calibration.load(MODEL_DIR / "calibration.json")  # the logits and spans use none of it
        began = time.time()
        reader = Reader(model, calibration=shipped)
        results[str(model)] = {**evaluate(reader, questions), "news": evaluate_news(reader, news)}
        print(json.dumps({"model": str(model), "seconds": round(time.time() - began),
                          **{k: v for k, v in results[str(model)].items() if k in ("all", "direct", "news")}}),
              flush=True)
    for source in next(iter(results.values())):
        cells = [f"{Path(m).name}: " + " ".join(f"{k} {v}" for k, v in table[source].items())
                 for m, table in results.items()]
        print(source.ljust(22), " | ".join(cells))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
