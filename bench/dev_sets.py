"""The three dev sets on one store, as their READMEs score them: dev_news_qa (quiz questions),
dev_direct_qa (short direct questions; two-part ones need every part) and dev_followups (asked turn
by turn in one conversation each). Evaluation only: figures are reported, never fitted.

    .venv/bin/python bench/dev_sets.py [--out FILE]

Uses only `Bot` and `bot.evaluation.contains`, so the same script scores an older checkout too
(run it with that checkout first on PYTHONPATH) for a before/after in one run.
"""

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot import Bot
from bot.evaluation import contains

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def right(item: dict[str, Any], text: str, answerable: bool) -> bool:
    """Answerable: holds a gold string (or one of every `all_of` group); unanswerable: declined."""
    if not item.get("answerable", True) or not (item.get("answers") or item.get("all_of")):
        return not answerable
    if not answerable:
        return False
    if item.get("all_of"):
        return all(any(contains(text, alt) for alt in group) for group in item["all_of"])
    return any(contains(text, str(g)) for g in item["answers"])


def share(values: list[bool]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0


def single(bot: Bot, questions: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for q in questions:
        answer = bot.ask(q["question"])
        rows.append((q, answer.answerable, right(q, answer.text, answer.answerable), len(answer.text.split())))
    pos = [r for r in rows if r[0].get("answerable", bool(r[0].get("answers")))]
    neg = [r for r in rows if r not in pos]
    styles: dict[str, list[bool]] = defaultdict(list)
    for q, _, ok, _ in rows:
        if q.get("style"):
            styles[q["style"]].append(ok)
    return {"n": len(rows), "right_answerable": share([r[2] for r in pos]),
            "declined_unanswerable": share([not r[1] for r in neg]), "false_refusals": share([not r[1] for r in pos]),
            "median_words": statistics.median([r[3] for r in pos if r[1]] or [0]),
            **({"by_style": {s: share(v) for s, v in sorted(styles.items())}} if styles else {})}


def followups(bot: Bot, conversations: list[dict[str, Any]]) -> dict[str, Any]:
    kinds: dict[str, list[bool]] = defaultdict(list)
    unanswerable: list[bool] = []
    for conversation in conversations:
        cid = f"dev-{conversation['id']}-{uuid.uuid4().hex[:8]}"
        for turn in conversation["turns"]:
            answer = bot.ask(turn["question"], conversation_id=cid)
            ok = right(turn, answer.text, answer.answerable)
            kinds[turn["kind"]].append(ok)
            if not turn["answerable"]:
                unanswerable.append(ok)
    follow = [ok for kind, oks in kinds.items() if kind != "first" for ok in oks]
    return {"turn1_right": share(kinds["first"]), "followups_right": share(follow), "followups": len(follow),
            "unanswerable_declined": share(unanswerable),
            "by_kind": {k: share(v) for k, v in sorted(kinds.items()) if k != "first"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsbot-dev-") as tmp:
        bot = Bot(data_dir=Path(tmp))
        bot.ingest([DATA / "dev_news_qa" / "articles.jsonl"])
        bot.ask("warm up")
        began = time.time()
        figures = {"dev_news_qa": single(bot, read(DATA / "dev_news_qa" / "questions.jsonl")),
                   "dev_direct_qa": single(bot, read(DATA / "dev_direct_qa" / "questions.jsonl")),
                   "dev_followups": followups(bot, read(DATA / "dev_followups" / "conversations.jsonl")),
                   "asking_s": round(time.time() - began)}
    print(json.dumps(figures, indent=1))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
