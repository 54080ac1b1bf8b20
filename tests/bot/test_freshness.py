"""A store where one story has an old and a new article with different facts: a question asking
for the newest is answered from the new one and says as of when; an answer from an old article to
a "now" question shows its age. Articles written for the test."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import Bot
from bot.answer.freshness import asks_for_latest, window_of
from bot.models import Filters

OLD = {"title": "Anna Berg sworn in as mayor of Lakeport", "published": "2024-03-04", "source": "Lakeport Daily",
       "url": "https://news.example/2024/berg",
       "text": "Anna Berg was sworn in as mayor of Lakeport on Monday after winning 54% of the vote. "
               "Berg, a former teacher, promised to rebuild the harbour ferry. "
               "The city's yearly budget stands at 80 million euros, her office said. "
               "The ferry carries about 2,000 passengers a day."}
NEW = {"title": "Tomas Lind takes over as mayor of Lakeport", "published": "2026-11-30", "source": "Lakeport Daily",
       "url": "https://news.example/2026/lind",
       "text": "Tomas Lind became mayor of Lakeport on Monday after Anna Berg stepped down for health reasons. "
               "Lind, an engineer, led the council's transport committee for six years. "
               "The city's yearly budget stands at 95 million euros, his office said. "
               "Lind said his first task would be the new tram line."}
OTHER = [{"title": "Rivertown opens a climbing hall", "published": "2026-11-29", "source": "Rivertown Post",
          "text": "Rivertown opened an indoor climbing hall on Saturday. The hall has 140 routes and cost "
                  "3 million euros. It is open from 7 am to 11 pm."},
         {"title": "Harbor Bay fishing season ends early", "published": "2025-09-12", "source": "Bay News",
          "text": "The fishing season in Harbor Bay ended two weeks early because of low cod stocks. "
                  "Fishers will receive compensation of 1,200 euros each."}]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    bot = Bot(data_dir=tmp_path_factory.mktemp("fresh"))
    bot.ingest([OLD, NEW, *OTHER])
    return bot


@pytest.mark.parametrize(("question", "expected"), [
    ("Who is the mayor of Lakeport now?", "Lind"),
    ("Who is currently the mayor of Lakeport?", "Lind"),
    ("What is Lakeport's yearly budget now?", "95 million"),
])
def test_a_question_for_the_newest_is_answered_from_the_newest_article(bot: Bot, question: str,
                                                                        expected: str) -> None:
    answer = bot.ask(question)
    assert answer.answerable and expected in answer.text
    assert answer.text.startswith("As of 30 November 2026: ")
    streamed = "".join(e.text for e in bot.stream(question) if e.type == "delta")  # type: ignore[union-attr]
    assert streamed == answer.text  # the date is streamed first, as the answer says it


def test_an_old_answer_to_a_now_question_says_how_old_it_is(bot: Bot) -> None:
    answer = bot.ask("How many passengers does the Lakeport ferry carry a day now?")
    assert answer.answerable and "2,000" in answer.text and answer.text.startswith("As of 4 March 2024: ")


def test_a_question_about_the_past_reads_every_article_and_is_not_dated(bot: Bot) -> None:
    answer = bot.ask("What share of the vote did Anna Berg win?")
    assert answer.answerable and "54%" in answer.text and not answer.text.startswith("As of")


def test_relative_dates_filter_as_people_write_them(bot: Bot) -> None:
    recent = Filters(published_after="last year")  # type: ignore[arg-type]
    answer = bot.ask("What is Lakeport's yearly budget?", filters=recent)
    assert answer.answerable and "95 million" in answer.text
    found = bot.search("Lakeport mayor", Filters(published_before="2 years ago"))  # type: ignore[arg-type]
    assert found and {p.article_id for p in found} == {bot.articles()[-1].id}


def test_what_asks_for_the_newest() -> None:
    assert all(asks_for_latest(q) for q in ("What is the latest on the strike?", "Is he still in jail?",
                                            "How many have died so far?", "Who leads the race right now?"))
    assert not any(asks_for_latest(q) for q in ("Who won the election in 2019?", "When was NATO founded?",
                                                "What did the mayor promise?"))
    default = timedelta(days=3)
    assert [window_of(q, default).days for q in ("Who resigned this week?", "What happened today?",
                                                  "Who leads now?", "How many this year?")] == [7, 1, 3, 366]


def test_the_window_is_a_setting(tmp_path: Path) -> None:
    wide = Bot(data_dir=tmp_path / "wide", latest_window_days=100_000)  # every article is new, none old
    wide.ingest([OLD, NEW])
    answer = wide.ask("What is Lakeport's yearly budget now?")
    assert answer.answerable and "million" in answer.text and not answer.text.startswith("As of")


def test_an_answer_from_todays_news_needs_no_date(tmp_path: Path) -> None:
    today = {"title": "Lakeport tram line opens", "published": datetime.now(UTC).isoformat(),
             "text": "The first Lakeport tram line opened this morning. It runs 14 kilometres from the harbour "
                     "to the university, with 22 stops."}
    bot = Bot(data_dir=tmp_path / "today")
    bot.ingest([OLD, NEW, today])
    answer = bot.ask("How many stops does the Lakeport tram line have now?")
    assert answer.answerable and "22 stops" in answer.text and not answer.text.startswith("As of")


def test_now_is_when_the_question_is_asked(bot: Bot) -> None:
    """Asked in March 2024, "now" is Anna Berg: the newer article did not exist yet."""
    answer = bot.ask("Who is the mayor of Lakeport now?", asked_at=datetime(2024, 3, 10, tzinfo=UTC))
    assert answer.answerable and "Berg" in answer.text and answer.text.startswith("As of 4 March 2024: ")
    fresh = bot.ask("Who is the mayor of Lakeport now?", asked_at=datetime(2024, 3, 5))  # naive: UTC
    assert "Berg" in fresh.text and not fresh.text.startswith("As of")  # a day old: no date needed
