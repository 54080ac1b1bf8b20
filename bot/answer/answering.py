"""Answerers turn retrieved passages into an Answer; both stream text before citations."""

from collections.abc import Iterator, Sequence
from typing import Protocol

from bot.answer.extractive import DECLINE, Extract, Extractor
from bot.answer.retrieval import Passage
from bot.models import Answer, Citation

QUOTE_GAP = " … "  # between sentences quoted from one passage that are not adjacent in it


class Answerer(Protocol):
    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """Yield answer text pieces, then the finished Answer last."""
        ...


def citation(n: int, passage: Passage, quote: str) -> Citation:
    meta = passage.chunk.metadata
    return Citation(n=n, article_id=passage.article_id, title=str(meta.get("title", "")), url=meta.get("url"),
                    published=meta.get("published"), source=meta.get("source"), quote=quote,
                    score=round(passage.score, 6))


def cite_in(sentence: str, n: int) -> str:
    """'It rained.' -> 'It rained [1].'"""
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


class ExtractiveAnswerer:
    """The offline Answerer: the Extractor's picks quoted with their citations first, then the
    other top passages (one per article) with their best sentence, so readers can check related
    coverage. Its text comes whole (extraction is not incremental) and is yielded word by word."""

    def __init__(self, extractive: Extractor, max_citations: int = 5) -> None:
        self.extractive = extractive
        self.max_citations = max_citations

    def build(self, question: str, passages: Sequence[Passage]) -> Answer:
        extract = self.extractive.extract(question, passages)
        if not extract.answerable:
            return Answer(text=DECLINE, answerable=False, citations=[])
        return self._answer(extract)

    def _answer(self, extract: Extract) -> Answer:
        citations: list[Citation] = []
        numbers: dict[int, int] = {}
        pieces = []
        for pick in extract.picks:
            if pick.passage_rank not in numbers:
                numbers[pick.passage_rank] = len(citations) + 1
                quotes = [p.candidate.sentence for p in extract.picks if p.passage_rank == pick.passage_rank]
                citations.append(citation(numbers[pick.passage_rank], pick.candidate.passage, QUOTE_GAP.join(quotes)))
            pieces.append(cite_in(pick.text, numbers[pick.passage_rank]))
        cited_articles = {c.article_id for c in citations}
        for rank in sorted(extract.best_per_passage):
            if len(citations) >= self.max_citations:
                break
            best = extract.best_per_passage[rank]
            related = best.coverage >= 0.5 * extract.picks[0].candidate.coverage
            if related and best.passage.article_id not in cited_articles:
                cited_articles.add(best.passage.article_id)
                citations.append(citation(len(citations) + 1, best.passage, best.sentence))
        return Answer(text=" ".join(pieces), answerable=True, citations=citations)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        answer = self.build(question, passages)
        words = answer.text.split(" ")
        for i, word in enumerate(words):
            yield word if i == 0 else " " + word
        yield answer
