from pathlib import Path

import pytest

from bot import Bot, ConfigError, DeltaEvent, DoneEvent, Settings
from bot.settings import LLMSettings
from tests.bot.fake_openai import fake_openai
from tests.conftest import SEED


def llm_bot(tmp_path: Path, url: str) -> Bot:
    settings = Settings(data_dir=tmp_path, answerer="llm",
                        llm=LLMSettings(provider="openai", model="local-model", base_url=url, api_key="k"))
    bot = Bot(settings=settings)
    bot.ingest([SEED])
    return bot


def test_llm_answer_with_citations_through_openai_protocol(tmp_path: Path) -> None:
    with fake_openai("Donald Trump will attend, and Ukraine has been invited [1].") as server:
        bot = llm_bot(tmp_path, server.url)
        answer = bot.ask("Who will attend the NATO summit?")
    assert answer.answerable and answer.text.startswith("Donald Trump")
    assert [c.n for c in answer.citations] == [1] and answer.warnings == []
    messages = server.requests[0]["messages"]
    assert messages[0]["role"] == "system" and "[1]" in messages[0]["content"]
    assert "3.5 percent" in messages[1]["content"] and "Who will attend the NATO summit?" in messages[1]["content"]


def test_llm_streaming(tmp_path: Path) -> None:
    with fake_openai("The target is 3.5 percent of GDP plus 1.5 percent by 2032 [1].") as server:
        bot = llm_bot(tmp_path, server.url)
        events = list(bot.stream("What is the spending target?"))
    deltas = [e.text for e in events if isinstance(e, DeltaEvent)]
    assert len(deltas) > 5 and server.requests[0]["stream"] is True
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.answer.text == "".join(deltas)


def test_unsupported_and_missing_citations_are_flagged(tmp_path: Path) -> None:
    with fake_openai("The summit will be held on Mars with penguins [7].") as server:
        answer = llm_bot(tmp_path, server.url).ask("Where is the summit?")
    assert any("no passage 7" in w for w in answer.warnings)
    assert any("cites no passage" in w for w in answer.warnings)


def test_llm_decline(tmp_path: Path) -> None:
    with fake_openai("The indexed articles don't say.") as server:
        answer = llm_bot(tmp_path, server.url).ask("Who won the World Cup?")
    assert not answer.answerable and answer.citations == []


def test_llm_without_provider_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PROVIDER"):
        Settings(data_dir=tmp_path, answerer="llm")


def test_missing_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "langchain_anthropic", None)
    settings = Settings(data_dir=tmp_path, answerer="llm", llm=LLMSettings(provider="anthropic"))
    with pytest.raises(ConfigError, match=r"newsbot\[anthropic\]"):
        Bot(settings=settings)


def test_llm_condenses_follow_ups_with_the_condense_prompt(tmp_path: Path) -> None:
    rewritten = "When does the NATO summit in The Hague start?"
    with fake_openai(rewritten) as server:
        bot = llm_bot(tmp_path, server.url)
        bot.ask("Who attends the NATO summit?", conversation_id="c1")
        follow = bot.ask("And when does it start?", conversation_id="c1")
    assert follow.question == rewritten
    condense = server.requests[1]["messages"][-1]["content"]
    assert "Standalone question:" in condense and "User: Who attends the NATO summit?" in condense
    assert "Follow-up question: And when does it start?" in condense
    answer_prompt = server.requests[2]["messages"][1]["content"]
    assert rewritten in answer_prompt  # retrieval and the answer use the rewritten question
