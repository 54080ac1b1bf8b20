"""The offline answerer: the trained reader scores the first stage's best candidate sentences;
the answer quotes the one it rates highest (two when two both answer), trimmed of side clauses,
or declines when a question-level model, over everything read, finds the question unlikely to be
answered. It never writes a word the sources don't contain."""

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.answer.candidates import Candidate, answer_type, candidates, has_type, question_weights
from bot.answer.reader import Calibration, Reader, Reading, default_reader
from bot.answer.retrieval import Passage
from index.text import sentences_of, tokenize

__all__ = ["DECLINE", "Extract", "Extractor", "Pick", "Scored", "answerability", "confidence", "features",
           "scored", "select", "sentences_of", "shorten", "trim"]

DECLINE = "The indexed articles don't say."
READ = 8  # candidates the reader reads per question: about 400 tokens, the latency budget
POOL = 16  # first-stage candidates the sentence encoder looks at to choose those READ
_TRAILING_CLAUSE = re.compile(r",\s+(?=(?:\w+ing|which|while|although|though|whereas|a timeline|according to)\b)")


@dataclass
class Scored:
    candidate: Candidate
    probability: float  # calibrated: that this sentence answers the question
    span: tuple[int, int] | None = None  # characters of the sentence the reader takes for the answer
    logit: float = 0.0  # the reader's own score
    similarity: float = 0.0  # the sentence encoder's cosine with the question


@dataclass
class Pick:
    candidate: Candidate
    probability: float
    text: str  # the sentence as quoted in the answer: shortened, still a verbatim piece of it

    @property
    def passage_rank(self) -> int:
        return self.candidate.passage_rank


@dataclass
class Extract:
    """The chosen sentences, or none when declining; `best_per_passage` (first-stage) lets
    the caller cite related coverage."""

    answerable: bool
    picks: list[Pick]
    best_per_passage: dict[int, Candidate]
    confidence: float


def features(candidate: Candidate, reading: Reading) -> dict[str, float]:
    """What the calibration combines: the sentence, its own passage and the question only, never
    its rank among the store's other passages, so one article gets the same probability in a
    store of one article or of a hundred thousand. `dense` is the question's embedding
    similarity to the sentence's passage (used only by calibrations fitted with that embedder);
    `similarity` the question's to the sentence itself (all-MiniLM-L6-v2, whatever the embedder)."""
    return {"logit": reading.logit, "span_score": reading.span_score, "coverage": candidate.coverage,
            "own_coverage": candidate.own_coverage, "typed": float(candidate.typed),
            "dense": candidate.passage.dense, "similarity": reading.similarity}


def scored(found: Sequence[Candidate], readings: Sequence[Reading], cal: Calibration) -> list[Scored]:
    out = [Scored(c, cal.probability(features(c, r)), r.span, r.logit, r.similarity)
           for c, r in zip(found, readings, strict=True)]
    return sorted(out, key=lambda s: s.probability, reverse=True)


def select(first_scores: Sequence[float], similarity: Sequence[float] | np.ndarray, weight: float, read: int
           ) -> list[int]:
    """The candidates the cross-encoder reads: best by first-stage score plus `weight` times the
    sentence encoder's similarity (ties keep the first stage's order)."""
    key = np.asarray(first_scores, dtype=np.float64) + weight * np.asarray(similarity, dtype=np.float64)
    return [int(i) for i in np.argsort(-key, kind="stable")[:read]]


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


def answerability(ranked: Sequence[Scored]) -> dict[str, float]:
    """Question-level evidence, from every sentence read (best first): how likely the best two
    are, how well the reader and the embedder rate the best of them, and how much of the
    question (and of its names) the best-matching passages carry. Like `features`, nothing
    here depends on the rest of the store."""
    if not ranked:
        return {}
    by_passage = {s.candidate.passage_rank: s.candidate.passage.dense for s in ranked}
    dense = sorted(by_passage.values(), reverse=True)
    return {"best": _log_odds(ranked[0].probability),
            "second": _log_odds(ranked[1].probability if len(ranked) > 1 else 0.0),
            "max_logit": max(s.logit for s in ranked), "max_dense": dense[0],
            "top3_dense": float(np.mean(dense[:3])),
            "max_similarity": max(s.similarity for s in ranked), "best_similarity": ranked[0].similarity,
            "best_missing_names": ranked[0].candidate.missing_names,
            "least_missing_names": min(s.candidate.missing_names for s in ranked),
            "max_coverage": max(s.candidate.coverage for s in ranked),
            "best_own_coverage": ranked[0].candidate.own_coverage}


def confidence(ranked: Sequence[Scored], cal: Calibration) -> float:
    """What the decline threshold is compared with: the question-level model where the
    calibration has one, else the best sentence's probability."""
    if not ranked:
        return 0.0
    return cal.answerable(answerability(ranked)) if cal.answerable_weights else ranked[0].probability


class Extractor:
    """Reads the best candidate sentences with the answer model and picks what to quote (an
    Extract), or declines; bot.answer.answering.ExtractiveAnswerer makes the Answer of it."""

    def __init__(self, reader: Reader | None = None, read: int = READ, max_words: int = 45) -> None:
        self.reader = reader or default_reader()
        self.read = read
        self.max_words = max_words

    def score(self, question: str, passages: Sequence[Passage]) -> list[Scored]:
        """The first stage's top candidates with the calibrated probability that each answers."""
        cal = self.reader.calibration
        if not cal.uses_similarity:  # the shipped calibration: the first stage alone chooses
            top = candidates(question, passages)[: self.read]
            return scored(top, self.reader.read(question, [c.sentence for c in top]), cal)
        pool = candidates(question, passages)[: max(POOL, self.read)]
        if not pool:
            return []
        similarity = self.reader.similarities(question, [c.sentence for c in pool])
        chosen = select([c.first_score for c in pool], similarity, cal.select_similarity, self.read)
        readings = self.reader.read(question, [pool[i].sentence for i in chosen], [similarity[i] for i in chosen])
        return scored([pool[i] for i in chosen], readings, cal)

    def extract(self, question: str, passages: Sequence[Passage]) -> Extract:
        return self.decide(question, self.score(question, passages))

    def decide(self, question: str, ranked: list[Scored]) -> Extract:
        best_per_passage: dict[int, Candidate] = {}
        for s in ranked:
            c = s.candidate
            if c.passage_rank not in best_per_passage or c.first_score > best_per_passage[c.passage_rank].first_score:
                best_per_passage[c.passage_rank] = c
        cal = self.reader.calibration
        sure = confidence(ranked, cal)
        if not ranked or sure < cal.decline_below:
            return Extract(False, [], best_per_passage, sure)
        weights = question_weights(question)
        kind = answer_type(question)

        def quote(s: Scored) -> str:
            return shorten(trim(s.candidate.sentence, weights, kind, question), s.span, cal.shorten_over)

        first = ranked[0]
        picks = [Pick(first.candidate, first.probability, quote(first))]
        for other in ranked[1:3]:
            text = quote(other)
            words = len(text.split()) + len(picks[0].text.split())
            floor = max(cal.decline_below, cal.second_ratio * first.probability)
            likely = other.probability >= cal.second_above or (cal.second_ratio > 0 and other.probability >= floor)
            if likely and other.candidate.terms - first.candidate.terms and words <= self.max_words:
                picks.append(Pick(other.candidate, other.probability, text))
                break
        return Extract(True, picks, best_per_passage, sure)


_CLAUSE_END = re.compile(r"[,;:](?=\s)|\s[—–]\s")


def shorten(sentence: str, span: tuple[int, int] | None, over: int | None, least: int = 8) -> str:
    """A sentence longer than `over` words is cut to the clauses around the reader's answer
    span (at least `least` words), so the quote carries the answer and little else."""
    if over is None or span is None or len(sentence.split()) <= over or span[0] >= len(sentence):
        return sentence
    bounds = [0, *(m.end() for m in _CLAUSE_END.finditer(sentence)), len(sentence)]
    pieces = list(itertools.pairwise(bounds))
    inside = [i for i, (a, b) in enumerate(pieces) if a < span[1] and b > span[0]]
    if not inside:
        return sentence
    lo, hi = inside[0], inside[-1]

    def words() -> int:
        return len(sentence[pieces[lo][0]:pieces[hi][1]].split())

    while words() < least and (lo > 0 or hi < len(pieces) - 1):
        if lo > 0:
            lo -= 1
        else:
            hi += 1
    text = sentence[pieces[lo][0]:pieces[hi][1]].strip().rstrip(",;:—– ")
    return text if text[-1:] in ".!?\"”’" else text + "."


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
