"""BM25 keyword scoring over the stored chunks, and the tokenizer the answerer shares."""

import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from index.records import StoredChunk

STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves s t don said says say according week this year recently one
new
""".split()  # noqa: SIM905
)

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")


def stem(word: str) -> str:
    """Light suffix stripping: enough to match plurals and simple verb forms."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, lightly stemmed terms."""
    text = text.lower().replace("’", "'")
    return [stem(t) for t in _TOKEN.findall(text.replace("'s ", " ")) if t not in STOPWORDS]


class KeywordIndex:
    """An in-memory BM25 (Okapi, k1=1.2, b=0.75) index over chunks, held as compressed postings
    (per term: chunk numbers and their precomputed BM25 weights), so a query costs a few
    vectorised additions whatever the number of chunks."""

    def __init__(self, chunks: Sequence[StoredChunk], k1: float = 1.2, b: float = 0.75) -> None:
        self.chunks = list(chunks)
        self.k1, self.b = k1, b
        self.sources: dict[str, set[str]] = {}  # case-folded source name -> the spellings stored
        for chunk in self.chunks:
            if source := chunk.metadata.get("source"):
                self.sources.setdefault(str(source).casefold(), set()).add(str(source))
        n = len(self.chunks)
        self.vocabulary: dict[str, int] = {}
        term_ids, doc_ids, freqs = array("i"), array("i"), array("f")
        lengths = np.zeros(n, dtype=np.float32)
        for i, chunk in enumerate(self.chunks):
            terms = tokenize(f"{chunk.metadata.get('title', '')}\n{chunk.text}")
            lengths[i] = len(terms)
            for term, tf in Counter(terms).items():
                term_ids.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                doc_ids.append(i)
                freqs.append(tf)
        terms_arr = np.frombuffer(term_ids, dtype=np.int32) if term_ids else np.zeros(0, np.int32)
        order = np.argsort(terms_arr, kind="stable")
        terms_arr = terms_arr[order]
        self._docs = (np.frombuffer(doc_ids, dtype=np.int32) if doc_ids else np.zeros(0, np.int32))[order]
        tf_arr = (np.frombuffer(freqs, dtype=np.float32) if freqs else np.zeros(0, np.float32))[order]
        df = np.bincount(terms_arr, minlength=len(self.vocabulary))
        self._offsets = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        avg = float(lengths.mean()) if n else 0.0
        norm = k1 * (1 - b + b * lengths[self._docs] / (avg or 1.0))
        self._weights = (idf[terms_arr] * tf_arr * (k1 + 1) / (tf_arr + norm)).astype(np.float32)
        self.idf: dict[str, float] = dict(zip(self.vocabulary, idf.tolist(), strict=True))
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

    def search(self, query: str, k: int, allowed: Callable[[StoredChunk], bool] | None = None
               ) -> list[tuple[StoredChunk, float]]:
        if k <= 0:
            return []
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        for term in set(tokenize(query)):
            tid = self.vocabulary.get(term)
            if tid is not None:
                start, end = self._offsets[tid], self._offsets[tid + 1]
                scores[self._docs[start:end]] += self._weights[start:end]  # a term's chunks are distinct
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

    def term_idf(self, term: str) -> float:
        """IDF of a term; unseen terms count as the rarest possible."""
        return self.idf.get(term, self.max_idf)
