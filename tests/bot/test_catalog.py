"""Seeing what is indexed: articles by title words and source, one article with its passages, the
sources with counts and dates; the same over HTTP, in the SDK and the CLI. A source is named as
people name it. Articles written for the test."""

from pathlib import Path

import pytest

from bot import Bot, Client
from bot.catalog import names_source
from bot.cli.main import main
from bot.server import create_app
from tests.bot.server.conftest import serve_app

ARTICLES = [
    {"title": "Harbour ferry gets a second boat", "source": "Reuters: World News", "published": "2026-03-02",
     "url": "https://www.reuters.com/world/ferry", "text": "The Lakeport harbour ferry will run a second boat from "
     "3 March. Crossings will leave every 20 minutes instead of every 40."},
    {"title": "Ferry fares rise in Rivertown", "source": "BBC News", "published": "2026-02-10",
     "url": "https://www.bbc.co.uk/news/fares", "text": "Ferry fares in Rivertown will rise by 10% in April. "
     "A single ticket will cost 3.30 euros."},
    {"title": "Library extends its opening hours", "published": "2026-01-05",
     "url": "https://apnews.com/article/library", "text": "Lakeport's central library will open until 9 pm on "
     "weekdays from April. The council approved 120,000 euros for extra staff."},
    {"title": "Reuters ferry survey: commuters want more boats", "source": "Reuters: World News",
     "published": "2025-12-01", "url": "https://www.reuters.com/world/survey", "text": "Seven in ten commuters "
     "asked by the transport office want more ferry crossings at rush hour."},
]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    bot = Bot(data_dir=tmp_path_factory.mktemp("catalog"))
    bot.ingest(ARTICLES)
    return bot


def test_a_source_is_named_by_its_words_or_its_host() -> None:
    assert names_source("Reuters", "Reuters: World News") and names_source("world news", "Reuters: World News")
    assert names_source("reuters.com", None, "reuters.com") and names_source("bbc", "BBC News", "bbc.co.uk")
    assert names_source("apnews.com", None, "apnews.com") and names_source("apnews", None, "apnews.com")
    assert not names_source("Reuters", "BBC News", "bbc.co.uk") and not names_source("news.com", None, "apnews.com")
    assert not names_source("", "Reuters")


def test_the_api_and_the_sdk_show_what_is_indexed(bot: Bot) -> None:
    with serve_app(create_app(bot=bot)) as url, Client(url) as client:
        sources = {s.name: s for s in client.list_sources()}
        assert set(sources) == {"Reuters: World News", "BBC News", "apnews.com"}
        reuters = sources["Reuters: World News"]
        assert (reuters.articles, reuters.hosts, (reuters.newest or "")[:10]) == (2, ["reuters.com"], "2026-03-02")
        found = client.list_articles(q="ferry", source="reuters")
        assert [a.title for a in found.items] == [ARTICLES[0]["title"], ARTICLES[3]["title"]] and found.total == 2
        assert [a.title for a in client.list_articles(source="bbc.co.uk").items] == [ARTICLES[1]["title"]]
        assert client.list_articles(q="ferry", limit=1, offset=1).items[0].title == ARTICLES[1]["title"]
        detail = client.get_article(found.items[0].id)
        assert detail.title == ARTICLES[0]["title"] and "second boat" in detail.passages[0] and detail.chunks == 1
        overview = client._http.get(url + "/v1/sources").json()
        assert overview["articles"] == 4 and overview["newest"].startswith("2026-03-02")
        assert overview["examples"] == ["What is the latest on the harbour ferry?", "What is the latest on Rivertown?",
                                        "What is the latest on Library?"]
        missing = client._http.get(url + "/v1/articles/no-such-article")
        assert missing.status_code == 404 and "no article" in missing.json()["detail"]


def test_a_source_filter_finds_the_source_by_its_words_and_says_what_it_matched(bot: Bot) -> None:
    answer = bot.ask("How many commuters want more ferry crossings?", filters={"source": "reuters"})
    assert answer.answerable and {c.source for c in answer.citations} == {"Reuters: World News"}
    assert answer.warnings == ["source 'reuters' matched 'Reuters: World News'"]
    by_host = bot.ask("How many commuters want more ferry crossings?", filters={"source": "reuters.com"})
    assert by_host.answerable and {c.source for c in by_host.citations} == {"Reuters: World News"}
    assert by_host.warnings == ["source 'reuters.com' matched 'Reuters: World News'"]


def test_the_cli_lists_shows_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "d")]
    Bot(data_dir=tmp_path / "d").ingest(ARTICLES)

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*data, *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("articles", "list", "--q", "ferry", "--source", "Reuters")
    lines = out.strip().splitlines()
    assert code == 0 and [line.split("\t")[3] for line in lines] == [ARTICLES[0]["title"], ARTICLES[3]["title"]]
    code, out, _ = run("articles", "list", "--page", "2", "--page-size", "3")
    assert code == 0 and [line.split("\t")[3] for line in out.strip().splitlines()] == [ARTICLES[3]["title"]]
    code, out, _ = run("articles", "show", lines[0].split("\t")[0])
    assert code == 0 and "source: Reuters: World News" in out and "[1] The Lakeport harbour ferry" in out
    code, _, err = run("articles", "show", "no-such-article")
    assert code == 1 and "no article" in err
    code, out, _ = run("sources")
    assert code == 0 and out.splitlines()[0].startswith("Reuters: World News\t2 articles\tnewest 2026-03-02")
    code, _, err = run("articles", "list", "--page", "-1")
    assert code == 1 and "--page" in err
