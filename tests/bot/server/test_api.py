import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from bot import Bot
from bot.server import create_app
from tests.conftest import SEED, article


@pytest.fixture(scope="module")
def app_bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    bot = Bot(data_dir=tmp_path_factory.mktemp("api"))
    bot.ingest([SEED])
    return bot


@pytest.fixture(scope="module")
def client(app_bot: Bot) -> TestClient:
    return TestClient(create_app(bot=app_bot))


@pytest.fixture(scope="module")
def live_url(app_bot: Bot) -> Iterator[str]:
    """The app under a real uvicorn server on 127.0.0.1."""
    config = uvicorn.Config(create_app(bot=app_bot), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def test_chat_answers_with_citations(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "What is the spending target?"})
    assert r.status_code == 200
    body = r.json()
    assert body["answerable"] and "2032" in body["answer"] and body["conversation_id"]
    assert body["citations"][0]["title"].startswith("NATO")


def test_chat_streams_over_a_real_server(live_url: str) -> None:
    events = []
    with httpx.stream("POST", live_url + "/v1/chat", json={"message": "Who will attend the NATO summit?",
                                                           "stream": True}, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    kinds = [e["type"] for e in events]
    assert kinds[-2:] == ["citations", "done"] and kinds.count("delta") > 3
    text = "".join(e["text"] for e in events if e["type"] == "delta")
    assert "Trump" in text and events[-1]["answer"]["text"] == text


def test_accept_header_selects_streaming(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "What is the spending target?"},
                    headers={"Accept": "text/event-stream"})
    assert r.headers["content-type"].startswith("text/event-stream") and "event: done" in r.text


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


@pytest.mark.parametrize(("payload", "code"), [
    ({"message": ""}, 422), ({"message": "   "}, 400), ({"message": "x" * 2001}, 422),
    ({"message": "hi", "filters": {"colour": "red"}}, 422), ({}, 422),
    ({"message": "hi", "filters": {"published_after": "not a date"}}, 422),
])
def test_bad_chat_requests(client: TestClient, payload: dict[str, object], code: int) -> None:
    r = client.post("/v1/chat", json=payload)
    assert r.status_code == code and r.json()["detail"]


def test_malformed_json_and_wrong_content_type(client: TestClient, app_bot: Bot) -> None:
    before = app_bot.store.count()
    assert client.post("/v1/chat", content=b"{oops", headers={"Content-Type": "application/json"}).status_code == 422
    assert client.post("/v1/articles", content=b"title=x", headers={"Content-Type": "text/plain"}).status_code == 422
    assert client.post("/v1/articles", json={"title": "empty", "text": "  "}).status_code == 400
    assert app_bot.store.count() == before


def test_health_ready_and_page(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["chunks"] > 0
    page = client.get("/")
    assert page.status_code == 200 and "newsbot" in page.text and "/v1/chat" in page.text
