"""The Article model: what every loader produces and the store keeps."""

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator, model_validator

from index.errors import IngestError
from index.ingest.clean import html_to_text, normalise_text, strip_furniture
from index.ingest.dates import parse_date


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
    def _parse_published(cls, value: Any) -> datetime | None:
        return parse_date(value)

    @field_validator("id", "url", "source")
    @classmethod
    def _encodable(cls, value: str | None) -> str | None:
        # Identifiers are stored and matched as UTF-8: a lone surrogate cannot be, and would fail
        # in the store (a 503 from Chroma's filters, a 500 from SQLite) instead of here.
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("not valid Unicode (a lone surrogate)") from None
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


# Other names real exports use for the same fields (trafilatura --json, feeds, CMS dumps), in the
# order they are tried; the first present wins, and the documented name always wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("article_id",),
    "url": ("link",),
    "published": ("date", "published_at", "pubDate", "datePublished"),
    "source": ("sitename", "source-hostname", "hostname"),
    "text": ("raw_text", "content", "body"),
}


FIELDS = ("id", "title", "text", "url", "published", "source")
READ = frozenset({*FIELDS, "html", *(alias for aliases in ALIASES.values() for alias in aliases)})


def unread_fields(data: dict[str, Any]) -> list[str]:
    """The fields of a record that no article field is read from (an `author`, trafilatura's
    `fingerprint`): ignored, and worth naming to whoever sent them."""
    return sorted(k for k, v in data.items() if k not in READ and v is not None)


def article_from_dict(data: dict[str, Any], where: str) -> Article:
    """Build an Article from the documented JSON shape; `where` names it in errors."""
    if not isinstance(data, dict):
        raise IngestError("an article must be a JSON object", where)
    fields = {k: v for k, v in data.items() if v is not None and v != ""}  # null means "not given"
    if isinstance(fields.get("source"), str) and fields["source"].startswith(("http://", "https://")):
        fields.setdefault("url", fields.pop("source"))  # trafilatura's JSON puts the page URL in "source"
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if name not in fields and alias in fields:
                fields[name] = fields[alias]
    html = fields.pop("html", None)
    if not fields.get("text") and html:
        fields["text"] = html_to_text(str(html))
    known = {k: fields[k] for k in FIELDS if k in fields}
    if "id" in known:
        known["id"] = str(known["id"])
    try:
        return Article(**known)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'article'}: "
                             f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors())
        raise IngestError(problems, where) from exc
