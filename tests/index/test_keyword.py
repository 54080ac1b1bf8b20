"""The BM25 index takes additions and removals in place and scores exactly as one built afresh."""

import random

import pytest

from index.store.keyword import KeywordIndex
from index.store.records import StoredChunk

WORDS = ["harbour", "ferry", "mayor", "museum", "tickets", "council", "river", "bridge", "summit", "spending",
         "target", "election", "storm", "flood", "vaccine", "court", "ruling", "strike", "union", "market", "rocket"]


def chunks_of(article: int, n: int, rng: random.Random) -> list[StoredChunk]:
    return [StoredChunk(f"a{article}:{i}", " ".join(rng.choices(WORDS, k=rng.randint(5, 40))),
                        {"article_id": f"a{article}", "title": f"Story {article} {rng.choice(WORDS)}",
                         "source": rng.choice(["Gazette", "Herald"])})
            for i in range(n)]


def same_results(one: KeywordIndex, other: KeywordIndex) -> None:
    for query in ["harbour ferry", "spending target summit", "storm flood river", "rocket", "unknownword"]:
        got = [(c.id, s) for c, s in one.search(query, 10)]
        want = [(c.id, s) for c, s in other.search(query, 10)]
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-5)


@pytest.mark.parametrize("articles", [30, 800])  # 800: enough removals to compact (drop dead postings)
def test_an_index_changed_article_by_article_scores_as_one_built_afresh(articles: int) -> None:
    rng = random.Random(articles)
    stored = {a: chunks_of(a, rng.randint(1, 6), rng) for a in range(articles)}
    index = KeywordIndex([])
    for chunks in stored.values():
        index = index.updated([], chunks)
    removed = 0
    for a in rng.sample(sorted(stored), articles // 2):  # half deleted
        index = index.updated([f"a{a}"], [])
        removed += len(stored.pop(a))
    changed = rng.choice(sorted(stored))  # one re-written with other words, now the newest (ties: older first)
    stored.pop(changed)
    stored[changed] = chunks_of(changed, 3, rng)
    index = index.updated([f"a{changed}"], stored[changed])
    fresh = KeywordIndex([c for chunks in stored.values() for c in chunks])
    assert len(index) == len(fresh)
    dead = len(index.chunks) - len(index)  # chunks still held though removed
    assert dead <= max(1000, len(index) // 4)
    assert articles < 800 or dead < removed  # it dropped dead postings on the way
    assert index.sources == fresh.sources
    assert index.idf_of("ferry") == pytest.approx(fresh.idf_of("ferry"))
    same_results(index, fresh)


def test_updating_leaves_the_index_it_copies_untouched() -> None:
    rng = random.Random(3)
    index = KeywordIndex([c for a in range(5) for c in chunks_of(a, 3, rng)])
    before = [(c.id, s) for c, s in index.search("harbour ferry", 10)]
    new = index.updated(["a0", "a1"], [StoredChunk("n:0", "lighthouse keeper", {"article_id": "n"})])
    assert [(c.id, s) for c, s in index.search("harbour ferry", 10)] == before
    assert index.idf_of("lighthouse") is None and index.search("lighthouse", 3) == []
    assert [c.id for c, _ in new.search("lighthouse", 3)] == ["n:0"]
    assert not any(c.metadata["article_id"] in ("a0", "a1") for c, _ in new.search("harbour ferry", 50))
