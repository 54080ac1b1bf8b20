"""Public data types, shared by the in-process Bot, the HTTP API and the SDK."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from index.ingest.dates import parse_date


class Citation(BaseModel):
    """A numbered source passage; `quote` is the text the answer rests on."""

    n: int = Field(description="the number the answer cites, as [n]")
    article_id: str
    title: str
    url: str | None = None
    published: str | None = None
    source: str | None = None
    quote: str
    score: float


class Answer(BaseModel):
    id: str | None = Field(default=None, description="set when the answer is recorded in a conversation")
    text: str
    answerable: bool
    citations: list[Citation] = []
    conversation_id: str | None = None
    question: str | None = Field(default=None, description="the question as answered: a follow-up rewritten "
                                 "to stand alone")
    warnings: list[str] = Field(default=[], description="e.g. citations that do not support the answer")


class Turn(BaseModel):
    id: str
    question: str
    standalone: str  # the question as answered: a follow-up rewritten to stand alone
    answer: Answer
    created_at: datetime


class Conversation(BaseModel):
    id: str
    created_at: datetime
    turns: list[Turn]


class Filters(BaseModel):
    """Restrict retrieval; every given field must match."""

    model_config = ConfigDict(extra="forbid")

    published_after: datetime | None = None
    published_before: datetime | None = None
    # Bounded: every value is a term of the store query and part of the answer cache's key.
    source: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=100)
    article_id: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=1000)

    @field_validator("published_after", "published_before", mode="before")
    @classmethod
    def _dates(cls, value: object, info: ValidationInfo) -> datetime | None:
        # A bare day is inclusive at both ends: "before 2025-06-03" keeps the whole of that day.
        return parse_date(value, end_of_day=info.field_name == "published_before", relative=True)

    @field_validator("source", "article_id", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("source", "article_id")
    @classmethod
    def _encodable(cls, values: list[str] | None) -> list[str] | None:
        for value in values or []:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("not valid Unicode (a lone surrogate)") from None
        return values


class DeltaEvent(BaseModel):
    type: Literal["delta"] = "delta"
    text: str


class CitationsEvent(BaseModel):
    type: Literal["citations"] = "citations"
    answerable: bool
    citations: list[Citation]


class DoneEvent(BaseModel):
    type: Literal["done"] = "done"
    answer: Answer


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    message: str


StreamItem = DeltaEvent | CitationsEvent | DoneEvent  # what a stream yields, in process and through the SDK
StreamEvent = Annotated[DeltaEvent | CitationsEvent | DoneEvent | ErrorEvent, Field(discriminator="type")]
