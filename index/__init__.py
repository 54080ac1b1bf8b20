"""Ingestion: load, clean, chunk, embed and store news articles."""

from index.articles import Article
from index.chunking import Chunk, chunk_article, split_sentences
from index.embeddings import get_embeddings
from index.errors import AnswerError, ConfigError, IngestError, NewsbotError, StoreError
from index.loaders import load_sources
from index.store import ArticleInfo, ChunkStore, IngestReport, StoredChunk, make_client

__all__ = [
    "AnswerError", "Article", "ArticleInfo", "Chunk", "ChunkStore", "ConfigError", "IngestError",
    "IngestReport", "NewsbotError", "StoreError", "StoredChunk", "chunk_article", "get_embeddings",
    "load_sources", "make_client", "split_sentences",
]
