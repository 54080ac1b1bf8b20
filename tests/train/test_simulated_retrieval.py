"""The calibration's held-out store retrieves as the runtime does: same passages, same order,
same similarities, or its thresholds would be fitted to another distribution."""

import json
from pathlib import Path

import numpy as np
import pytest

from bot.answer.retrieval import HybridRetriever
from bot.core import Bot
from bot.settings import Settings
from tests.conftest import DEV, SEED
from train.calibrate import SimulatedRetriever

QUESTIONS = ["Who will attend the NATO summit?", "What is the spending target?",
             "What did the talks in Istanbul produce?", "Who won the 2018 FIFA World Cup final?"]


@pytest.fixture(scope="module")
def news_bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    """The seed among a few dev-set articles: enough chunks that the depths cut the rankings."""
    lines = (DEV / "articles.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    bot = Bot(data_dir=Path(tmp_path_factory.mktemp("simulated")))
    bot.ingest([*(json.loads(line) for line in lines), SEED])
    return bot


@pytest.mark.parametrize("depth", [20, 3])
def test_simulated_retrieval_matches_the_runtime(news_bot: Bot, depth: int) -> None:
    settings = Settings(dense_k=depth, keyword_k=depth, passages=4)
    store = news_bot.store
    runtime = HybridRetriever(store, news_bot.embeddings, settings.dense_k, settings.keyword_k, settings.rrf_k)
    chunks = store.all_chunks()
    stored = store.vectors([c.id for c in chunks])
    vectors = np.array([stored[c.id] for c in chunks], dtype=np.float32)
    simulated = SimulatedRetriever(chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), settings)
    assert len(chunks) > depth
    for question in QUESTIONS:
        expected = runtime.retrieve(question, settings.passages)
        got = simulated.retrieve(question, simulated.similarities(news_bot.embeddings.embed_query(question)))
        assert [p.chunk.id for p in got] == [p.chunk.id for p in expected], question
        assert [p.dense for p in got] == pytest.approx([p.dense for p in expected], abs=1e-4)
        assert [p.keyword for p in got] == pytest.approx([p.keyword for p in expected], abs=1e-4)


def test_an_article_filter_restricts_both_rankings(news_bot: Bot) -> None:
    chunks = news_bot.store.all_chunks()
    stored = news_bot.store.vectors([c.id for c in chunks])
    simulated = SimulatedRetriever(chunks, np.array([stored[c.id] for c in chunks], dtype=np.float32))
    keep = {c.article_id for c in chunks[::2]}
    question = "What is the spending target?"
    got = simulated.retrieve(question, simulated.similarities(news_bot.embeddings.embed_query(question)),
                             lambda a: a in keep)
    assert got and {p.chunk.article_id for p in got} <= keep
