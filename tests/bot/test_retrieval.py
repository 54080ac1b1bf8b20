"""The keyword index follows the store: this process's own writes are applied article by article,
any other writer's change rebuilds it; either way it scores as one built afresh from the store."""

import pytest

from bot import Bot
from bot.components import STORE_VERSION
from index.keyword import KeywordIndex
from tests.conftest import article


def results(index: KeywordIndex, query: str) -> list[tuple[str, float]]:
    return [(c.id, round(s, 4)) for c, s in index.search(query, 10)]


def test_own_writes_update_the_keyword_index_without_a_rebuild_and_others_rebuild_it(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    bot.ingest([article(n) for n in range(1, 4)])
    bot.retriever.keyword_index()
    reads = 0
    all_chunks = bot.store.all_chunks

    def counted() -> list[object]:
        nonlocal reads
        reads += 1
        return all_chunks()  # type: ignore[return-value]

    monkeypatch.setattr(bot.store, "all_chunks", counted)
    bot.ingest([article(4, text="A lighthouse keeper in Port Elm 4 retired on Friday after forty years.")])
    assert [c.metadata["title"] for c, _ in bot.retriever.keyword_index().search("lighthouse keeper", 3)] \
        == [article(4)["title"]]
    gone = next(a.id for a in bot.articles() if a.title == article(2)["title"])
    assert bot.delete(gone)
    index = bot.retriever.keyword_index()
    assert reads == 0 and len(index) == bot.store.count()
    fresh = KeywordIndex(all_chunks())
    for query in ("ferry line Port Elm", "mayor Ada Brandt", "lighthouse"):
        assert results(index, query) == results(fresh, query)
    assert all(c.metadata["article_id"] != gone for c, _ in index.search("ferry Port Elm 2", 20))

    bot.database.bump(STORE_VERSION)  # what another worker's write looks like from here
    assert len(bot.retriever.keyword_index()) == bot.store.count() and reads == 1
