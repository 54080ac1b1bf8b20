"""Build the reader's training pairs (question, sentence, label) into a JSONL file.

    .venv/bin/python -m train.pairs --out build/train/pairs.jsonl

Sources (read from ../shared/data, see train/data.py):
- train_news_qa, training weeks only: the question's BM25-retrieved passages from its week's
  articles; among the first-stage top candidates, sentences holding the answer string are
  positives (weak labels), the others hard negatives (they share the question's words, and
  often hold a wrong quiz choice). The same question over another week's articles gives
  out-of-corpus negatives, the case a decline must catch.
- SQuAD 2.0: the sentence holding the gold span is a positive, the paragraph's other
  sentences negatives; every sentence of an unanswerable question's paragraph is a negative
  (SQuAD wrote those questions to look answerable).
"""

import argparse
import json
import random
from pathlib import Path

from bot.candidates import candidates
from train.data import WeekPools, labelled, news_articles, news_questions, split_weeks, squad_items

TOP = 10  # first-stage candidates looked at per question (the reader reads 8 at ask time)


def answer_in(sentence: str, answers: list[str]) -> list[int] | None:
    """Character span of the first answer string found in the sentence (for the span head)."""
    lower = sentence.lower()
    for answer in sorted(answers, key=len, reverse=True):
        at = lower.find(answer.lower().strip())
        if answer.strip() and at >= 0:
            return [at, at + len(answer.strip())]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/train/pairs.jsonl"))
    parser.add_argument("--max-pos", type=int, default=2)
    parser.add_argument("--max-neg", type=int, default=5)
    parser.add_argument("--ooc-neg", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(7)
    questions = news_questions()
    train_weeks, _ = split_weeks(questions)
    pools = WeekPools([q for q in questions if q.week in train_weeks], news_articles())
    weeks = sorted(pools.chunks)
    rows: list[dict[str, object]] = []
    counts = {"news_q": 0, "news_q_pos": 0}
    for q in questions:
        if q.week not in train_weeks:
            continue
        counts["news_q"] += 1
        found = labelled(q.question, pools.retrieve(q.question, q.week), q.answers, TOP)
        positives = [c for c, y in found if y and c.own_coverage > 0]
        negatives = [c for c, y in found if not y]
        if positives:
            counts["news_q_pos"] += 1
            rows += [{"q": q.question, "s": c.sentence, "y": 1, "src": "news", "a": answer_in(c.sentence, q.answers),
                      "g": f"news:{q.id}"} for c in positives[: args.max_pos]]
            rows += [{"q": q.question, "s": c.sentence, "y": 0, "src": "news", "g": f"news:{q.id}"}
                     for c in negatives[: args.max_neg]]
        other = rng.choice([w for w in weeks if w != q.week])
        for c, y in labelled(q.question, pools.retrieve(q.question, other), q.answers, args.ooc_neg):
            if not y:
                rows.append({"q": q.question, "s": c.sentence, "y": 0, "src": "ooc"})
    for n, (question, passage, answers) in enumerate(squad_items()):
        ranked = candidates(question, [passage])
        if answers:
            pos = [c for c in ranked if any(a in c.sentence for a in answers)]
            neg = [c for c in ranked if not any(a in c.sentence for a in answers)]
            rows += [{"q": question, "s": c.sentence, "y": 1, "src": "squad", "a": answer_in(c.sentence, answers),
                      "g": f"squad:{n}"} for c in pos[:1]]
            rows += [{"q": question, "s": c.sentence, "y": 0, "src": "squad", "g": f"squad:{n}"} for c in neg[:2]]
        else:
            rows += [{"q": question, "s": c.sentence, "y": 0, "src": "squad_impossible"} for c in ranked[:2]]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    by_src: dict[str, list[int]] = {}
    for row in rows:
        by_src.setdefault(str(row["src"]), []).append(int(row["y"]))  # type: ignore[call-overload]
    print(json.dumps({**counts, "pairs": len(rows),
                      **{k: {"n": len(v), "pos": sum(v)} for k, v in by_src.items()}}))


if __name__ == "__main__":
    main()
