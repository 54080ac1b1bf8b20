import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot import Bot
from bot.server import create_app
from index.errors import IngestError
from tests.conftest import SEED, article


def test_articles_crud(tmp_path: Path) -> None:
    client = TestClient(create_app(bot=Bot(data_dir=tmp_path)))
    r = client.post("/v1/articles", json=[article(1), article(2)])
    assert r.status_code == 200 and len(r.json()["added"]) == 2
    assert len(client.post("/v1/articles", json=article(1)).json()["unchanged"]) == 1
    page = client.get("/v1/articles", params={"limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    article_id = page["items"][0]["id"]
    assert client.delete(f"/v1/articles/{article_id}").status_code == 204
    assert client.delete(f"/v1/articles/{article_id}").status_code == 404
    assert client.get("/v1/articles").json()["total"] == 1


def test_file_upload(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path)
    client = TestClient(create_app(bot=bot))
    lines = "\n".join(json.dumps(article(n)) for n in (3, 4))
    r = client.post("/v1/articles", files=[("files", ("nato.txt", SEED.read_bytes(), "text/plain")),
                                           ("files", ("ferries.jsonl", lines.encode(), "application/jsonl"))])
    assert r.status_code == 200, r.text
    assert len(r.json()["added"]) == 3
    titles = {a.title for a in bot.articles()}
    assert any(t.startswith("NATO") for t in titles) and "Harbour town 3 opens a ferry line" in titles
    assert bot.ask("What is the spending target?").answerable


def test_ids_with_a_slash_can_be_deleted(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path)
    client = TestClient(create_app(bot=bot))
    assert client.post("/v1/articles", json=[article(1, id="desk/2025/ferry"), article(2, id="a/b")]).status_code == 200
    assert client.delete("/v1/articles/desk/2025/ferry").status_code == 204  # raw
    assert client.delete("/v1/articles/a%2Fb").status_code == 204  # percent-encoded
    assert client.delete("/v1/articles/a%2Fb").status_code == 404
    assert bot.articles() == []


def test_rejected_uploads_store_nothing(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path)
    client = TestClient(create_app(bot=bot))
    good = ("files", ("ok.md", b"# A title\n\nSome text about a harbour ferry that opened.", "text/markdown"))
    cases = [
        ([good, ("files", ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"))], "unknown file type"),
        ([good, ("files", ("bad.txt", b"\x00\x01binary", "text/plain"))], "binary"),
        ([good, ("files", ("blank.txt", b"   \n\n  ", "text/plain"))], "no text"),
        ([good, ("files", ("broken.json", b"{not json", "application/json"))], "malformed JSON"),
    ]
    for files, message in cases:
        r = client.post("/v1/articles", files=files)
        assert r.status_code == 400 and message in r.json()["detail"], r.text
    r = client.post("/v1/articles", data={"title": "not a file"}, files=[good])
    assert r.status_code == 400 and "not a file" in r.json()["detail"]
    assert bot.store.count() == 0


def test_bad_article_bodies_change_nothing(client: TestClient, app_bot: Bot) -> None:
    before = app_bot.store.count()
    r = client.post("/v1/articles", content=b"title=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["detail"]
    assert client.post("/v1/articles", json={"title": "empty", "text": "  "}).status_code == 400
    assert client.post("/v1/articles", json=[]).status_code == 400
    r = client.post("/v1/articles", json=[article(1), {"title": ["a", "list"], "text": "y"}])
    assert r.status_code == 422 and "title" in r.json()["detail"]
    r = client.post("/v1/articles", content=b"[{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    assert app_bot.store.count() == before


def test_a_record_gives_the_same_article_posted_or_ingested_from_a_file(tmp_path: Path) -> None:
    """trafilatura-style names (`link`, `date`, `raw_text`, `sitename`) are read both ways; fields
    newsbot does not use are ignored and named, not refused."""
    record = {"title": "Harbour ferry gets a second boat", "raw_text": "The Lakeport harbour ferry will run a "
              "second boat from 3 March. Crossings will leave every 20 minutes.", "link": "https://news.example/ferry",
              "date": "2026-03-02", "sitename": "Lakeport Daily", "author": "A. Writer", "tags": ["transport"],
              "fingerprint": "abc123"}
    posted_bot = Bot(data_dir=tmp_path / "posted")
    r = TestClient(create_app(bot=posted_bot)).post("/v1/articles", json=record)
    assert r.status_code == 200 and len(r.json()["added"]) == 1 and r.json()["chunks_written"] >= 1
    assert r.json()["warnings"] == ["ignored fields newsbot does not read: author, fingerprint, tags"]
    (tmp_path / "record.json").write_text(json.dumps(record), encoding="utf-8")
    filed_bot = Bot(data_dir=tmp_path / "filed")
    filed_bot.ingest([tmp_path / "record.json"])
    assert posted_bot.articles() == filed_bot.articles()
    stored = posted_bot.articles()[0]
    assert (stored.url, stored.source) == (record["link"], "Lakeport Daily")
    assert (stored.published or "").startswith("2026-03-02")


def test_oversized_bodies_are_refused(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path, max_body_bytes=5_000)
    client = TestClient(create_app(bot=bot))
    big = article(1, text="The ferry sailed. " * 1000)
    r = client.post("/v1/articles", json=big)
    assert r.status_code == 413 and "5000 bytes" in r.json()["detail"]

    def chunked() -> object:  # no Content-Length: counted as it arrives
        yield json.dumps(big).encode()

    r = client.post("/v1/articles", content=chunked(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    r = client.post("/v1/articles", files=[("files", ("big.txt", b"Title\n\n" + b"word " * 2000, "text/plain"))])
    assert r.status_code == 413
    assert bot.store.count() == 0


def test_inputs_beyond_the_limits_are_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path, max_articles_per_request=3)
    client = TestClient(create_app(bot=bot))
    assert client.post("/v1/articles", json=article(1)).status_code == 200
    cases = [
        (json.dumps(article(2, title="T" * 100_000)), 400, "NEWSBOT_MAX_TITLE_CHARS"),
        (json.dumps([article(n) for n in range(2, 6)]), 413, "at most 3"),
        ('{"title": "t", "text": "x", "n": ' + "7" * 5000 + "}", 422, "4300 digits"),
        ("[" * 100_000 + "]" * 100_000, 422, "nested too deeply"),
    ]
    for body, code, message in cases:
        r = client.post("/v1/articles", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == code and message in r.json()["detail"], (code, r.text[:200])
    lines = "\n".join(json.dumps(article(n)) for n in range(2, 6)).encode()
    r = client.post("/v1/articles", files=[("files", ("four.jsonl", lines, "application/jsonl"))])
    assert r.status_code == 413
    assert [a.title for a in bot.articles()] == ["Harbour town 1 opens a ferry line"]


def test_a_long_text_is_refused_by_the_cli_too(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path, max_article_chars=1000)
    with pytest.raises(IngestError, match="NEWSBOT_MAX_ARTICLE_CHARS"):
        bot.ingest([article(1, text="Long text here. " * 100)])
    assert bot.articles() == []


def test_writes_are_refused_with_507_while_the_disk_is_nearly_full_and_reads_go_on(app_bot: Bot) -> None:
    """The watermark set above the volume's free space stands for a nearly full disk."""
    from index.store.disk import free_mb

    settings = app_bot.settings.model_copy(update={"min_free_disk_mb": free_mb(app_bot.settings.data_dir) * 4})
    full = Bot(settings=settings)
    client = TestClient(create_app(bot=full), raise_server_exceptions=False)
    before = client.get("/v1/articles").json()["total"]
    refused = client.post("/v1/articles", json={"title": "Ferry", "text": "The ferry returned on Monday."})
    assert refused.status_code == 507 and "NEWSBOT_MIN_FREE_DISK_MB" in refused.json()["detail"]
    some_id = client.get("/v1/articles").json()["items"][0]["id"]
    assert client.delete(f"/v1/articles/{some_id}").status_code == 507
    assert client.get("/v1/articles").json()["total"] == before  # nothing written, nothing deleted
    asked = client.post("/v1/chat", json={"message": "What is the spending target?"})
    assert asked.status_code == 200 and "3.5" in asked.json()["answer"]
