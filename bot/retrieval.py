"""Hybrid retrieval: Chroma vectors and BM25 keywords over the same chunks, fused by RRF."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.cache import LRU
from bot.models import Filters
from index.batching import QueryBatcher
from index.keyword import KeywordIndex
from index.store import ChunkStore, StoredChunk

# Articles the keyword index catches up with one by one (a store read each) rather than rebuild:
# at least this many, more in a large store (a rebuild costs ~0.1 ms per chunk).
INCREMENTAL_ARTICLES = 64


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
                 version: Callable[[], str] | None = None, cache_bytes: int = 64_000_000) -> None:
        self.store, self.embeddings = store, embeddings
        self.dense_k, self.keyword_k, self.rrf_k = dense_k, keyword_k, rrf_k
        self.recheck_s = recheck_s
        self._keyword: KeywordIndex | None = None
        self.version = version
        self._key: tuple[int, int, str] = (-1, -1, "")  # (generation, count, version) last read
        self._built: tuple[int, int, str] = (-1, -1, "")  # the key the keyword index reflects
        self._own_versions: dict[str, str] = {}  # version before -> after, of this process's writes
        self._checked = 0.0
        self._lock = threading.Lock()
        # A question of up to 20,000 characters and 32 bytes per float of its vector in a list.
        self._vectors: LRU[str, list[float]] = LRU(vector_cache, cache_bytes,
                                                   lambda q, v: 100 + 2 * len(q) + 32 * len(v))
        # Concurrent requests' questions embedded as one batch, where the embedder can (index.batching).
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

    def own_write(self, before: str, after: str) -> None:
        """The shared version went from `before` to `after` by this process's writes alone, which
        the store's change list names: the keyword index may catch up with them one by one."""
        with self._lock:
            self._own_versions[before] = after
            while len(self._own_versions) > 256:
                del self._own_versions[next(iter(self._own_versions))]

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index over the stored chunks. When the signature changes, this process's own
        writes are applied article by article (an ingest into a large store costs the next
        question milliseconds, not a rebuild); any other change rebuilds it from the store."""
        key = self.signature()
        with self._lock:
            if self._keyword is not None and key != self._built:
                self._keyword = self._caught_up(self._keyword, key)
            if self._keyword is None:
                self._keyword, self._built = KeywordIndex(self.store.all_chunks()), key
            return self._keyword

    def _caught_up(self, index: KeywordIndex, key: tuple[int, int, str]) -> KeywordIndex | None:
        _, count, version = key
        built_generation, _, built_version = self._built
        steps = 0
        while built_version != version and built_version in self._own_versions and steps < 256:
            built_version, steps = self._own_versions[built_version], steps + 1
        changed = self.store.changed_since(built_generation) if built_version == version else None
        if changed is None or len(changed) > max(INCREMENTAL_ARTICLES, len(index) // 50):
            return None  # another writer, or more than rebuilding costs
        chunks = [c for article in sorted(changed) for c in self.store.article_chunks(article)]
        index = index.updated(changed, chunks)
        if len(index) != count:  # a write this process did not make: rebuild
            return None
        self._built = key
        return index

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
