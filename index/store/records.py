"""The store's plain records (no Chroma, no LangChain): what listing, ingest reports and
retrieval hand around, importable by the CLI and the SDK without loading the store."""

from dataclasses import dataclass, field
from typing import Any

Metadata = dict[str, Any]


@dataclass
class StoredChunk:
    id: str
    text: str
    metadata: Metadata

    @property
    def article_id(self) -> str:
        return str(self.metadata["article_id"])


@dataclass
class ArticleInfo:
    id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    chunks: int


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, message)
    chunks_written: int = 0

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.failed)} failed ({self.chunks_written} chunks written)")
