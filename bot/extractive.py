"""The offline answerer: quote the sentence(s) of the retrieved passages that answer the
question, or decline. It never writes a word the sources don't contain."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.retrieval import Passage
from index.chunking import split_sentences
from index.keyword import tokenize

DECLINE = "The indexed articles don't say."

_NUMBER_Q = re.compile(
    r"\bhow (much|many|long|old|far|big|large|tall|high|fast)\b|\bwhat (percentage|percent|number|amount|price|"
    r"age|rate|share|proportion|fraction)\b|\b(cost|price|worth|paid|pay|sold for|sell for|number of|amount)\b", re.I)
_DATE_Q = re.compile(r"\bwhen\b|\b(what|which) (year|date|day|month|time|decade|century)\b", re.I)
_NAME_Q = re.compile(r"\bwho(m|se)?\b|\b(which|what) (\w+ )?(company|country|state|city|team|person|man|woman|"
                     r"group|organi[sz]ation|nation|party|brand|player|singer|actor|artist|leader|agency|"
                     r"island|region|province|planet|storm|hurricane|airline|retailer|network|name)\b|\bwhere\b",
                     re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|"
                     r"billion|trillion|percent|half|third|quarter)\b", re.I)
_DATE = re.compile(r"\b(19|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|October|"
                   r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
                   r"today|tomorrow|yesterday|next (week|month|year))\b")
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-zA-Z’'.-]+")
_TRAILING_CLAUSE = re.compile(r",\s+(?=(?:\w+ing|which|while|although|though|whereas|a timeline|according to)\b)")


@dataclass
class Candidate:
    passage_rank: int
    passage: Passage
    sentence: str
    score: float = 0.0
    coverage: float = 0.0
    typed: bool = False
    terms: set[str] = field(default_factory=set)
    original: str = ""  # the sentence as the source has it; `sentence` may be trimmed

    def __post_init__(self) -> None:
        self.original = self.original or self.sentence


@dataclass
class Extract:
    """The chosen sentences (with the passage each came from), or none when declining."""

    answerable: bool
    picks: list[Candidate]
    best_per_passage: dict[int, Candidate]


def answer_type(question: str) -> str | None:
    if _DATE_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    if _NAME_Q.search(question):
        return "name"
    return None


def has_type(sentence: str, kind: str | None, question: str) -> bool:
    """The sentence holds something of the asked-for kind that the question does not."""
    if kind is None:
        return False
    pattern = {"number": _NUMBER, "date": _DATE, "name": _CAPITALISED}[kind]
    asked = question.lower()
    return any(m.group(0).lower() not in asked for m in pattern.finditer(sentence))


def sentences_of(text: str) -> list[str]:
    return [s for line in text.split("\n") for s in split_sentences(line)
            if len(s.split()) >= 4 and s[-1:] in ".!?\"”’)"]


class ExtractiveAnswerer:
    """Scores every sentence of the top passages by how much of the question (IDF-weighted)
    it and its context cover, whether it holds the kind of thing asked for, and how well its
    passage ranked; declines when no passage covers enough of the question."""

    def __init__(self, idf: Callable[[str], float], min_support: float = 0.38, dense_center: float = 0.84,
                 dense_weight: float = 10.0, pair_ratio: float = 0.92, max_words: int = 45) -> None:
        self.idf = idf
        self.min_support = min_support
        self.dense_center, self.dense_weight = dense_center, dense_weight
        self.pair_ratio = pair_ratio
        self.max_words = max_words

    def extract(self, question: str, passages: Sequence[Passage]) -> Extract:
        q_terms = set(tokenize(question))
        weights = {t: self.idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        kind = answer_type(question)
        candidates: list[Candidate] = []
        article_terms: dict[str, set[str]] = {}
        for rank, passage in enumerate(passages):
            title_terms = set(tokenize(str(passage.chunk.metadata.get("title", ""))))
            passage_terms = set(tokenize(passage.chunk.text)) | title_terms
            article_terms.setdefault(passage.article_id, set()).update(passage_terms)
            for sentence in sentences_of(passage.chunk.text):
                terms = set(tokenize(sentence))
                mass = sum(w * (1.0 if t in terms else 0.6 if t in title_terms else 0.25 if t in passage_terms else 0.0)
                           for t, w in weights.items())
                coverage = mass / total
                typed = has_type(sentence, kind, question)
                novel = len(terms - q_terms) >= 2
                score = (0.3 * coverage + (0.1 if typed else 0.0) + 0.1 / (1 + rank) + 0.1 * passage.dense
                         - (0.3 if not novel else 0.0))
                candidates.append(Candidate(rank, passage, sentence, score, coverage, typed, terms))
        best_per_passage: dict[int, Candidate] = {}
        for c in candidates:
            if c.passage_rank not in best_per_passage or c.score > best_per_passage[c.passage_rank].score:
                best_per_passage[c.passage_rank] = c
        if not candidates or self.support(weights, article_terms, passages) < self.min_support:
            return Extract(False, [], best_per_passage)
        candidates.sort(key=lambda c: c.score, reverse=True)
        for c in candidates[:4]:
            c.sentence = trim(c.sentence, weights, kind, question)
        picks = [candidates[0]]
        for other in candidates[1:4]:
            if (other.score >= self.pair_ratio * picks[0].score and other.typed
                    and other.sentence != picks[0].sentence and (other.terms - picks[0].terms)
                    and len(other.sentence.split()) + len(picks[0].sentence.split()) <= self.max_words):
                picks.append(other)
                break
        return Extract(True, picks, best_per_passage)


    def support(self, weights: dict[str, float], article_terms: dict[str, set[str]],
                passages: Sequence[Passage]) -> float:
        """How well the best-matching article covers the question (IDF-weighted share of its
        terms in the retrieved text of one article), raised or lowered by how close the best
        passage is in embedding space. Calibrated on the dev set: see README."""
        total = sum(weights.values()) or 1.0
        coverage = max((sum(w for t, w in weights.items() if t in terms) / total
                        for terms in article_terms.values()), default=0.0)
        dense = max((p.dense for p in passages), default=0.0)
        return coverage + self.dense_weight * (dense - self.dense_center) if dense else coverage


def trim(sentence: str, weights: dict[str, float], kind: str | None, question: str) -> str:
    """Drop trailing side clauses (", marking ...", ", which ...") that carry none of the question
    and are not needed for the asked-for kind of answer."""
    parts = _TRAILING_CLAUSE.split(sentence)
    while len(parts) > 1:
        tail_terms = set(tokenize(parts[-1]))
        head = ", ".join(parts[:-1])
        if any(t in tail_terms for t in weights) or (kind and not has_type(head, kind, question)):
            break
        parts = parts[:-1]
    head = ", ".join(parts)
    return head if head[-1:] in ".!?\"”’" else head.rstrip(",;: ") + "."
