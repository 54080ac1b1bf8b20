"""The three dev sets on one store, as their READMEs score them: dev_news_qa (quiz questions),
dev_direct_qa (short direct questions; two-part ones need every part) and dev_followups (asked turn
by turn in one conversation each). Evaluation only: figures are reported, never fitted.

    .venv/bin/python bench/dev_sets.py [--out FILE] [--only dev_followups]

Uses only `Bot` and `bot.evaluation.contains`, so the same script scores an older checkout too
(run it with that checkout first on PYTHONPATH) for a before/after in one run.
"""

import argparse
import inspect
import json
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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


UNDATED = False  # --undated: every question asked now, as a checkout without `asked_at` asks them


def ask(bot: Bot, q: dict[str, Any]) -> Any:
    """Asked at the question's `question_date` where it has one ("this week" means that week), by
    a checkout whose Bot takes `asked_at`."""
    when = q.get("question_date")
    if when and not UNDATED and "asked_at" in inspect.signature(bot.ask).parameters:
        day = datetime.fromisoformat(when).replace(tzinfo=UTC)
        return bot.ask(q["question"], asked_at=day + timedelta(days=1, microseconds=-1))
    return bot.ask(q["question"])


def single(bot: Bot, questions: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for q in questions:
        answer = ask(bot, q)
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
    understood: list[dict[str, Any]] = []
    for conversation in conversations:
        cid = f"dev-{conversation['id']}-{uuid.uuid4().hex[:8]}"
        for turn in conversation["turns"]:
            answer = bot.ask(turn["question"], conversation_id=cid)
            ok = right(turn, answer.text, answer.answerable)
            kinds[turn["kind"]].append(ok)
            if turn["kind"] != "first":  # how each follow-up was made to stand alone, for a spot-check
                understood.append({"kind": turn["kind"], "asked": turn["question"],
                                   "understood": answer.question, "right": ok})
            if not turn["answerable"]:
                unanswerable.append(ok)
    follow = [ok for kind, oks in kinds.items() if kind != "first" for ok in oks]
    return {"turn1_right": share(kinds["first"]), "followups_right": share(follow), "followups": len(follow),
            "unanswerable_declined": share(unanswerable),
            "by_kind": {k: share(v) for k, v in sorted(kinds.items()) if k != "first"}, "understood": understood}


SETS: dict[str, Callable[[Bot], dict[str, Any]]] = {
    "dev_news_qa": lambda bot: single(bot, read(DATA / "dev_news_qa" / "questions.jsonl")),
    "dev_direct_qa": lambda bot: single(bot, read(DATA / "dev_direct_qa" / "questions.jsonl")),
    "dev_followups": lambda bot: followups(bot, read(DATA / "dev_followups" / "conversations.jsonl")),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    parser.add_argument("--only", choices=SETS, action="append", help="score these sets only (repeatable)")
    parser.add_argument("--undated", action="store_true",
                        help="ask every question now, ignoring question_date (as an older checkout asks)")
    args = parser.parse_args()
    global UNDATED
    UNDATED = args.undated
    chosen = args.only or list(SETS)
    with tempfile.TemporaryDirectory(prefix="newsbot-dev-") as tmp:
        bot = Bot(data_dir=Path(tmp))
        bot.ingest([DATA / "dev_news_qa" / "articles.jsonl"])
        bot.ask("warm up")
        began = time.time()
        figures: dict[str, Any] = {name: SETS[name](bot) for name in chosen}
        figures["asking_s"] = round(time.time() - began)
    shown = {k: ({**v, "understood": f"{len(v['understood'])} in --out"} if "understood" in v else v)
             if isinstance(v, dict) else v for k, v in figures.items()}
    print(json.dumps(shown, indent=1))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
