"""Sentence- and paragraph-aware chunking with overlap; the title rides along for embedding."""

import re
from dataclasses import dataclass, field

from index.ingest.articles import Article
from index.text import split_sentences

# Sizes chosen by measurement on the dev set (bench/tune_chunks.py); see README.
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200



def split_paragraphs(text: str) -> list[list[str]]:
    return [split_sentences(p) for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


@dataclass
class Chunk:
    article_id: str
    index: int
    text: str
    embed_text: str
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.article_id}:{self.index}"


def chunk_article(article: Article, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[Chunk]:
    """Pack whole sentences into chunks of about `size` characters, breaking at paragraph
    ends when a chunk is mostly full, and repeating up to `overlap` characters of trailing
    sentences at the start of the next chunk."""
    pieces: list[tuple[str, bool]] = []  # (sentence, ends a paragraph)
    for paragraph in split_paragraphs(article.text):
        for i, sentence in enumerate(paragraph):
            parts = _bounded(sentence, size)
            pieces.extend((part, i == len(paragraph) - 1 and j == len(parts) - 1) for j, part in enumerate(parts))
    texts: list[str] = []
    current: list[tuple[str, bool]] = []
    fresh = 0  # sentences in `current` not already in the previous chunk
    for sentence, paragraph_end in pieces:
        if current and fresh and _length(current) + len(sentence) > size:
            texts.append(_join(current))
            current, fresh = _overlap_tail(current, overlap), 0
        current.append((sentence, paragraph_end))
        fresh += 1
        if paragraph_end and _length(current) >= 0.7 * size:
            texts.append(_join(current))
            current, fresh = _overlap_tail(current, overlap), 0
    if fresh:
        texts.append(_join(current))
    if not texts and article.text.strip():
        texts = [article.text.strip()]
    base = _base_metadata(article)
    return [
        Chunk(article.id, i, text, f"{article.title}\n{text}" if article.title else text,
              {**base, "chunk_index": i, "n_chunks": len(texts)})
        for i, text in enumerate(texts)
    ]


def _bounded(sentence: str, size: int) -> list[str]:
    """A "sentence" longer than a chunk (a table, a list without stops, hostile input) cut at
    spaces into pieces of at most `size` characters, so every chunk stays about `size` long."""
    parts = []
    while len(sentence) > size:
        cut = sentence.rfind(" ", size // 2, size + 1)
        cut = cut if cut > 0 else size
        parts.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    return [*parts, sentence] if sentence else parts


def _length(pieces: list[tuple[str, bool]]) -> int:
    return sum(len(s) + 1 for s, _ in pieces)


def _join(pieces: list[tuple[str, bool]]) -> str:
    """Sentences joined by spaces, paragraphs by newlines (the answerer reads both)."""
    return "".join(s + ("\n" if end else " ") for s, end in pieces).strip()


def _overlap_tail(pieces: list[tuple[str, bool]], overlap: int) -> list[tuple[str, bool]]:
    tail: list[tuple[str, bool]] = []
    for piece in reversed(pieces):
        if _length(tail) + len(piece[0]) > overlap:
            break
        tail.insert(0, piece)
    return tail


def _base_metadata(article: Article) -> dict[str, str | int | float | bool]:
    meta: dict[str, str | int | float | bool] = {
        "article_id": article.id,
        "title": article.title,
        "content_hash": article.content_hash,
    }
    if article.url:
        meta["url"] = article.url
    if article.source:
        meta["source"] = article.source
    if article.published:
        meta["published"] = article.published.isoformat()
        meta["published_ts"] = int(article.published.timestamp())
    return meta
