"""newsbot's hybrid search as a LangChain retriever: `bot.as_retriever()` for anyone's chain, and
the retrieval step of newsbot's own chain (so that its runs are traced like any retriever's).

The dense side stays newsbot's own ChunkStore rather than langchain-chroma's `Chroma`: the store
also replaces whole articles by content hash, stops between batches, reads stored vectors back
(passages only BM25 found get their cosine too), pages through 100k-chunk collections and maps
Chroma's failures to StoreError; `Chroma` would wrap the same collection and add none of that."""

from collections.abc import Callable
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, SkipValidation

from bot.answer.inputs import as_filters, check_question
from bot.answer.retrieval import Passage
from bot.models import Filters
from bot.settings import MAX_MESSAGE_CHARS
from index.store.records import StoredChunk


class Searcher(Protocol):
    """What the retriever searches with: `bot.answer.retrieval.HybridRetriever`."""

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Passage]: ...


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

    searcher: SkipValidation[Searcher] = Field(description="the hybrid search: a Bot's `retriever`")
    k: int = Field(6, ge=1, le=100, description="documents returned")
    filters: Filters | None = Field(None, description="restricts every search, unless a call passes its own")
    resolve: SkipValidation[Callable[[Filters | None], Filters | None]] | None = Field(
        None, description="turns source names as people write them into the names stored (a Bot's)")

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None,
                                filters: Filters | dict[str, Any] | None = None) -> list[Document]:
        # A condensed follow-up runs a few words longer than the question asked: the absolute bound.
        query = check_question(query, MAX_MESSAGE_CHARS)
        chosen = as_filters(self.filters if filters is None else filters)
        if self.resolve is not None:
            chosen = self.resolve(chosen)
        return [document_of(p) for p in self.searcher.retrieve(query, k or self.k, chosen)]
