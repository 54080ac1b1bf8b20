"""The ranking loss compares a question's candidates with each other, so its batches must hold
every candidate of a question together; rows without a question stand alone."""

import random
from collections import Counter

from train.reader import grouped_batches, plan_window


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


def test_a_run_that_trains_on_from_another_reads_the_batches_that_one_did_not() -> None:
    def window(start: float, epochs: float) -> list[list[str]]:
        plan = plan_window(rows(), 8, random.Random(5), grouped_batches, start, epochs)
        return [[str(r["q"]) + str(r["s"]) for r in b] for b in plan]

    whole = window(0, 1)
    first, second = window(0, 0.4), window(0.4, 0.4)
    assert first == whole[:int(len(whole) * 0.4)] and second == whole[int(len(whole) * 0.4):int(len(whole) * 0.8)]
    assert not {r for b in first for r in b} & {r for b in second for r in b}
    assert window(1, 1) == window(0, 2)[len(whole):]  # a second epoch is shuffled anew, the same either way
