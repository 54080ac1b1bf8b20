"""`Bot`: the in-process entry point. Ingest articles, ask questions, stream answers."""

import hashlib
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from pydantic import ValidationError

from bot.answering import Answerer
from bot.cache import LRU
from bot.catalog import host_of, matching_names, names_source
from bot.chain import AnswerStep, ChainOutput
from bot.components import Components
from bot.condense import Condenser
from bot.database import Conversation, SharedDatabase
from bot.errors import AnswerError, first_problem
from bot.extractive import DECLINE
from bot.followup import ResolveFollowUp, is_follow_up
from bot.freshness import as_of, asks_for_latest, newest_articles, window_of
from bot.mentions import new_words
from bot.models import Answer, CitationsEvent, DeltaEvent, DoneEvent, Filters, StreamItem, Turn
from bot.news_retriever import NewsRetriever, passage_of
from bot.progress import chunk_progress
from bot.retrieval import Passage
from bot.settings import MAX_MESSAGE_CHARS, Settings
from index.articles import Article
from index.disk import check_room
from index.errors import IngestError
from index.loaders import Source, expand_sources, load_sources
from index.store import ArticleInfo, IngestReport

_WORDS = re.compile(r"\S+\s*")
_CITED = re.compile(r"\[(\d+)\]")


class Bot:
    """Answers questions about the articles in its store.

    >>> bot = Bot(data_dir="/tmp/news")
    >>> bot.ingest(["article.txt"]).summary()
    >>> bot.ask("Who will attend the summit?").text
    """

    def __init__(self, data_dir: str | Path | None = None, settings: Settings | None = None,
                 **overrides: Any) -> None:
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir)
        if settings is None:
            settings = Settings(**overrides)
        elif overrides:
            settings = settings.model_copy(update=overrides)
        self.settings = settings
        self._running: set[threading.Event] = set()  # one per ingest under way, for stop_ingests()
        self._running_lock = threading.Lock()
        self.parts = Components(settings)
        # The parts, for in-process use and benchmarks; the server's surfaces use the methods below.
        self.embeddings, self.store, self.retriever = self.parts.embeddings, self.parts.store, self.parts.retriever
        self.answerer: Answerer = self.parts.answerer
        self.condenser: Condenser = self.parts.condenser
        # Keyed by a digest: the filters alone may be 200 KB of JSON.
        self._answers: LRU[str, Answer] = LRU(settings.answer_cache, int(settings.cache_mb * 1e6),
                                              lambda _k, a: 200 + len(a.model_dump_json()))
        # Observers, e.g. the server's metrics; called after each answer and each ingest.
        self.answer_listeners: list[Callable[[Answer], None]] = []
        self.ingest_listeners: list[Callable[[IngestReport], None]] = []
        self._news_retriever = NewsRetriever(bot=self, k=settings.passages)
        # condense | retrieve | answer. invoke gives the Answer; stream gives DeltaEvents as the
        # answer is produced, then a CitationsEvent and a DoneEvent (bot.chain).
        self.chain: Runnable[dict[str, Any], ChainOutput] = (
            RunnableLambda(self._condense, name="condense") | RunnableLambda(self._retrieve, name="retrieve")
            | AnswerStep(self._events)
        ).with_config(run_name="newsbot")

    @property
    def database(self) -> SharedDatabase:
        return self.parts.database

    # ---- ingest and articles -------------------------------------------------------------
    def ingest(self, sources: Iterable[Source] | Source, on_error: Literal["raise", "skip"] = "raise",
               progress: bool = False, cancel: threading.Event | None = None) -> IngestReport:
        """Load every source first; with on_error="raise" one bad source stops the ingest
        before anything is written, with "skip" it is listed in `report.failed`. With
        `progress`, chunks embedded so far are reported on stderr. When `cancel` is set (or
        `stop_ingests()` is called) the ingest stops between batches with IngestStopped, whole
        articles kept."""
        items: list[Source] = [sources] if isinstance(sources, str | Path | dict | Article) else list(sources)
        report = IngestReport()
        articles: list[Article] = []
        for source in expand_sources(items):  # one file at a time: a bad one costs only itself
            try:
                # whole or nothing per source
                loaded = list(load_sources([source], private_hosts=self.settings.fetch_private_hosts))
                for article in loaded:
                    where = str(source)[:200] if isinstance(source, str | Path) else f"article {article.id[:100]}"
                    self.check_article(article, where)
                articles += loaded
            except IngestError as exc:
                if on_error == "raise":
                    raise
                report.failed.append((str(source)[:200], str(exc)))
        self.database.check()  # before writing anything: a failure then means nothing was written
        check_room(self.settings.data_dir, self.settings.min_free_disk_mb)
        report_progress, close_progress = chunk_progress() if progress else (None, lambda: None)
        cancel = cancel or threading.Event()
        with self._running_lock:
            self._running.add(cancel)
        try:
            done = self.store.ingest(articles, progress=report_progress, stop=cancel.is_set)
        finally:
            with self._running_lock:
                self._running.discard(cancel)
            close_progress()
        done.failed = report.failed
        for listener in self.ingest_listeners:
            listener(done)
        return done

    def check_article(self, article: Article, where: str) -> None:
        """Refuse what would cost unbounded work: the title is embedded with every chunk."""
        if len(article.title) > self.settings.max_title_chars:
            raise IngestError(f"the title is longer than {self.settings.max_title_chars} characters "
                              "(NEWSBOT_MAX_TITLE_CHARS)", where)
        if len(article.text) > self.settings.max_article_chars:
            raise IngestError(f"the text is longer than {self.settings.max_article_chars} characters "
                              "(NEWSBOT_MAX_ARTICLE_CHARS)", where)

    def stop_ingests(self) -> None:
        """Ingests under way end after their current batch (the server calls this on shutdown);
        later ones run as usual."""
        with self._running_lock:
            for cancel in self._running:
                cancel.set()

    def articles(self) -> list[ArticleInfo]:
        return self.store.list_articles()

    def article(self, article_id: str) -> tuple[ArticleInfo, list[str]] | None:
        """One stored article's record and its passages in order (they overlap a little), or None."""
        chunks = self.store.article_chunks(article_id)
        if not chunks:
            return None
        meta = chunks[0].metadata
        info = ArticleInfo(id=article_id, title=str(meta.get("title", "")), url=meta.get("url"),
                           published=meta.get("published"), source=meta.get("source"), chunks=len(chunks))
        return info, [c.text for c in chunks]

    def delete(self, article_id: str) -> bool:
        self.database.check()
        check_room(self.settings.data_dir, self.settings.min_free_disk_mb)
        return self.store.delete(article_id)

    # ---- answering -----------------------------------------------------------------------
    def check_question(self, question: str, limit: int | None = None) -> str:
        limit = limit or self.settings.max_question_chars
        if not isinstance(question, str) or not question.strip():
            raise AnswerError("the question is empty")
        if len(question) > limit:
            raise AnswerError(f"the question is longer than {limit} characters")
        if not _valid_unicode(question):
            raise AnswerError("the question is not valid Unicode (it holds a lone surrogate)")
        return question.strip()

    def _filters(self, filters: Filters | dict[str, Any] | None) -> Filters | None:
        if isinstance(filters, dict):
            try:
                return Filters.model_validate(filters)
            except ValidationError as exc:
                raise AnswerError(f"invalid filters: {first_problem(exc)}") from exc
        return filters

    def search(self, query: str, filters: Filters | dict[str, Any] | None = None,
               k: int | None = None) -> list[Passage]:
        """The `k` best passages (default: `passages`, what the answerer reads) by hybrid search."""
        resolved, _ = self._resolve_sources(self._filters(filters))
        # The chain's query is a condensed follow-up, a few words longer than the question asked:
        # the absolute bound applies here, the setting to what people send.
        query = self.check_question(query, MAX_MESSAGE_CHARS)
        return self.retriever.retrieve(query, k or self.settings.passages, resolved)

    def as_retriever(self, k: int | None = None, **filters: Any) -> NewsRetriever:
        """A LangChain retriever over this store: `bot.as_retriever(k=4, source=["Reuters"])`."""
        return NewsRetriever(bot=self, k=k or self.settings.passages, filters=self._filters(filters or None))

    def _condense(self, inputs: dict[str, Any]) -> dict[str, Any]:
        question = self.check_question(inputs["question"])
        conversation_id = inputs.get("conversation_id")
        history = inputs.get("history")
        if history is None and conversation_id:
            history = self.database.history(conversation_id, self.settings.history_turns)
        return {**inputs, "question": question, "standalone": self.condenser.condense(question, history or []),
                "filters": self._filters(inputs.get("filters")), "story": story_of(question, history or [])}

    def _retrieve(self, inputs: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        """The same question over the same stored chunks (and filters) is answered from the
        cache; otherwise the retriever finds the passages to read."""
        filters, warnings = self._resolve_sources(inputs["filters"])
        story = [] if filters and filters.article_id else inputs.get("story") or []
        latest = asks_for_latest(inputs["standalone"])
        asked_at: datetime = inputs.get("asked_at") or datetime.now(UTC)
        asked_at = asked_at if asked_at.tzinfo else asked_at.replace(tzinfo=UTC)  # a naive time is UTC
        key = _digest(inputs["standalone"], filters.model_dump_json() if filters else "", story,
                      self.retriever.signature(), asked_at.date().isoformat() if latest else "")
        cached = self._answers.get(key)
        passages: list[Passage] = []
        if cached is None:
            k = self.settings.passages
            documents = self._news_retriever.invoke(inputs["standalone"], config, k=k, filters=filters)
            passages = [passage_of(d) for d in documents]
            # A follow-up is looked for in the conversation's story first, a question asking for
            # the newest in the newest articles found for it; then in everything found.
            window = window_of(inputs["standalone"], timedelta(days=self.settings.latest_window_days))
            first = story or (newest_articles(passages, window, asked_at) if latest else [])
            if first:
                within = (filters or Filters()).model_copy(update={"article_id": first})
                found = [passage_of(d) for d in
                         self._news_retriever.invoke(inputs["standalone"], config, k=k, filters=within)]
                if found:
                    # A follow-up whose every name and noun its story holds asks about that story: what
                    # the story does not answer is declined, not answered from another story.
                    moved = not story or bool(new_words(inputs["standalone"], [p.chunk.text for p in found]))
                    return {**inputs, "filters": filters, "warnings": warnings, "key": key, "cached": cached,
                            "passages": found, "fallback": passages if moved else None, "asked_at": asked_at}
        return {**inputs, "filters": filters, "warnings": warnings, "key": key, "cached": cached,
                "passages": passages, "asked_at": asked_at}

    def _events(self, inputs: dict[str, Any]) -> Iterator[StreamItem]:
        """Answer text as it is produced (a cached answer streamed the same way), then the
        citations, then the whole Answer, recorded."""
        answer: Answer | None = inputs["cached"]
        if answer is not None:
            for piece in _WORDS.findall(answer.text):
                yield DeltaEvent(text=piece)
        else:
            dated = inputs["asked_at"] if asks_for_latest(inputs["standalone"]) else None
            for item in self._answering(inputs["standalone"], inputs["passages"], inputs.get("fallback"), dated):
                if isinstance(item, Answer):
                    answer = item
                    if inputs["filters"] and not inputs["passages"]:
                        answer = _warned(answer, ["no stored article matches the filters"])
                    self._answers.put(inputs["key"], answer)
                else:
                    yield DeltaEvent(text=item)
        if answer is None:
            raise AnswerError("the answerer gave no answer")
        answer = self._record(inputs, _warned(answer, inputs["warnings"]))
        yield CitationsEvent(answerable=answer.answerable, citations=answer.citations)
        yield DoneEvent(answer=answer)

    def _answering(self, question: str, passages: list[Passage], fallback: list[Passage] | None,
                   dated: datetime | None = None) -> Iterator[str | Answer]:
        """The answer's stream; with a `fallback` (a follow-up read in its story first, a question
        asking for the newest in the newest articles), the first answer is held back until it is
        known to be one, else the fallback's is streamed. A `dated` answer starts with the date of
        the article it quotes, so it is held back too."""
        if fallback is None and dated is None:
            yield from self.answerer.stream(question, passages)
            return
        held = list(self.answerer.stream(question, passages))
        if fallback is not None and not (held and isinstance(held[-1], Answer) and held[-1].answerable):
            if dated is None:
                yield from self.answerer.stream(question, fallback)
                return
            held = list(self.answerer.stream(question, fallback))
        answer = held[-1] if held else None
        window = timedelta(days=self.settings.latest_window_days)
        prefix = as_of(answer, dated, window) if isinstance(answer, Answer) and dated is not None else ""
        if prefix and isinstance(answer, Answer):
            held = [prefix, *held[:-1], answer.model_copy(update={"text": prefix + answer.text})]
        yield from held

    def _resolve_sources(self, filters: Filters | None) -> tuple[Filters | None, list[str]]:
        """Sources are named as people name them: whatever the case, by their words ("reuters" finds
        "Reuters: World News") or their articles' host ("reuters.com"); what a name matched, or that
        it matched nothing, is said in a warning rather than silently."""
        if filters is None or not filters.source:
            return filters, []
        spellings = [s for names in self.retriever.keyword_index().sources.values() for s in names]
        matched = matching_names(filters.source, spellings)
        for wanted in [w for w, found in matched.items() if not found and "." in w]:  # a host: "reuters.com"
            matched[wanted] = sorted({a.source for a in self.articles()
                                      if a.source and names_source(wanted, None, host_of(a.url))})
        names = sorted({n for found in matched.values() for n in found})
        warnings = [f"no stored article has the source {w!r}" for w, found in matched.items() if not found][:5]
        warnings += [f"source {w!r} matched {', '.join(repr(n) for n in found[:5])}" for w, found in matched.items()
                     if found and [n.casefold() for n in found] != [w.casefold()] * len(found)][:5]
        # An empty list would mean "no source filter": keep the unmatched names, which match nothing.
        return filters.model_copy(update={"source": names or filters.source}), warnings

    def _record(self, inputs: dict[str, Any], answer: Answer) -> Answer:
        conversation_id = inputs.get("conversation_id")
        answer = answer.model_copy(update={"conversation_id": conversation_id, "question": inputs["standalone"]})
        if conversation_id:
            answer.id = uuid.uuid4().hex
            self.database.add_turn(conversation_id, inputs["question"], inputs["standalone"], answer,
                                        inputs.get("owner"))
        for listener in self.answer_listeners:
            listener(answer)
        return answer

    def ask(self, question: str, conversation_id: str | None = None,
            filters: Filters | dict[str, Any] | None = None, owner: str | None = None,
            history: Sequence[Turn] | None = None, asked_at: datetime | None = None) -> Answer:
        """Answer a question; with a conversation id, a follow-up is read in the light of the
        earlier turns and the turn is recorded (the conversation is created on first use, owned
        by `owner`: the server passes who is asking, and checks it before continuing one). A
        caller that keeps the conversation itself passes its `history` instead (see `history_from`).
        `asked_at` (default: now) is what "latest" and "now" in the question are measured from."""
        answer = self.chain.invoke({"question": question, "conversation_id": conversation_id, "filters": filters,
                                    "owner": owner, "history": history, "asked_at": asked_at})
        assert isinstance(answer, Answer)
        return answer

    def stream(self, question: str, conversation_id: str | None = None,
               filters: Filters | dict[str, Any] | None = None, owner: str | None = None,
               history: Sequence[Turn] | None = None, asked_at: datetime | None = None) -> Iterator[StreamItem]:
        """Answer text as it is produced, then the citations, then the whole Answer: the chain's
        `stream`, traced like `ask`."""
        for item in self.chain.stream({"question": question, "conversation_id": conversation_id, "filters": filters,
                                       "owner": owner, "history": history, "asked_at": asked_at}):
            assert not isinstance(item, Answer)
            yield item

    # ---- conversations, feedback and the shared state the surfaces need ---------------------
    def conversation(self, conversation_id: str) -> Conversation | None:
        return self.database.get(conversation_id)

    def owns(self, conversation_id: str, owner: str) -> bool:
        """Whether `owner` may read or continue the conversation (true for one not made yet)."""
        return self.database.belongs_to(conversation_id, owner)

    def conversation_exists(self, conversation_id: str) -> bool:
        return self.database.exists(conversation_id)

    def first_delivery(self, key: str, keep_s: float = 3600.0) -> bool:
        """True the first time `key` (a Slack event id, a webhook signature) is seen in `keep_s`."""
        return self.database.first_time(key, keep_s)

    def add_feedback(self, answer_id: str, value: int, channel: str, user: str | None = None,
                     comment: str | None = None) -> None:
        self.database.add_feedback(answer_id, value, channel, user, comment)

    def has_answer(self, answer_id: str) -> bool:
        return self.database.has_answer(answer_id)

    def prune_conversations(self, older_than: timedelta) -> int:
        return self.database.prune(older_than)

    def take_token(self, key: str, rate: float, burst: float, now: float) -> float:
        """A shared rate-limit bucket: 0 when the request may go ahead, else seconds to wait."""
        return self.database.take_token(key, rate, burst, now)

    def chunk_count(self) -> int:
        return self.store.count()

    def check_ready(self) -> int:
        """Store, embedder and database answer; the chunks stored. Raises NewsbotError otherwise."""
        chunks = self.store.count()
        self.embeddings.embed_query("ready")
        self.database.check()
        return chunks

    def history_from(self, exchanges: Sequence[tuple[str, str]]) -> list[Turn]:
        """History for a conversation the caller keeps (OpenAI-style `messages`): (question,
        answer text) pairs, oldest first. Each earlier question is made to stand alone in the
        light of those before it, as if it had been asked here; the last `history_turns` count."""
        turns: list[Turn] = []
        for question, reply in exchanges[-self.settings.history_turns:]:
            question = question.strip()
            if not question:
                continue
            # The offline condenser reads earlier standalone questions and answers; an LLM reads
            # the exchanges themselves, so it is not asked again for each earlier turn.
            carry = isinstance(self.condenser, ResolveFollowUp) and turns
            standalone = self.condenser.condense(question, turns) if carry else question
            reply = reply.strip()
            answer = Answer(text=reply, answerable=bool(reply) and reply != DECLINE)
            turns.append(Turn(id="", question=question, standalone=standalone, answer=answer,
                              created_at=datetime.now(UTC)))
        return turns


def _warned(answer: Answer, warnings: list[str]) -> Answer:
    return answer.model_copy(update={"warnings": [*answer.warnings, *warnings]}) if warnings else answer


def _valid_unicode(text: str) -> bool:
    """False for text that cannot be encoded: a lone surrogate, which JSON's \\ud800 escapes allow."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
