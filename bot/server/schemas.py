"""Request and response bodies of the HTTP API (answers reuse bot.models)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Citation, Filters
from index.store import ArticleInfo


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = Field(default=None, max_length=100)
    filters: Filters | None = None
    stream: bool = False


class ChatResponse(BaseModel):
    answer: str
    answerable: bool
    citations: list[Citation]
    conversation_id: str | None
    warnings: list[str] = []


class ArticleIn(BaseModel):
    id: str | None = None
    title: str = ""
    text: str | None = None
    html: str | None = None
    url: str | None = None
    published: str | None = None
    source: str | None = None

    def as_source(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ArticlePage(BaseModel):
    items: list[ArticleInfo]  # the store's own record, validated as a dataclass
    total: int
    offset: int
    limit: int


class IngestResult(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]


class ErrorBody(BaseModel):
    detail: str
