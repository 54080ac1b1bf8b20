"""newsbot's hybrid search as a LangChain retriever: `bot.as_retriever()` for anyone's chain, and
the retrieval step of newsbot's own chain (so that its runs are traced like any retriever's).

The dense side stays newsbot's own ChunkStore rather than langchain-chroma's `Chroma`: the store
also replaces whole articles by content hash, stops between batches, reads stored vectors back
(passages only BM25 found get their cosine too), pages through 100k-chunk collections and maps
Chroma's failures to StoreError; `Chroma` would wrap the same collection and add none of that."""

from collections.abc import Sequence
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, SkipValidation

from bot.models import Filters
from bot.retrieval import Passage
from index.records import StoredChunk


class Searcher(Protocol):
    """What the retriever searches with: `Bot.search`."""

    def search(self, query: str, filters: Filters | dict[str, Any] | None = None,
               k: int | None = None) -> Sequence[Passage]: ...

# Document.metadata keys that carry the fused search's scores, beside the chunk's own metadata.
SCORES = ("score", "dense_score", "keyword_score")


def document_of(passage: Passage) -> Document:
    """A passage as a Document: the chunk's text, its article's metadata (article_id, title, url,
    published, source, chunk_index, ...) and the search scores."""
    return Document(id=passage.chunk.id, page_content=passage.chunk.text,
                    metadata={**passage.chunk.metadata, "score": passage.score, "dense_score": passage.dense,
                              "keyword_score": passage.keyword})


def passage_of(document: Document) -> Passage:
    meta = {k: v for k, v in document.metadata.items() if k not in SCORES}
    return Passage(StoredChunk(str(document.id), document.page_content, meta),
                   float(document.metadata.get("score", 0.0)), float(document.metadata.get("dense_score", 0.0)),
                   float(document.metadata.get("keyword_score", 0.0)))


class NewsRetriever(BaseRetriever):
    """Vector and BM25 search over the stored chunks, fused by reciprocal rank.

    >>> retriever = bot.as_retriever(k=4, source=["Reuters"])
    >>> retriever.invoke("What is the spending target?")  # [Document(...), ...]
    >>> retriever.invoke("Who attends?", k=2, filters={"published_after": "2025-06-01"})
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    bot: SkipValidation[Searcher] = Field(description="the Bot whose store is searched")
    k: int = Field(6, ge=1, le=100, description="documents returned")
    filters: Filters | None = Field(None, description="restricts every search, unless a call passes its own")

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None,
                                filters: Filters | dict[str, Any] | None = None) -> list[Document]:
        passages = self.bot.search(query, self.filters if filters is None else filters, k or self.k)
        return [document_of(p) for p in passages]
