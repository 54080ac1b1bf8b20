"""The retriever and the chain as LangChain sees them: LangChain's standard retriever tests,
Documents with their article's metadata, and a chain that streams and is traced."""

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from bot import AnswerError, Bot, CitationsEvent, DeltaEvent, DoneEvent
from bot.answer.news_retriever import NewsRetriever, passage_of
from tests.conftest import REPO, SEED


@pytest.fixture(scope="module")
def news_bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    """The seed and the samples: enough chunks for k=3 to mean three documents."""
    bot = Bot(data_dir=tmp_path_factory.mktemp("retriever"))
    bot.ingest([SEED, REPO / "samples"])
    return bot


class TestNewsRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _bot(self, news_bot: Bot) -> None:
        self.bot = news_bot

    @property
    def retriever_constructor(self) -> type[NewsRetriever]:
        return NewsRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"searcher": self.bot.retriever}

    @property
    def retriever_query_example(self) -> str:
        return "What is the defense spending target?"


def test_documents_carry_the_article_and_the_scores(news_bot: Bot) -> None:
    documents = news_bot.as_retriever(k=3).invoke("Who will attend the NATO summit?")
    assert len(documents) == 3 and all(isinstance(d, Document) for d in documents)
    first = documents[0]
    assert first.id and first.metadata["article_id"] and first.metadata["title"]
    assert {"published", "source", "chunk_index", "score", "dense_score", "keyword_score"} <= set(first.metadata)
    assert [d.metadata["score"] for d in documents] == sorted((d.metadata["score"] for d in documents), reverse=True)
    assert passage_of(first).chunk.text == first.page_content and passage_of(first).score == first.metadata["score"]


def test_filters_bind_to_the_retriever_or_to_a_call(news_bot: Bot) -> None:
    article_id = news_bot.articles()[0].id
    assert news_bot.as_retriever(article_id=["elsewhere"]).invoke("spending target") == []
    assert news_bot.as_retriever(article_id=[article_id]).invoke("spending target")
    assert news_bot.as_retriever().invoke("spending target", filters={"article_id": ["elsewhere"]}) == []
    with pytest.raises(AnswerError, match="published_after"):
        news_bot.as_retriever(published_after="someday")


def test_the_retriever_composes_into_anyones_chain(news_bot: Bot) -> None:
    chain = news_bot.as_retriever(k=2) | RunnableLambda(lambda docs: [d.metadata["title"] for d in docs])
    assert len(chain.invoke("What did the talks in Istanbul produce?")) == 2


def test_the_chain_streams_pieces_then_citations_then_the_answer(news_bot: Bot) -> None:
    events = list(news_bot.chain.stream({"question": "Where will the summit take place?"}))
    pieces = [e for e in events if isinstance(e, DeltaEvent)]
    assert len(pieces) > 3 and isinstance(events[-2], CitationsEvent) and isinstance(events[-1], DoneEvent)
    assert "".join(p.text for p in pieces) == events[-1].answer.text
    assert news_bot.chain.invoke({"question": "Where will the summit take place?"}).text == events[-1].answer.text


class Runs(BaseCallbackHandler):
    def __init__(self) -> None:
        self.chains: list[str] = []
        self.retrievals = 0

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, name: str | None = None,
                       **kwargs: Any) -> None:
        self.chains.append(name or "")

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.retrievals += 1


@pytest.mark.parametrize("streamed", [False, True])
def test_asking_and_streaming_are_both_traced(news_bot: Bot, streamed: bool) -> None:
    runs = Runs()
    # Two questions: the second run of one would come from the answer cache, without retrieval.
    question = {"question": "How much is meant for broader security-related outlays?" if streamed
                else "By what year should the spending target be reached?"}
    if streamed:
        list(news_bot.chain.stream(question, {"callbacks": [runs]}))
    else:
        news_bot.chain.invoke(question, {"callbacks": [runs]})
    assert {"newsbot", "condense", "retrieve", "answer"} <= set(runs.chains) and runs.retrievals == 1


def test_a_follow_up_at_the_length_limit_is_still_retrieved(news_bot: Bot) -> None:
    news_bot.ask("Who will attend the NATO summit?", conversation_id="long-follow-up")
    question = "And when does it start?" + " please" * ((news_bot.settings.max_question_chars - 23) // 7)
    assert news_bot.settings.max_question_chars - 7 < len(question) <= news_bot.settings.max_question_chars
    answer = news_bot.ask(question, conversation_id="long-follow-up")  # condensed, it grows past the limit
    assert answer.question is not None and len(answer.question) > news_bot.settings.max_question_chars
