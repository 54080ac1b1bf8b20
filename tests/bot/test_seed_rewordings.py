"""Natural rewordings of the seed article's facts, answered right in three stores (the file
alone, the text posted as JSON, the seed among the dev-set articles), and questions it cannot
answer, declined in all three. Each expected fact lists the ways the article words it."""

import json
from pathlib import Path

import pytest

from bot import Bot
from tests.conftest import DEV, SEED

# question -> facts; every fact (a tuple of alternatives) must be in the answer
ANSWERABLE: dict[str, list[tuple[str, ...]]] = {
    "Who will attend the NATO summit?": [("Trump",), ("Ukraine",)],
    "Who is going to the summit in The Hague?": [("Trump",), ("Ukraine",)],
    "What is the spending target?": [("3.5 percent",), ("1.5 percent",)],
    "What is the defense spending target?": [("3.5 percent",)],
    "How much of GDP should go to direct military spending?": [("3.5 percent",)],
    "How much is meant for broader security-related outlays?": [("1.5 percent",)],
    "By what year should the spending target be reached?": [("2032",)],
    "Who proposed the new spending target?": [("Rutte",)],
    "When is the NATO summit?": [("June 24",)],
    "What are the dates of the summit?": [("June 24",)],
    "Where will the summit take place?": [("Hague",)],
    "In which city is the NATO summit being held?": [("Hague",)],
    "What did the talks in Istanbul produce?": [("prisoner exchange",)],
    "What came out of the negotiations in Istanbul?": [("prisoner exchange",)],
    "What does Russia demand?": [("enlargement", "expansion")],
    "What conditions does Russia maintain?": [("enlargement", "sanctions")],
    "Is Donald Trump going to the meeting?": [("Trump will attend",)],
    "Which country did NATO invite to the summit?": [("Ukraine",)],
    "Did the Istanbul talks bring a ceasefire?": [("ceasefire",)],
    "What did the Bucharest Nine and Nordic leaders reiterate?": [("irreversible path",)],
    "Who is NATO's secretary general?": [("Rutte",)],
    "What do some allies think of the 2032 timeline?": [("too slow",)],
}

# Where the shipped model is known to fall short (measured; see bot/answer_model/MODEL.md). Strict:
# a gap that closes fails the run, so the list is kept true.
KNOWN_GAPS: dict[tuple[str, str], str] = {
    **{(q, store): "adds the Ukraine sentence only when its probability reaches second_above"
       for q in ("Who will attend the NATO summit?", "Who is going to the summit in The Hague?")
       for store in ("file", "json", "among_dev")},
    ("By what year should the spending target be reached?", "json"): "declined by the question-level model "
                                                                     "where the seed is posted as one JSON text",
    **{("What came out of the negotiations in Istanbul?", store): "the Istanbul sentence is read but the "
       "question-level model declines (its names are in the passage, its wording is not)"
       for store in ("file", "json", "among_dev")},
    **{(q, "among_dev"): "another article's sentence outranks the seed's"
       for q in ("What does Russia demand?", "What conditions does Russia maintain?")},
    ("What is the boiling point of water in Fahrenheit?", "among_dev"): "a dev-set sentence passes the decline "
                                                                         "threshold",
}


def cases(questions: list[str]) -> list[object]:
    return [pytest.param(q, store, marks=pytest.mark.xfail(reason=KNOWN_GAPS[q, store], strict=True))
            if (q, store) in KNOWN_GAPS else pytest.param(q, store)
            for q in questions for store in ("file", "json", "among_dev")]


UNANSWERABLE = [
    "Who won the 2018 FIFA World Cup final?",
    "What is a good recipe for banana bread?",
    "What is the capital of Australia?",
    "How tall is Mount Everest?",
    "Who painted the Mona Lisa?",
    "How many moons does Jupiter have?",
    "What is the boiling point of water in Fahrenheit?",
    "Who wrote Pride and Prejudice?",
    "How do I reset my router password?",
]


def seed_as_json() -> dict[str, str]:
    """The seed as an API client would post it: a title and the whole file as text."""
    return {"title": "NATO Invites Ukraine to Hague Summit as Trump Confirms Attendance",
            "text": Path(SEED).read_text(encoding="utf-8")}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, seed_bot: Bot) -> dict[str, Bot]:
    posted = Bot(data_dir=tmp_path_factory.mktemp("seed-json"))
    posted.ingest([seed_as_json()])
    among = Bot(data_dir=tmp_path_factory.mktemp("seed-among-dev"))
    dev = [json.loads(line) for line in (DEV / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    among.ingest([*dev, SEED])
    return {"file": seed_bot, "json": posted, "among_dev": among}


@pytest.mark.parametrize(("question", "store"), cases(list(ANSWERABLE)))
def test_reworded_questions_are_answered(stores: dict[str, Bot], store: str, question: str) -> None:
    answer = stores[store].ask(question)
    assert answer.answerable, f"declined in {store}"
    for alternatives in ANSWERABLE[question]:
        assert any(a in answer.text for a in alternatives), f"{alternatives} missing from {answer.text!r}"
    assert "Hague Summit" in answer.citations[0].title or answer.citations[0].title.startswith("NATO Invites")
    assert len(answer.text.split()) <= 60


@pytest.mark.parametrize(("question", "store"), cases(UNANSWERABLE))
def test_questions_the_seed_cannot_answer_are_declined(stores: dict[str, Bot], store: str, question: str) -> None:
    answer = stores[store].ask(question)
    assert not answer.answerable, f"answered in {store}: {answer.text!r}"
    assert answer.citations == []


def test_the_decision_does_not_depend_on_the_store_size(stores: dict[str, Bot]) -> None:
    """The same question over the same article: the same decision and the same quoted sentence,
    in a store of one article and (restricted to that article) in a store of 68."""
    big = stores["among_dev"]
    seed_id = next(a.id for a in big.articles() if a.title.startswith("NATO Invites"))
    for question in [*ANSWERABLE, *UNANSWERABLE]:
        alone, among = stores["file"].ask(question), big.ask(question, filters={"article_id": [seed_id]})
        assert alone.answerable == among.answerable, question
        assert alone.text == among.text, question
