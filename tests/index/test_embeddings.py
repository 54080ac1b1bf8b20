"""The built-in embedders, loaded from their packages (no download)."""

from pathlib import Path

import numpy as np

from bot.core import Bot
from index import get_embeddings
from tests.conftest import SEED


def test_minilm_embeds_meaning_not_batch_mates() -> None:
    minilm = get_embeddings("minilm")
    texts = ["NATO leaders meet in The Hague in June.", "The alliance's summit is held in the Netherlands.",
             "A recipe for banana bread needs ripe bananas.", "x " * 400]
    batch = np.array(minilm.embed_documents(texts))
    alone = np.array([minilm.embed_documents([t])[0] for t in texts])
    assert batch.shape == (4, 384)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert np.allclose(batch, alone, atol=1e-4)  # padding to a longer batch-mate changes nothing
    similar, unrelated = batch[0] @ batch[1], batch[0] @ batch[2]
    assert similar > unrelated + 0.2
    query = np.array(minilm.embed_query("Where is the NATO summit?"))
    assert query @ batch[0] > query @ batch[2]


def test_a_store_built_with_minilm_answers(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path, embedder="minilm")
    bot.ingest([SEED])
    answer = bot.ask("What is the spending target?")
    assert answer.answerable and "3.5" in answer.text
    assert bot.store.search(bot.embeddings.embed_query("spending target"), 1)
