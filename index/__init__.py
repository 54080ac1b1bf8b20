"""Ingestion: load, clean, chunk, embed and store news articles."""

from typing import TYPE_CHECKING

from index.lazy import lazy_exports

if TYPE_CHECKING:
    from index.errors import ConfigError, EmbedderError, IngestError, NewsbotError, StoreError
    from index.ingest.articles import Article
    from index.ingest.chunking import Chunk, chunk_article
    from index.ingest.loaders import load_sources
    from index.store.chunks import ArticleInfo, ChunkStore, IngestReport, StoredChunk, make_client
    from index.store.embeddings import get_embeddings
    from index.text import split_sentences

# Imported on first use (PEP 562): `index.errors` alone must not load Chroma.
_HOME = {
    "Article": "index.ingest.articles",
    **dict.fromkeys(["Chunk", "chunk_article"], "index.ingest.chunking"),
    "split_sentences": "index.text",
    "get_embeddings": "index.store.embeddings",
    **dict.fromkeys(["ConfigError", "EmbedderError", "IngestError", "NewsbotError", "StoreError"], "index.errors"),
    "load_sources": "index.ingest.loaders",
    **dict.fromkeys(["ArticleInfo", "ChunkStore", "IngestReport", "StoredChunk", "make_client"], "index.store.chunks"),
}
__all__ = [
    "Article", "ArticleInfo", "Chunk", "ChunkStore", "ConfigError", "EmbedderError", "IngestError",
    "IngestReport", "NewsbotError", "StoreError", "StoredChunk", "chunk_article", "get_embeddings",
    "load_sources", "make_client", "split_sentences",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOME, globals())
