"""The integration suite against both stores: the embedded PersistentClient and a real Chroma
server (`chroma run`), the latter also with PostgreSQL as the database: ingest, ask, delete, the
chat endpoint; and two workers sharing a server and a database (SQLite or PostgreSQL)."""

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot import Bot
from bot.server import create_app
from bot.server.workers import chroma_server, free_port
from index.store.keyword import KeywordIndex
from tests.conftest import REPO, SEED, article, count_store_reads, ranked


@pytest.fixture(params=["embedded", "server", "server+postgres"])
def any_bot(request: pytest.FixtureRequest, tmp_path: Path) -> Bot:
    if request.param == "embedded":
        return Bot(data_dir=tmp_path)
    url = request.getfixturevalue("chroma_url")
    database = request.getfixturevalue("postgres_url") if request.param.endswith("postgres") else None
    # A collection of its own: the server may be shared with other tests (or CI runs).
    return Bot(data_dir=tmp_path, chroma_url=url, collection=f"t_{uuid.uuid4().hex[:12]}", database_url=database)


def test_ingest_ask_delete(any_bot: Bot) -> None:
    report = any_bot.ingest([SEED, REPO / "samples"])
    assert len(report.added) == 5 and any_bot.ingest([SEED]).unchanged
    who = any_bot.ask("Who attends the summit?")
    assert who.answerable and "Trump" in who.text
    target = any_bot.ask("What is the spending target?")
    assert "3.5" in target.text and ("2032" in target.text or "GDP" in target.text)
    assert not any_bot.ask("Who won the 1966 World Cup final?").answerable
    riverton = next(a for a in any_bot.articles() if "Riverton" in a.title)
    assert any_bot.delete(riverton.id) and not any_bot.delete(riverton.id)
    assert all("Riverton" not in c.title for c in any_bot.ask("How many bicycles will Riverton have?").citations)


def test_chat_endpoint(any_bot: Bot) -> None:
    any_bot.ingest([SEED])
    client = TestClient(create_app(bot=any_bot))
    first = client.post("/v1/chat", json={"message": "Who attends the NATO summit?"}).json()
    follow = client.post("/v1/chat", json={"message": "And when does it start?",
                                           "conversation_id": first["conversation_id"]}).json()
    assert "Trump" in first["answer"] and "June" in follow["answer"]
    streamed = client.post("/v1/chat", json={"message": "What is the spending target?", "stream": True})
    assert "event: done" in streamed.text and "3.5" in streamed.text
    assert client.post("/v1/articles", json=article(7)).json()["added"]
    assert client.get("/v1/articles").json()["total"] == 2


def test_workers_sharing_a_server_see_each_others_writes(chroma_url: str, shared_database: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    shared = {"chroma_url": chroma_url, "collection": f"t_{uuid.uuid4().hex[:12]}", "database_url": shared_database}
    one = Bot(data_dir=tmp_path / "one", **shared)
    two = Bot(data_dir=tmp_path / "two", **shared)
    two.retriever.keywords.recheck_s = 0.0  # a real worker rechecks every second; no need to wait here
    one.ingest([article(1)])
    question = "What did the mayor Ada Brandt say about the ferry line in Port Elm 1?"
    assert two.ask(question).citations[0].quote in str(article(1)["text"])
    # Same number of chunks, new words: only the shared version tells the other worker.
    changed = ("The town of Port Elm 1 closed its ferry line on Monday. Tickets were refunded. The mayor, Ada "
               "Brandt, said the boats were sold to a museum in the north.")
    reads = count_store_reads(two.store, monkeypatch)
    one.ingest([article(1, text=changed), article(2)])
    assert two.ask(question).citations[0].quote in changed
    index = two.retriever.keyword_index()
    assert not reads, "the other worker's write is applied from the change log, not by reading the store"
    fresh = KeywordIndex(one.store.all_chunks())
    for query in ("museum", "ferry line Port Elm", "Ada Brandt"):
        assert ranked(index, query, 5) == ranked(fresh, query, 5)


def test_a_chroma_server_that_goes_away_gives_503s_and_service_resumes_when_it_returns(tmp_path: Path) -> None:
    port = free_port()
    with chroma_server(tmp_path / "chroma", port=port) as url:
        bot = Bot(data_dir=tmp_path / "data", chroma_url=url)
        client = TestClient(create_app(bot=bot), raise_server_exceptions=False)
        assert client.post("/v1/articles", json=article(1)).status_code == 200
    calls = {
        "chat": lambda: client.post("/v1/chat", json={"message": "How much do tickets cost in Port Elm 1?"}),
        "ingest": lambda: client.post("/v1/articles", json=article(2)),
        "delete": lambda: client.delete("/v1/articles/nothing-here"),
        "list": lambda: client.get("/v1/articles"),
        "ready": lambda: client.get("/readyz"),
    }
    for name, call in calls.items():
        r = call()
        assert r.status_code == 503 and "store" in r.json()["detail"], (name, r.status_code, r.text[:200])
        assert name == "ready" or r.headers["retry-after"] == "5"
    with chroma_server(tmp_path / "chroma", port=port):  # back, same place: no restart of newsbot needed
        r = client.post("/v1/chat", json={"message": "How much do tickets cost in Port Elm 1?"})
        assert r.status_code == 200 and "5 dollars" in r.json()["answer"]
        assert client.get("/readyz").status_code == 200


def test_an_article_deleted_by_one_worker_is_never_cited_by_another_after_the_delete_returns(
        chroma_url: str, shared_database: str, tmp_path: Path) -> None:
    shared = {"chroma_url": chroma_url, "collection": f"t_{uuid.uuid4().hex[:12]}", "database_url": shared_database}
    one = Bot(data_dir=tmp_path / "one", **shared)
    two = Bot(data_dir=tmp_path / "two", **shared)
    two.retriever.keywords.recheck_s = 3600.0  # the periodic size check never comes to the rescue here
    one.ingest([article(1), article(2)])
    question = "What did the mayor Ada Brandt say about the ferry line in Port Elm 1?"
    first = two.ask(question)
    gone = str(first.citations[0].article_id)
    assert first.answerable and "100 people" in first.text
    assert one.delete(gone)
    after = two.ask(question)  # at once: the cached answer and the keyword index are both stale
    assert gone not in {c.article_id for c in after.citations} and "100 people" not in after.text
