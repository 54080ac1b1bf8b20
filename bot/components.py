"""The parts a Bot is made of, built once from Settings: the embedder, the chunk store, the
hybrid retriever, the answerer, the condenser and the shared database. The Bot uses them; the
surfaces (HTTP routes, Slack, the webhook, MCP) use the Bot."""

import logging
from functools import cached_property

from langchain_core.embeddings import Embeddings

from bot.answer.answering import Answerer, ExtractiveAnswerer
from bot.answer.condense import Condenser
from bot.answer.extractive import Extractor
from bot.answer.followup import ResolveFollowUp
from bot.answer.retrieval import HybridRetriever
from bot.db.database import STORE_VERSION, SharedDatabase
from bot.settings import Settings
from index.store.chunks import ChunkStore, make_client
from index.store.embeddings import get_embeddings

log = logging.getLogger("newsbot")


class Components:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embeddings: Embeddings = get_embeddings(settings.embedder)
        token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
        client = make_client(settings.data_dir / "chroma", settings.chroma_url, token)
        self.store = ChunkStore(client, self.embeddings, settings.collection, settings.chunk_size,
                                settings.chunk_overlap)
        self.retriever = HybridRetriever(self.store, self.embeddings, settings.dense_k, settings.keyword_k,
                                         settings.rrf_k, vector_cache=settings.query_cache,
                                         version=lambda: self.database.value(STORE_VERSION),
                                         cache_bytes=int(settings.cache_mb * 1e6),
                                         change_log=lambda: self.database)
        self.store.on_change = self.retriever.keywords.log_change
        self.answerer = self._answerer()
        self.condenser = self._condenser()

    @cached_property
    def database(self) -> SharedDatabase:
        """Opened on first use: a Bot that only ingests and answers needs none."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SharedDatabase(self.settings.database_url_resolved())

    def _answerer(self) -> Answerer:
        match self.settings.answerer:
            case "llm":
                from bot.answer.llm import LLMAnswerer

                return LLMAnswerer.from_settings(self.settings)
            case _:
                from bot.answer.reader import default_reader

                reader = default_reader(self.settings.embedder)
                return ExtractiveAnswerer(Extractor(reader, read=self.settings.reader_candidates),
                                          self.settings.citations)

    def _condenser(self) -> Condenser:
        if self.settings.llm.provider is None:
            return ResolveFollowUp()
        from bot.answer.condense import LLMCondenser
        from bot.answer.llm import chat_model

        return LLMCondenser(chat_model(self.settings.llm), self.settings.prompts_dir)
