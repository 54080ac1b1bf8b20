"""Candidate answer sentences from retrieved passages, and a cheap first-stage score that
picks the few the reader model reads.

Every weight here comes from general-English word frequencies (wordfreq), never from the
store's own text, so a question over an article gets the same candidates whether the store
holds one article or a hundred thousand. Training (train/) builds its examples with these
same functions, so the model sees at training time what it sees at ask time.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.answer.retrieval import Passage
from index.text import sentences_of, tokenize

_NUMBER_Q = re.compile(
    r"\bhow (much|many|long|old|far|big|large|tall|high|fast)\b|\bwhat (percentage|percent|number|amount|price|"
    r"age|rate|share|proportion|fraction)\b|\b(cost|price|worth|paid|pay|sold for|sell for|number of|amount)\b", re.I)
_DATE_Q = re.compile(r"\bwhen\b|\b(what|which|by what) (year|date|day|month|time|decade|century)\b", re.I)
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
# The opening word is a name when it is spelled as one (NASA, SpaceX) or a capitalised word follows it.
_FIRST_NAME = re.compile(r"\s*([A-Z][a-z]*[A-Z][\w-]*|[A-Z][\w-]*(?= [A-Z]))")
_BULLET = re.compile(r"^[•·▪●◦*–—-]+\s*")
KINDS = ("date", "number", "name")


@dataclass
class Candidate:
    passage_rank: int
    passage: Passage
    sentence: str  # as the source has it, bullets stripped: always a verbatim substring
    coverage: float = 0.0  # weighted share of the question's terms in the sentence and its context
    own_coverage: float = 0.0  # the same, counting the sentence alone
    typed: bool = False  # holds something of the asked-for kind the question does not
    first_score: float = 0.0
    terms: set[str] = field(default_factory=set)
    missing_names: float = 0.0  # weighted share of the question's names its passage lacks (name_gap)


@lru_cache(maxsize=65536)
def term_weight(term: str) -> float:
    """Rarer words in general English weigh more: 7 minus the Zipf frequency, within [1, 6]."""
    from wordfreq import zipf_frequency

    return min(6.0, max(1.0, 7.0 - zipf_frequency(term, "en")))


def question_weights(question: str) -> dict[str, float]:
    return {t: term_weight(t) for t in set(tokenize(question))}


def question_names(question: str) -> dict[str, float]:
    """The terms of the names the question mentions (capitalised words past its start, dates
    aside), weighted as `term_weight`: what a passage must mention to be about the same story."""
    words = [m.group(0).rstrip(".'’") for m in _CAPITALISED.finditer(question)]
    first = _FIRST_NAME.match(question)  # a question may open with a name: "SpaceX ...", "Elon Musk ..."
    if first:
        words.append(first.group(1))
    names: dict[str, float] = {}
    for word in words:
        if not _DATE.fullmatch(word):
            names.update((t, term_weight(t)) for t in tokenize(word))
    return names


def passage_terms(passage: Passage) -> tuple[set[str], set[str]]:
    """The terms of a passage's text and title together, and of its title alone."""
    title = set(tokenize(str(passage.chunk.metadata.get("title", ""))))
    return set(tokenize(passage.chunk.text)) | title, title


def name_gap(names: dict[str, float], terms: set[str]) -> float:
    """Weighted share of the question's names absent from a passage (0 when it names nothing)."""
    total = sum(names.values())
    return sum(w for t, w in names.items() if t not in terms) / total if total else 0.0


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


def candidates(question: str, passages: Sequence[Passage]) -> list[Candidate]:
    """Every distinct sentence of the passages, best first-stage score first."""
    weights = question_weights(question)
    total = sum(weights.values()) or 1.0
    q_terms = set(weights)
    kind = answer_type(question)
    names = question_names(question)
    seen: set[str] = set()
    found: list[Candidate] = []
    for rank, passage in enumerate(passages):
        in_passage, title_terms = passage_terms(passage)
        gap = name_gap(names, in_passage)
        for sentence in sentences_of(passage.chunk.text):
            if sentence in seen:  # chunks overlap: keep a sentence once, with its best-ranked passage
                continue
            seen.add(sentence)
            terms = set(tokenize(sentence))
            own = sum(w for t, w in weights.items() if t in terms) / total
            context = sum(w * (0.6 if t in title_terms else 0.25) for t, w in weights.items()
                          if t not in terms and t in in_passage) / total
            typed = has_type(sentence, kind, question)
            novel = len(terms - q_terms) >= 2
            score = 0.3 * (own + context) + (0.1 if typed else 0.0) + 0.1 / (1 + rank) - (0.0 if novel else 0.3)
            found.append(Candidate(rank, passage, sentence, own + context, own, typed, score, terms, gap))
    found.sort(key=lambda c: c.first_score, reverse=True)
    return found
