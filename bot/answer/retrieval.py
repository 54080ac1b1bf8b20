"""Hybrid retrieval: Chroma vectors and BM25 keywords over the same chunks, fused by RRF."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.answer.cache import LRU
from bot.models import Filters
from index.errors import DatabaseError
from index.store.batching import QueryBatcher
from index.store.chunks import ChunkStore, StoredChunk
from index.store.keyword import KeywordIndex

# Articles the keyword index catches up with one by one (a store read each) rather than rebuild:
# at least this many, more in a large store (a rebuild costs ~0.1 ms per chunk).
INCREMENTAL_ARTICLES = 64
# How long the keyword index may disagree with the store's size before it is rebuilt: a write is
# logged just after it lands (milliseconds), so only a write the log never names lasts this long.
UNLOGGED_S = 5.0


class ChangeLog(Protocol):
    """What every writer to the store logs (`bot.db.database.SharedDatabase`): which articles each
    write touched, in order, so every worker's keyword index can catch up with them alone."""

    def last_change(self) -> int: ...

    def changes_after(self, seq: int, limit: int) -> tuple[int, set[str]] | None: ...


@dataclass
class Passage:
    chunk: StoredChunk
    score: float  # fused reciprocal-rank score
    dense: float = 0.0  # cosine similarity, 0 when only keywords found it
    keyword: float = 0.0  # BM25 score, 0 when only vectors found it

    @property
    def article_id(self) -> str:
        return self.chunk.article_id

    @property
    def published(self) -> str:
        return str(self.chunk.metadata.get("published", ""))


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.published_after:
        clauses.append({"published_ts": {"$gte": int(filters.published_after.timestamp())}})
    if filters.published_before:
        clauses.append({"published_ts": {"$lte": int(filters.published_before.timestamp())}})
    if filters.source:
        clauses.append({"source": {"$in": filters.source}})
    if filters.article_id:
        clauses.append({"article_id": {"$in": filters.article_id}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def matches(filters: Filters | None, chunk: StoredChunk) -> bool:
    """The same test as `chroma_where`, for the keyword side."""
    if filters is None:
        return True
    meta = chunk.metadata
    ts = meta.get("published_ts")
    if filters.published_after and (ts is None or ts < filters.published_after.timestamp()):
        return False
    if filters.published_before and (ts is None or ts > filters.published_before.timestamp()):
        return False
    if filters.source and meta.get("source") not in filters.source:
        return False
    return not (filters.article_id and meta.get("article_id") not in filters.article_id)


def fuse(dense: list[tuple[StoredChunk, float]], keyword: list[tuple[StoredChunk, float]], k: int,
         rrf_k: int = 60) -> list[Passage]:
    """The best `k` passages by reciprocal-rank fusion of a vector ranking (cosine similarities)
    and a keyword ranking (BM25 scores); the calibration simulates retrieval with it too."""
    fused: dict[str, Passage] = {}
    for rank, (chunk, similarity) in enumerate(dense):
        passage = fused.setdefault(chunk.id, Passage(chunk, 0.0))
        passage.score += 1.0 / (rrf_k + rank + 1)
        passage.dense = similarity
    for rank, (chunk, bm25) in enumerate(keyword):
        passage = fused.setdefault(chunk.id, Passage(chunk, 0.0))
        passage.score += 1.0 / (rrf_k + rank + 1)
        passage.keyword = bm25
    ranked = sorted(fused.values(), key=lambda p: p.published, reverse=True)  # newer wins ties
    ranked.sort(key=lambda p: p.score, reverse=True)
    return ranked[:k]


class HybridRetriever:
    def __init__(self, store: ChunkStore, embeddings: Embeddings, dense_k: int = 20, keyword_k: int = 20,
                 rrf_k: int = 60, recheck_s: float = 1.0, vector_cache: int = 4096,
                 version: Callable[[], str] | None = None, cache_bytes: int = 64_000_000,
                 change_log: Callable[[], ChangeLog] | None = None) -> None:
        self.store, self.embeddings = store, embeddings
        self.dense_k, self.keyword_k, self.rrf_k = dense_k, keyword_k, rrf_k
        self.recheck_s = recheck_s
        self._keyword: KeywordIndex | None = None
        self.version, self.change_log = version, change_log
        self._key: tuple[int, int, str] = (-1, -1, "")  # (generation, count, version) last read
        self._built: tuple[int, int, str] = (-1, -1, "")  # the key the keyword index reflects
        self._built_change: int | None = None  # the change log's position it reflects (None: unknown)
        self._unlogged_since: float | None = None  # when its size first disagreed with the store's
        self._checked = 0.0
        self._lock = threading.Lock()
        # A question of up to 20,000 characters and 32 bytes per float of its vector in a list.
        self._vectors: LRU[str, list[float]] = LRU(vector_cache, cache_bytes,
                                                   lambda q, v: 100 + 2 * len(q) + 32 * len(v))
        # Concurrent requests' questions embedded as one batch, where the embedder can (index.store.batching).
        many = getattr(embeddings, "embed_queries", None)
        self.batcher = QueryBatcher(many) if callable(many) else None

    def signature(self) -> tuple[int, int, str]:
        """Changes whenever the stored chunks do: this process's writes and, through the shared
        `version` every writer bumps (one small database read per call), another process's at
        once, so an article is never cited after its delete has returned; the store's size (for
        writers that bypass the version) is read at most every `recheck_s`."""
        version = self.version() if self.version else ""
        with self._lock:
            now = time.monotonic()
            old_generation, _, old_version = self._key
            if old_generation != self.store.generation or old_version != version \
                    or now - self._checked >= self.recheck_s:
                self._key = (self.store.generation, self.store.count(), version)
                self._checked = now
            return self._key

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index over the stored chunks. When the signature changes, the articles the
        change log names (any worker's writes) are applied one by one, so an ingest into a large
        store costs the next question milliseconds, not a rebuild; without a usable log (too many
        changes, a writer that logged nothing) it is rebuilt from the store."""
        key = self.signature()
        with self._lock:
            if self._keyword is not None and key != self._built:
                self._keyword = self._caught_up(self._keyword, key)
            if self._keyword is None:
                position = self._log_position()  # before the read: a write during it is applied again later
                self._keyword = KeywordIndex(self.store.all_chunks())
                self._built, self._built_change, self._unlogged_since = key, position, None
            return self._keyword

    def _log_position(self) -> int | None:
        try:
            return self.change_log().last_change() if self.change_log else None
        except DatabaseError:
            return None

    def _caught_up(self, index: KeywordIndex, key: tuple[int, int, str]) -> KeywordIndex | None:
        if self.change_log is None or self._built_change is None:
            return None
        try:
            found = self.change_log().changes_after(self._built_change, max(INCREMENTAL_ARTICLES, len(index) // 50))
        except DatabaseError:
            return None
        if found is None:
            return None
        position, changed = found
        if changed:
            index = index.updated(changed, [c for a in sorted(changed) for c in self.store.article_chunks(a)])
        self._built_change = position
        if len(index) == key[1]:
            self._built, self._unlogged_since = key, None
            return index
        # A write under way (landed, not logged yet: looked at again next time) or one never logged.
        now = time.monotonic()
        if self._unlogged_since is None:
            self._unlogged_since = now
        return None if now - self._unlogged_since >= UNLOGGED_S else index

    def embed_query(self, question: str) -> list[float]:
        vector = self._vectors.get(question)
        if vector is None:
            vector = self.batcher.embed(question) if self.batcher else self.embeddings.embed_query(question)
            self._vectors.put(question, vector)
        return vector

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Passage]:
        vector = self.embed_query(question)
        dense = self.store.search(vector, self.dense_k, chroma_where(filters))
        allowed = (lambda c: matches(filters, c)) if filters else None
        keyword = self.keyword_index().search(question, self.keyword_k, allowed) \
            if self.keyword_k else []
        top = fuse(dense, keyword, k, self.rrf_k)
        gone = self._fill_dense(vector, [p for p in top if p.dense == 0.0])
        # A chunk deleted since the keyword index was built is not cited (the vector side is current).
        return [p for p in top if p.chunk.id not in gone]

    def _fill_dense(self, vector: list[float], passages: list[Passage]) -> set[str]:
        """Passages only the keyword side found get their similarity too: the answerer weighs
        it, and it must not depend on whether the passage made the store's vector top-k.
        Returns the ids of those no longer stored."""
        stored = self.store.vectors([p.chunk.id for p in passages])
        q = np.asarray(vector, dtype=np.float64)
        for p in passages:
            v = stored.get(p.chunk.id)
            if v:
                d = np.asarray(v, dtype=np.float64)
                p.dense = float(d @ q / ((np.linalg.norm(d) * np.linalg.norm(q)) or 1.0))
        return {p.chunk.id for p in passages if p.chunk.id not in stored}
