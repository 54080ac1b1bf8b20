"""A question's path through newsbot, top to bottom: condense | retrieve | answer, one LangChain
chain of public runnables that hands one typed `Question` from step to step.

1. condense: the question is checked once, its filters validated and its sources resolved once; a
   follow-up is rewritten to stand alone (`standalone`), and the articles the conversation has
   been citing (`story`) are noted.
2. retrieve: the same question over the same stored chunks is answered from the cache (`cached`);
   otherwise the hybrid retriever, as a LangChain retriever, finds the `passages`. A follow-up is
   read in its story first, a question asking for the newest in the newest articles found for
   it, with the rest (`fallback`) read only when that gives no answer.
3. answer: the answerer's text as it is produced, then the citations, then the whole Answer,
   recorded in the conversation.
"""

import hashlib
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from bot.answer.cache import LRU
from bot.answer.chain import AnswerStep, ChainOutput
from bot.answer.followup import is_follow_up
from bot.answer.freshness import as_of, asks_for_latest, newest_articles, window_of
from bot.answer.inputs import as_filters, check_question
from bot.answer.mentions import new_words
from bot.answer.news_retriever import NewsRetriever, passage_of
from bot.answer.retrieval import Passage
from bot.catalog import host_of, matching_names, names_source
from bot.components import Components
from bot.errors import AnswerError
from bot.models import Answer, CitationsEvent, DeltaEvent, DoneEvent, Filters, StreamItem, Turn

_WORDS = re.compile(r"\S+\s*")
_CITED = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Question:
    """What the steps know about one question, each adding its part."""

    question: str  # as asked, checked
    standalone: str  # as answered: a follow-up rewritten to stand alone
    filters: Filters | None  # sources resolved to the names stored
    asked_at: datetime  # what "latest" and "now" are measured from (aware)
    conversation_id: str | None = None
    owner: str | None = None
    warnings: list[str] = field(default_factory=list)  # said with the answer (what a source name matched)
    story: list[str] = field(default_factory=list)  # article ids the conversation has been citing
    key: str = ""  # the answer cache's key
    cached: Answer | None = None
    passages: list[Passage] = field(default_factory=list)
    fallback: list[Passage] | None = None  # read when `passages` give no answer


class QuestionPipeline:
    """The chain (`chain`), over the Bot's parts, its answer cache and its answer listeners."""

    def __init__(self, parts: Components, answers: LRU[str, Answer],
                 listeners: list[Callable[[Answer], None]]) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.answers = answers
        self.listeners = listeners
        # Filters arrive resolved: the retriever searches with them as they are.
        self.retriever = NewsRetriever(searcher=parts.retriever, k=self.settings.passages)
        self.chain: Runnable[dict[str, Any], ChainOutput] = (
            RunnableLambda(self.condense, name="condense") | RunnableLambda(self.retrieve, name="retrieve")
            | AnswerStep(self.events)
        ).with_config(run_name="newsbot")

    def resolve_sources(self, filters: Filters | None) -> tuple[Filters | None, list[str]]:
        """Sources are named as people name them: whatever the case, by their words ("reuters" finds
        "Reuters: World News") or their articles' host ("reuters.com"); what a name matched, or that
        it matched nothing, is said in a warning rather than silently."""
        if filters is None or not filters.source:
            return filters, []
        spellings = [s for names in self.parts.retriever.keyword_index().sources.values() for s in names]
        matched = matching_names(filters.source, spellings)
        for wanted in [w for w, found in matched.items() if not found and "." in w]:  # a host: "reuters.com"
            matched[wanted] = sorted({a.source for a in self.parts.store.list_articles()
                                      if a.source and names_source(wanted, None, host_of(a.url))})
        names = sorted({n for found in matched.values() for n in found})
        warnings = [f"no stored article has the source {w!r}" for w, found in matched.items() if not found][:5]
        warnings += [f"source {w!r} matched {', '.join(repr(n) for n in found[:5])}" for w, found in matched.items()
                     if found and [n.casefold() for n in found] != [w.casefold()] * len(found)][:5]
        # An empty list would mean "no source filter": keep the unmatched names, which match nothing.
        return filters.model_copy(update={"source": names or filters.source}), warnings

    # ---- 1. condense ------------------------------------------------------------------------
    def condense(self, inputs: dict[str, Any]) -> Question:
        question = check_question(inputs.get("question"), self.settings.max_question_chars)
        conversation_id = inputs.get("conversation_id")
        history = inputs.get("history")
        if history is None and conversation_id:
            history = self.parts.database.history(conversation_id, self.settings.history_turns)
        filters, warnings = self.resolve_sources(as_filters(inputs.get("filters")))
        asked_at: datetime = inputs.get("asked_at") or datetime.now(UTC)
        story = [] if filters and filters.article_id else story_of(question, history or [])
        return Question(question=question, standalone=self.parts.condenser.condense(question, history or []),
                        filters=filters, warnings=warnings, story=story, conversation_id=conversation_id,
                        owner=inputs.get("owner"),
                        asked_at=asked_at if asked_at.tzinfo else asked_at.replace(tzinfo=UTC))  # naive is UTC

    # ---- 2. retrieve ------------------------------------------------------------------------
    def retrieve(self, q: Question, config: RunnableConfig) -> Question:
        latest = asks_for_latest(q.standalone)
        key = _digest(q.standalone, q.filters.model_dump_json() if q.filters else "", q.story,
                      self.parts.retriever.signature(), q.asked_at.date().isoformat() if latest else "")
        cached = self.answers.get(key)
        if cached is not None:
            return replace(q, key=key, cached=cached)
        passages = self._search(q.standalone, q.filters, config)
        window = window_of(q.standalone, timedelta(days=self.settings.latest_window_days))
        first = q.story or (newest_articles(passages, window, q.asked_at) if latest else [])
        if first:
            found = self._search(q.standalone, (q.filters or Filters()).model_copy(update={"article_id": first}),
                                 config)
            if found:
                # A follow-up whose every name and noun its story holds asks about that story: what
                # the story does not answer is declined, not answered from another story.
                moved = not q.story or bool(new_words(q.standalone, [p.chunk.text for p in found]))
                return replace(q, key=key, passages=found, fallback=passages if moved else None)
        return replace(q, key=key, passages=passages)

    def _search(self, query: str, filters: Filters | None, config: RunnableConfig) -> list[Passage]:
        documents = self.retriever.invoke(query, config, k=self.settings.passages, filters=filters)
        return [passage_of(d) for d in documents]

    # ---- 3. answer --------------------------------------------------------------------------
    def events(self, q: Question) -> Iterator[StreamItem]:
        """Answer text as it is produced (a cached answer streamed the same way), then the
        citations, then the whole Answer, recorded."""
        answer = q.cached
        if answer is not None:
            for piece in _WORDS.findall(answer.text):
                yield DeltaEvent(text=piece)
        else:
            dated = q.asked_at if asks_for_latest(q.standalone) else None
            for item in self._answering(q.standalone, q.passages, q.fallback, dated):
                if isinstance(item, Answer):
                    answer = item
                    if q.filters and not q.passages:
                        answer = _warned(answer, ["no stored article matches the filters"])
                    self.answers.put(q.key, answer)
                else:
                    yield DeltaEvent(text=item)
        if answer is None:
            raise AnswerError("the answerer gave no answer")
        answer = self._record(q, _warned(answer, q.warnings))
        yield CitationsEvent(answerable=answer.answerable, citations=answer.citations)
        yield DoneEvent(answer=answer)

    def _answering(self, question: str, passages: list[Passage], fallback: list[Passage] | None,
                   dated: datetime | None = None) -> Iterator[str | Answer]:
        """The answer's stream; with a `fallback`, the first answer is held back until it is known
        to be one, else the fallback's is streamed. A `dated` answer starts with the date of the
        article it quotes, so it is held back too."""
        answerer = self.parts.answerer
        if fallback is None and dated is None:
            yield from answerer.stream(question, passages)
            return
        held = list(answerer.stream(question, passages))
        if fallback is not None and not (held and isinstance(held[-1], Answer) and held[-1].answerable):
            if dated is None:
                yield from answerer.stream(question, fallback)
                return
            held = list(answerer.stream(question, fallback))
        answer = held[-1] if held else None
        window = timedelta(days=self.settings.latest_window_days)
        prefix = as_of(answer, dated, window) if isinstance(answer, Answer) and dated is not None else ""
        if prefix and isinstance(answer, Answer):
            held = [prefix, *held[:-1], answer.model_copy(update={"text": prefix + answer.text})]
        yield from held

    def _record(self, q: Question, answer: Answer) -> Answer:
        answer = answer.model_copy(update={"conversation_id": q.conversation_id, "question": q.standalone})
        if q.conversation_id:
            answer.id = uuid.uuid4().hex
            self.parts.database.add_turn(q.conversation_id, q.question, q.standalone, answer, q.owner)
        for listener in self.listeners:
            listener(answer)
        return answer


def story_of(question: str, history: Sequence[Turn], turns: int = 2) -> list[str]:
    """The articles the latest answered turns quoted (cited in the answer's text, not every
    passage listed), where the question leans on the conversation."""
    answered = [t for t in history if t.answer.answerable][-turns:]
    if not answered or not is_follow_up(question):
        return []
    cited = []
    for turn in reversed(answered):
        quoted = {int(n) for n in _CITED.findall(turn.answer.text)}
        cited += [c.article_id for c in turn.answer.citations if c.n in quoted]
    return list(dict.fromkeys(cited))[:50]


def _warned(answer: Answer, warnings: list[str]) -> Answer:
    return answer.model_copy(update={"warnings": [*answer.warnings, *warnings]}) if warnings else answer


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
