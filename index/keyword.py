"""BM25 keyword scoring over the stored chunks, and the tokenizer the answerer shares."""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from index.store import StoredChunk

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
    """An in-memory BM25 (Okapi, k1=1.2, b=0.75) index over chunks."""

    def __init__(self, chunks: Sequence[StoredChunk], k1: float = 1.2, b: float = 0.75) -> None:
        self.chunks = list(chunks)
        self.k1, self.b = k1, b
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lengths: list[int] = []
        for i, chunk in enumerate(self.chunks):
            terms = tokenize(f"{chunk.metadata.get('title', '')}\n{chunk.text}")
            self._lengths.append(len(terms))
            for term, tf in Counter(terms).items():
                self._postings[term].append((i, tf))
        n = len(self.chunks)
        self._avg = (sum(self._lengths) / n) if n else 0.0
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self._postings.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

    def search(self, query: str, k: int, allowed: Callable[[StoredChunk], bool] | None = None
               ) -> list[tuple[StoredChunk, float]]:
        scores: dict[int, float] = defaultdict(float)
        for term in set(tokenize(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, tf in self._postings[term]:
                norm = self.k1 * (1 - self.b + self.b * self._lengths[i] / (self._avg or 1))
                scores[i] += idf * tf * (self.k1 + 1) / (tf + norm)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        hits = []
        for i, score in ranked:
            if allowed is None or allowed(self.chunks[i]):
                hits.append((self.chunks[i], score))
                if len(hits) == k:
                    break
        return hits

    def term_idf(self, term: str) -> float:
        """IDF of a term; unseen terms count as the rarest possible."""
        return self.idf.get(term, self.max_idf)
