"""`Bot`: the in-process entry point. Ingest articles, ask questions, stream answers."""

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import Runnable

from bot.answer.answering import Answerer
from bot.answer.cache import LRU
from bot.answer.chain import ChainOutput
from bot.answer.condense import Condenser
from bot.answer.extractive import DECLINE
from bot.answer.followup import ResolveFollowUp
from bot.answer.inputs import as_filters, check_question
from bot.answer.news_retriever import NewsRetriever, passage_of
from bot.answer.pipeline import QuestionPipeline
from bot.answer.retrieval import Passage
from bot.components import Components
from bot.db.database import Conversation, SharedDatabase
from bot.models import Answer, Filters, StreamItem, Turn
from bot.progress import chunk_progress
from bot.settings import Settings
from index.errors import IngestError
from index.ingest.articles import Article
from index.ingest.loaders import Source, expand_sources, load_sources
from index.store.chunks import ArticleInfo, IngestReport
from index.store.disk import check_room


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
        # condense | retrieve | answer (bot.answer.pipeline). invoke gives the Answer; stream gives
        # DeltaEvents as the answer is produced, then a CitationsEvent and a DoneEvent.
        self.pipeline = QuestionPipeline(self.parts, self._answers, self.answer_listeners)
        self.chain: Runnable[dict[str, Any], ChainOutput] = self.pipeline.chain

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
        return check_question(question, limit or self.settings.max_question_chars)

    def search(self, query: str, filters: Filters | dict[str, Any] | None = None,
               k: int | None = None) -> list[Passage]:
        """The `k` best passages (default: `passages`, what the answerer reads) by hybrid search."""
        return [passage_of(d) for d in self.as_retriever(k).invoke(query, filters=filters)]

    def as_retriever(self, k: int | None = None, **filters: Any) -> NewsRetriever:
        """A LangChain retriever over this store: `bot.as_retriever(k=4, source=["Reuters"])`."""
        return NewsRetriever(searcher=self.retriever, k=k or self.settings.passages,
                             filters=as_filters(filters or None),
                             resolve=lambda f: self.pipeline.resolve_sources(f)[0])

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

    # ---- conversations (the surfaces use `database` for feedback, rate limits and deliveries) ----
    def conversation(self, conversation_id: str) -> Conversation | None:
        return self.database.get(conversation_id)

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
