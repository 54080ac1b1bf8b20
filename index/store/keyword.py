"""BM25 keyword scoring over the stored chunks, and the tokenizer the answerer shares."""

import copy
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from index.store.records import StoredChunk
from index.text import tokenize


class KeywordIndex:
    """An in-memory BM25 (Okapi, k1=1.2, b=0.75) index over chunks that takes additions and
    removals without a rebuild. Postings (per term: chunk numbers and term frequencies) live in a
    few sorted segments; an addition becomes a new segment, merged with the last one while that is
    at most twice its size (so each posting is merged O(log n) times), and a removal marks its
    chunks dead and takes them out of the document frequencies. IDF and the average length are
    read at query time from the live chunks only, so scores equal those of an index built from
    scratch over the same chunks; dead postings are dropped when they outnumber a quarter of the
    live chunks. `updated` changes a copy, so searches running on the old index are never
    disturbed (the vocabulary is shared and only grows)."""

    def __init__(self, chunks: Sequence[StoredChunk], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._build(chunks)

    def _build(self, chunks: Sequence[StoredChunk]) -> None:
        self.chunks: list[StoredChunk] = []
        self.vocabulary: dict[str, int] = {}
        self._df = np.zeros(0, dtype=np.int64)
        self._lengths = np.zeros(0, dtype=np.float32)
        self._alive = np.zeros(0, dtype=bool)
        # Each segment: per term id its postings' start (offsets[t]:offsets[t + 1]), chunk numbers, tf.
        self._segments: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._by_article: dict[str, tuple[int, ...]] = {}
        self._source_counts: Counter[str] = Counter()
        self._live, self._dead, self._total_length = 0, 0, 0.0
        self.add(chunks)

    def __len__(self) -> int:
        return self._live

    @property
    def sources(self) -> dict[str, set[str]]:
        """Case-folded source name -> the spellings stored."""
        out: dict[str, set[str]] = {}
        for source in self._source_counts:
            out.setdefault(source.casefold(), set()).add(source)
        return out

    def updated(self, articles: Iterable[str], chunks: Sequence[StoredChunk]) -> "KeywordIndex":
        """A copy with these articles' chunks taken out and `chunks` (their current ones) put in."""
        new = copy.copy(self)
        new.chunks, new._segments = list(self.chunks), list(self._segments)
        new._df, new._alive = self._df.copy(), self._alive.copy()
        new._by_article, new._source_counts = dict(self._by_article), Counter(self._source_counts)
        for article in articles:
            new.remove_article(article)
        new.add(chunks)
        return new

    def add(self, chunks: Sequence[StoredChunk]) -> None:
        """Index more chunks (an article re-added is removed first by the caller)."""
        if not chunks:
            return
        first = len(self.chunks)
        term_ids, doc_ids, freqs = array("i"), array("i"), array("f")
        lengths = np.zeros(len(chunks), dtype=np.float32)
        for offset, chunk in enumerate(chunks):
            doc = first + offset
            self.chunks.append(chunk)
            article = str(chunk.metadata.get("article_id", chunk.id))
            self._by_article[article] = (*self._by_article.get(article, ()), doc)
            if source := chunk.metadata.get("source"):
                self._source_counts[str(source)] += 1
            terms = tokenize(f"{chunk.metadata.get('title', '')}\n{chunk.text}")
            lengths[offset] = len(terms)
            for term, count in Counter(terms).items():
                term_ids.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                doc_ids.append(doc)
                freqs.append(count)
        terms_arr = np.frombuffer(term_ids, dtype=np.int32) if term_ids else np.zeros(0, np.int32)
        self._df = np.concatenate([self._df, np.zeros(len(self.vocabulary) - len(self._df), np.int64)])
        self._df += np.bincount(terms_arr, minlength=len(self.vocabulary))
        self._lengths = np.concatenate([self._lengths, lengths])
        self._alive = np.concatenate([self._alive, np.ones(len(chunks), dtype=bool)])
        self._live += len(chunks)
        self._total_length += float(lengths.sum())
        docs = np.frombuffer(doc_ids, dtype=np.int32) if doc_ids else np.zeros(0, np.int32)
        tf = np.frombuffer(freqs, dtype=np.float32) if freqs else np.zeros(0, np.float32)
        self._segments.append(_segment(terms_arr, docs, tf, len(self.vocabulary)))
        while len(self._segments) > 1 and len(self._segments[-2][1]) <= 2 * len(self._segments[-1][1]):
            last, before = self._segments.pop(), self._segments.pop()
            merged = np.concatenate([_term_ids(before[0]), _term_ids(last[0])])
            self._segments.append(_segment(merged, np.concatenate([before[1], last[1]]),
                                           np.concatenate([before[2], last[2]]), len(self.vocabulary)))

    def remove_article(self, article_id: str) -> int:
        """Take an article's chunks out of the index; returns how many there were."""
        docs = self._by_article.pop(article_id, ())
        for doc in docs:
            chunk = self.chunks[doc]
            self._alive[doc] = False
            terms = tokenize(f"{chunk.metadata.get('title', '')}\n{chunk.text}")
            self._df[[self.vocabulary[t] for t in set(terms)]] -= 1
            self._total_length -= float(self._lengths[doc])
            if source := chunk.metadata.get("source"):
                self._source_counts[str(source)] -= 1
                if self._source_counts[str(source)] <= 0:
                    del self._source_counts[str(source)]
        self._live -= len(docs)
        self._dead += len(docs)
        if self._dead > max(1000, self._live // 4):  # compact: drop the dead postings
            self._build([c for c, ok in zip(self.chunks, self._alive, strict=True) if ok])
        return len(docs)

    def idf_of(self, term: str) -> float | None:
        """BM25 IDF of a term over the live chunks; None when no live chunk holds it."""
        tid = self.vocabulary.get(term)
        if tid is None or tid >= len(self._df) or self._df[tid] <= 0:  # a later copy's term
            return None
        df = float(self._df[tid])
        return math.log(1 + (self._live - df + 0.5) / (df + 0.5))

    def search(self, query: str, k: int, allowed: Callable[[StoredChunk], bool] | None = None
               ) -> list[tuple[StoredChunk, float]]:
        if k <= 0 or not self._live:
            return []
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        avg = self._total_length / self._live or 1.0
        for term in set(tokenize(query)):
            idf = self.idf_of(term)
            if idf is None:
                continue
            tid = self.vocabulary[term]
            for offsets, docs, tf in self._segments:
                if tid + 1 >= len(offsets):  # a term newer than the segment
                    continue
                lo, hi = offsets[tid], offsets[tid + 1]
                if lo == hi:
                    continue
                d, f = docs[lo:hi], tf[lo:hi]
                norm = self.k1 * (1 - self.b + self.b * self._lengths[d] / avg)
                scores[d] += (idf * f * (self.k1 + 1) / (f + norm)).astype(np.float32)  # a term's chunks are distinct
        if self._dead:
            scores[~self._alive] = 0.0
        found = np.flatnonzero(scores)
        if allowed is None and len(found) > k:
            found = found[np.argpartition(-scores[found], k - 1)[:k]]
        ranked = found[np.argsort(-scores[found], kind="stable")]  # ties: earlier chunk first
        hits: list[tuple[StoredChunk, float]] = []
        for i in ranked:
            chunk = self.chunks[i]
            if allowed is None or allowed(chunk):
                hits.append((chunk, float(scores[i])))
                if len(hits) == k:
                    break
        return hits


def _segment(terms: np.ndarray, docs: np.ndarray, tf: np.ndarray, vocabulary: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Postings sorted by term, with each term's start: (offsets, chunk numbers, tf)."""
    order = np.argsort(terms, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=vocabulary))]).astype(np.int64)
    return offsets, docs[order], tf[order]


def _term_ids(offsets: np.ndarray) -> np.ndarray:
    """A segment's term id per posting, from its offsets."""
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int32), np.diff(offsets))
