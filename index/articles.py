"""The Article model: what every loader produces and the store keeps."""

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator, model_validator

from index.clean import html_to_text, normalise_text, strip_furniture
from index.errors import IngestError


class Article(BaseModel):
    """A news article, normalised; `id` is stable across re-ingests."""

    id: str = ""
    title: str = ""
    text: str
    url: str | None = None
    published: datetime | None = None
    source: str | None = None

    @field_validator("published", mode="before")
    @classmethod
    def _parse_published(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        return value

    @field_validator("published")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _normalise(self) -> "Article":
        self.title = normalise_text(self.title).replace("\n", " ")
        self.text = strip_furniture(self.text)
        if not self.text.strip():
            raise ValueError("article has no text")
        if not self.id:
            self.id = article_id(self.url, self.title, self.text)
        return self

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored for the article would change."""
        parts = [self.title, self.text, self.url or "", self.source or "",
                 self.published.isoformat() if self.published else ""]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def article_id(url: str | None, title: str, text: str) -> str:
    """From the URL when there is one (so edits keep the id), else from the content."""
    if url:
        return "u" + hashlib.sha256(url.strip().encode()).hexdigest()[:15]
    return "c" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:15]


def article_from_dict(data: dict[str, Any], where: str) -> Article:
    """Build an Article from the documented JSON shape; `where` names it in errors."""
    if not isinstance(data, dict):
        raise IngestError("an article must be a JSON object", where)
    fields = dict(data)
    if "article_id" in fields and "id" not in fields:
        fields["id"] = fields.pop("article_id")
    html = fields.pop("html", None)
    if not fields.get("text") and html:
        fields["text"] = html_to_text(str(html))
    known = {k: fields[k] for k in ("id", "title", "text", "url", "published", "source") if k in fields}
    if known.get("id") is not None:
        known["id"] = str(known["id"])
    try:
        return Article(**known)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'article'}: {e['msg']}" for e in exc.errors())
        raise IngestError(problems, where) from exc
