"""Reweigh a pairs file by source: repeat some sources, keep a sample of others' questions.

    .venv/bin/python -m train.mix --pairs build/train/pairs-rest.jsonl --repeat news=3 \
        --keep extra=0.15 --out build/train/pairs-news.jsonl

Why: training on more squad_extra alone pulls the reader towards Wikipedia-style text and away
from news (MODEL.md, the +114k point); a continuation over a mix that weighs the news weeks up
keeps what the squad_extra runs taught and reads news more. A source is matched by its "src"
prefix ("extra" matches every "extra:..."). Questions are kept or dropped whole (their "g"
group), so the listwise loss still sees each kept question's candidates together; a repeated
question's copies get their own groups, so no batch holds one question twice.
"""

import argparse
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path


def weight_of(src: str, weights: dict[str, float]) -> float:
    """The weight of the longest prefix of `src` named in `weights` (1 when none is)."""
    best, found = 1.0, -1
    for name, weight in weights.items():
        if (src == name or src.startswith(name + ":")) and len(name) > found:
            best, found = weight, len(name)
    return best


def mixed(rows: Iterable[dict[str, object]], repeat: dict[str, int], keep: dict[str, float],
          seed: int = 0) -> Iterator[dict[str, object]]:
    """Each row `repeat` times (its copies in groups of their own), if its question is kept: a
    question group of a source with keep fraction f is kept with probability f, decided once
    per group by a seeded draw."""
    rng = random.Random(seed)
    decided: dict[str, bool] = {}
    for n, row in enumerate(rows):
        src = str(row.get("src", ""))
        group = str(row.get("g") or f"row:{n}")
        if group not in decided:
            decided[group] = rng.random() < weight_of(src, {k: float(v) for k, v in keep.items()})
        if not decided[group]:
            continue
        times = int(weight_of(src, {k: float(v) for k, v in repeat.items()}))
        for copy in range(times):
            if copy == 0 or not row.get("g"):
                yield row
            else:
                yield {**row, "g": f"{row['g']}#{copy}"}


def parse_weights(items: list[str], kind: type) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in items:
        name, _, value = item.partition("=")
        if not name or not value:
            raise SystemExit(f"train.mix: expected SOURCE=NUMBER, got {item!r}")
        weights[name] = kind(value)
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", nargs="*", default=[], help="SOURCE=N: each of its rows N times")
    parser.add_argument("--keep", nargs="*", default=[], help="SOURCE=F: keep a fraction F of its questions")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    repeat = {k: int(v) for k, v in parse_weights(args.repeat, int).items()}
    keep = parse_weights(args.keep, float)
    counts: dict[str, int] = {}
    with args.pairs.open() as source, args.out.open("w") as out:
        for row in mixed((json.loads(line) for line in source), repeat, keep, args.seed):
            counts[str(row.get("src"))] = counts.get(str(row.get("src")), 0) + 1
            out.write(json.dumps(row) + "\n")
    print(json.dumps({"pairs": sum(counts.values()), "by_source": counts}))


if __name__ == "__main__":
    main()
