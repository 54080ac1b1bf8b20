"""Hybrid retrieval: Chroma vectors and BM25 keywords over the same chunks, fused by RRF."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.answer.cache import LRU
from bot.answer.keyword_sync import ChangeLog, CurrentKeywordIndex
from bot.models import Filters
from index.store.batching import QueryBatcher
from index.store.chunks import ChunkStore, StoredChunk
from index.store.keyword import KeywordIndex


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
        self.keywords = CurrentKeywordIndex(store, version, change_log, recheck_s)
        # A question of up to 20,000 characters and 32 bytes per float of its vector in a list.
        self._vectors: LRU[str, list[float]] = LRU(vector_cache, cache_bytes,
                                                   lambda q, v: 100 + 2 * len(q) + 32 * len(v))
        # Concurrent requests' questions embedded as one batch, where the embedder can (index.store.batching).
        many = getattr(embeddings, "embed_queries", None)
        self.batcher = QueryBatcher(many) if callable(many) else None

    def signature(self) -> tuple[int, int, str]:
        """Changes whenever the stored chunks do (`CurrentKeywordIndex.signature`)."""
        return self.keywords.signature()

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index over the stored chunks, current with every worker's writes."""
        return self.keywords.index()

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
