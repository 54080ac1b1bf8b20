"""The keyword index follows the store: every write is logged in the shared database and applied
article by article (another worker's too: tests/integration/test_stores.py); a write the log does
not name rebuilds it; either way it scores as one built afresh from the store."""

import pytest

from bot import Bot
from bot.answer import keyword_sync
from index.store.keyword import KeywordIndex
from tests.conftest import article, count_store_reads, ranked


@pytest.fixture
def rebuilds(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_store_reads(bot.store, monkeypatch)


def test_writes_are_applied_article_by_article(bot: Bot, rebuilds: list[int]) -> None:
    bot.ingest([article(n) for n in range(1, 4)])
    bot.retriever.keyword_index()
    assert len(rebuilds) == 1
    bot.ingest([article(4, text="A lighthouse keeper in Port Elm 4 retired on Friday after forty years.")])
    assert [c.metadata["title"] for c, _ in bot.retriever.keyword_index().search("lighthouse keeper", 3)] \
        == [article(4)["title"]]
    gone = next(a.id for a in bot.articles() if a.title == article(2)["title"])
    assert bot.delete(gone)
    index = bot.retriever.keyword_index()
    assert len(rebuilds) == 1 and len(index) == bot.store.count()
    fresh = KeywordIndex(bot.store.all_chunks())
    for query in ("ferry line Port Elm", "mayor Ada Brandt", "lighthouse"):
        assert ranked(index, query) == ranked(fresh, query)
    assert all(c.metadata["article_id"] != gone for c, _ in index.search("ferry Port Elm 2", 20))


def test_a_write_the_log_does_not_name_rebuilds_the_index(bot: Bot, rebuilds: list[int],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    bot.ingest([article(1)])
    bot.retriever.keyword_index()
    bot.store.on_change = None  # a writer that logs nothing (its database was down)
    bot.ingest([article(2)])
    assert len(bot.retriever.keyword_index()) < bot.store.count() and len(rebuilds) == 1  # maybe under way
    monkeypatch.setattr(keyword_sync, "UNLOGGED_S", 0.0)  # as if it had stayed unlogged a while
    index = bot.retriever.keyword_index()
    assert len(index) == bot.store.count() and len(rebuilds) == 2
    assert index.search("Port Elm 2", 1)[0][0].metadata["title"] == article(2)["title"]
