"""The ranking loss compares a question's candidates with each other, so its batches must hold
every candidate of a question together; rows without a question stand alone."""

import random
from collections import Counter

from train.reader import grouped_batches


def rows() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for q in range(40):
        size = 7 if q % 2 else 3  # a news question's 2 + 5, a SQuAD question's 1 + 2
        out += [{"q": f"question {q}" + " word" * (q % 9), "s": f"sentence {n}", "y": int(n == 0), "g": f"g{q}"}
                for n in range(size)]
    out += [{"q": f"other {n}", "s": "an out-of-corpus sentence", "y": 0} for n in range(25)]
    return out


def test_every_question_lies_whole_in_one_batch_and_every_row_once() -> None:
    data = rows()
    batches = grouped_batches(data, 32, random.Random(1))
    where: dict[object, int] = {}
    for n, batch in enumerate(batches):
        assert 0 < len(batch) <= 32
        for row in batch:
            if "g" in row:
                assert where.setdefault(row["g"], n) == n, f"{row['g']} split across batches"
    seen = Counter(id(row) for batch in batches for row in batch)
    assert len(seen) == len(data) and set(seen.values()) == {1}


def test_the_order_depends_on_the_seed_only() -> None:
    def order(seed: int) -> list[str]:
        return [str(r["q"]) + str(r["s"]) for b in grouped_batches(rows(), 32, random.Random(seed)) for r in b]

    assert order(3) == order(3)
    assert order(3) != order(4)
