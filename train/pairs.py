"""Build the reader's training pairs (question, sentence, label) into a JSONL file.

    .venv/bin/python -m train.pairs --out build/train/pairs.jsonl

Sources (read from ../shared/data, see train/data.py):
- train_news_qa, training weeks only: the question's BM25-retrieved passages from its week's
  articles; among the first-stage top candidates, sentences holding the answer string are
  positives (weak labels), the others hard negatives (they share the question's words, and
  often hold a wrong quiz choice). The same question over another week's articles gives
  out-of-corpus negatives, the case a decline must catch. `--mined N` adds up to N positives per
  question from its answer articles beyond those candidates (tried, not shipped: MODEL.md).
- SQuAD 2.0: the sentence holding the gold span is a positive, the paragraph's other
  sentences negatives; every sentence of an unanswerable question's paragraph is a negative
  (SQuAD wrote those questions to look answerable).
- squad_extra (`--extra N`: up to N of its training-side questions, 0 = none, -1 = all; its
  held-out tenth is never read here): as SQuAD 2.0, with the positive found by the gold span's
  offsets. The paragraph's other sentences are in-context negatives: the same story, not the
  fact asked for, the case a decline must catch beside the off-topic one.
"""

import argparse
import json
import random
from pathlib import Path

from bot.answer.candidates import Candidate, candidates
from bot.answer.retrieval import Passage
from bot.evaluation import contains
from train.data import (
    NewsQuestion,
    WeekPools,
    extra_items,
    labelled,
    news_articles,
    news_questions,
    sentence_span,
    shuffled,
    split_weeks,
    squad_items,
)

TOP = 10  # first-stage candidates looked at per question (the reader reads 8 at ask time)


def answer_in(sentence: str, answers: list[str]) -> list[int] | None:
    """Character span of the first answer string found in the sentence (for the span head)."""
    lower = sentence.lower()
    for answer in sorted(answers, key=len, reverse=True):
        at = lower.find(answer.lower().strip())
        if answer.strip() and at >= 0:
            return [at, at + len(answer.strip())]
    return None


MINED_COVERAGE = 0.25  # of the question's weight, in the sentence and its passage together
MINED_NAME_GAP = 0.3  # most of the question's names in the passage: the same story


def mined_positives(q: NewsQuestion, pools: WeekPools) -> list[Candidate]:
    """Sentences of the question's own answer articles that hold the answer string, in a passage
    about the question's story, best first-stage score first, wherever the first stage ranks
    them: the positives of the top candidates alone share many of the question's words, and a
    reader trained on those alone learns word overlap more than paraphrase ("conscripted" for
    "call up"). `article_ids` are any search result holding the answer string, so the story
    filter keeps out most sentences that hold it by chance."""
    wanted = set(q.article_ids)
    own = [Passage(c, 0.0) for c in pools.chunks[q.week] if c.metadata.get("article_id") in wanted]
    return [c for c in candidates(q.question, own)
            if c.own_coverage > 0 and c.coverage >= MINED_COVERAGE and c.missing_names <= MINED_NAME_GAP
            and any(contains(c.sentence, a) for a in q.answers)]


def extra_rows(limit: int, skip: int = 0) -> list[dict[str, object]]:
    """Pairs from squad_extra's training side: the sentence holding a gold span (by offset) is a
    positive with its span, two other sentences of the paragraph (best first-stage score first)
    in-context negatives; an unanswerable question's top two sentences are negatives."""
    items = shuffled([q for q in extra_items() if not q.held_out], seed=11)[skip:]
    rows: list[dict[str, object]] = []
    for q in items if limit < 0 else items[:limit]:
        ranked = candidates(q.question, [q.passage])
        context = q.passage.chunk.text
        src = f"extra:{q.dataset}"
        if not q.spans:
            rows += [{"q": q.question, "s": c.sentence, "y": 0, "src": f"{src}:impossible"} for c in ranked[:2]]
            continue
        spans = [(c, sentence_span(context, c.sentence, q.spans)) for c in ranked]
        pos = [(c, span) for c, span in spans if span is not None][:1]
        if not pos:
            continue  # the answer lies in no whole sentence (a fragment, a caption): nothing to learn from
        neg = [c for c, span in spans if span is None and not any(
            context[s:e].lower() in c.sentence.lower() for s, e in q.spans)][:2]
        rows += [{"q": q.question, "s": c.sentence, "y": 1, "src": src, "a": span, "g": f"{src}:{q.id}"}
                 for c, span in pos]
        rows += [{"q": q.question, "s": c.sentence, "y": 0, "src": src, "g": f"{src}:{q.id}"} for c in neg]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/train/pairs.jsonl"))
    parser.add_argument("--max-pos", type=int, default=2)
    parser.add_argument("--max-neg", type=int, default=5)
    parser.add_argument("--ooc-neg", type=int, default=2)
    parser.add_argument("--mined", type=int, default=0,
                        help="positives added per question from its answer articles beyond the top candidates")
    parser.add_argument("--extra", type=int, default=0,
                        help="squad_extra training questions to add (0 none, -1 all); its held-out tenth is never used")
    parser.add_argument("--extra-skip", type=int, default=0,
                        help="skip the first K of squad_extra's fixed shuffle: those a run to be continued "
                             "(train.reader --init) has read, e.g. --extra -1 --extra-skip 40000")
    args = parser.parse_args()
    rng = random.Random(7)
    questions = news_questions()
    train_weeks, _ = split_weeks(questions)
    pools = WeekPools([q for q in questions if q.week in train_weeks], news_articles())
    weeks = sorted(pools.chunks)
    rows: list[dict[str, object]] = []
    counts = {"news_q": 0, "news_q_pos": 0, "news_mined": 0}
    for q in questions:
        if q.week not in train_weeks:
            continue
        counts["news_q"] += 1
        found = labelled(q.question, pools.retrieve(q.question, q.week), q.answers, TOP)
        positives = [c for c, y in found if y and c.own_coverage > 0][: args.max_pos]
        negatives = [c for c, y in found if not y]
        if args.mined:
            have = {c.sentence for c in positives}
            extra = [c for c in mined_positives(q, pools) if c.sentence not in have][: args.mined]
            counts["news_mined"] += len(extra)
            positives += extra
        if positives:
            counts["news_q_pos"] += 1
            rows += [{"q": q.question, "s": c.sentence, "y": 1, "src": "news", "a": answer_in(c.sentence, q.answers),
                      "g": f"news:{q.id}"} for c in positives]
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
    if args.extra:
        rows += extra_rows(args.extra, args.extra_skip)
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
