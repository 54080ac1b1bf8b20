"""Bodies of the HTTP API, shared by the server and the SDK (answers reuse bot.models)."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bot.catalog import SourceInfo
from bot.models import Answer, Citation, Filters
from bot.settings import MAX_MESSAGE_CHARS
from index.ingest.articles import unread_fields
from index.store.records import ArticleInfo


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS,
                         description="the question; NEWSBOT_MAX_QUESTION_CHARS sets the limit within this")
    conversation_id: str | None = Field(default=None, max_length=100)
    filters: Filters | None = None
    stream: bool = False


class ChatResponse(BaseModel):
    answer: str
    answerable: bool
    citations: list[Citation]
    conversation_id: str
    answer_id: str | None = Field(None, description="the recorded turn, for feedback")
    question: str | None = Field(None, description="the question as answered (a follow-up made to stand alone)")
    warnings: list[str] = []

    @classmethod
    def from_answer(cls, answer: Answer) -> "ChatResponse":
        return cls(answer=answer.text, answerable=answer.answerable, citations=answer.citations,
                   conversation_id=answer.conversation_id or "", answer_id=answer.id, question=answer.question,
                   warnings=answer.warnings)


class ArticleIn(BaseModel):
    """The fields and the other names `newsbot ingest` reads from a .json record (`link`, `date`,
    `content`, trafilatura's `raw_text`, `sitename`...): the same record gives the same article
    both ways. Other fields are ignored and named in the result's `warnings`."""

    model_config = ConfigDict(extra="allow")

    id: str | int | None = None
    title: str = ""
    text: str | None = None
    html: str | None = None
    url: str | None = None
    published: str | None = None
    source: str | None = None

    def as_source(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)

    def unread(self) -> list[str]:
        return unread_fields(self.model_dump())


class ArticlePage(BaseModel):
    items: list[ArticleInfo]  # the store's own record, validated as a dataclass
    total: int
    offset: int
    limit: int


class ArticleDetail(BaseModel):
    """One stored article: its record and its passages in order (they overlap a little)."""

    id: str
    title: str
    url: str | None = None
    published: str | None = None
    source: str | None = None
    chunks: int
    passages: list[str]

    @classmethod
    def of(cls, info: ArticleInfo, passages: list[str]) -> "ArticleDetail":
        return cls(**asdict(info), passages=passages)


class SourceList(BaseModel):
    """What the store holds: its sources, how many articles, the newest date, and questions about
    the newest articles to start with."""

    items: list[SourceInfo]
    articles: int = 0
    newest: str | None = None
    examples: list[str] = []


class IngestResult(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    chunks_written: int = 0
    warnings: list[str] = []


class ErrorBody(BaseModel):
    detail: str


EXTRA_COMPONENTS: dict[str, Any] = {}  # schemas referred to by the bodies below, added to the OpenAPI document


def json_body(tp: Any, more_content: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI requestBody for a route that reads its body itself (to accept several content
    types, or to check a signature over the raw bytes first)."""
    schema = TypeAdapter(tp).json_schema(ref_template="#/components/schemas/{model}")
    EXTRA_COMPONENTS.update(schema.pop("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema},
                                                          **(more_content or {})}}}


ARTICLES_BODY = json_body(ArticleIn | list[ArticleIn], {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}})


class Feed(BaseModel):
    id: str
    url: str
    every_s: float = Field(description="seconds between polls")
    title: str | None = Field(None, description="the feed's own title, once fetched")
    added_at: datetime
    next_poll_at: datetime
    last_fetched_at: datetime | None = None
    last_new_item_at: datetime | None = None
    last_error: str | None = None
    failures: int = Field(0, description="polls failed in a row (each doubles the wait, up to a day)")
    items_seen: int = 0


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="an RSS, Atom or JSON Feed URL")
    every: str | float | None = Field(None, description='how often to poll it: "15m", "1h", "90s" or seconds '
                                                        "(default NEWSBOT_FEEDS__EVERY_S)")


class FeedList(BaseModel):
    items: list[Feed]


class FeedPolled(BaseModel):
    feed: Feed
    new_items: int
    not_modified: bool
    error: str | None
    skipped: list[str]
