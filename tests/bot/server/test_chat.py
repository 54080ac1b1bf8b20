import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot import Bot
from bot.components import STORE_VERSION
from bot.db.database import SharedDatabase
from bot.server import create_app
from tests.conftest import SEED, article


def test_chat_answers_with_citations(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "What is the spending target?"})
    assert r.status_code == 200
    body = r.json()
    assert body["answerable"] and "2032" in body["answer"] and body["conversation_id"] and body["answer_id"]
    assert body["citations"][0]["title"].startswith("NATO")


def sse_events(response: httpx.Response) -> list[dict[str, object]]:
    return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


def test_chat_streams_over_a_real_server(live_url: str) -> None:
    with httpx.stream("POST", live_url + "/v1/chat", json={"message": "Who will attend the NATO summit?",
                                                           "stream": True}, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    kinds = [e["type"] for e in events]
    assert kinds[-2:] == ["citations", "done"] and kinds.count("delta") > 3
    text = "".join(str(e["text"]) for e in events if e["type"] == "delta")
    done = events[-1]["answer"]
    assert isinstance(done, dict)
    assert "Trump" in text and done["text"] == text and done["conversation_id"]


def test_accept_header_selects_streaming(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "What is the spending target?"},
                    headers={"Accept": "text/event-stream"})
    assert r.headers["content-type"].startswith("text/event-stream") and "event: done" in r.text


def test_follow_up_continues_the_conversation(client: TestClient) -> None:
    first = client.post("/v1/chat", json={"message": "Who attends the NATO summit?"}).json()
    assert "Trump" in first["answer"]
    cid = first["conversation_id"]
    follow = client.post("/v1/chat", json={"message": "And when does it start?", "conversation_id": cid}).json()
    assert follow["conversation_id"] == cid and follow["answerable"]
    assert "June 24" in follow["answer"] or "24–26" in follow["answer"]
    assert follow["question"] == "When does the NATO summit start?"
    conversation = client.get(f"/v1/conversations/{cid}").json()
    assert [t["question"] for t in conversation["turns"]] == ["Who attends the NATO summit?",
                                                               "And when does it start?"]
    assert conversation["turns"][1]["answer"]["text"] == follow["answer"]
    assert conversation["turns"][1]["id"] == follow["answer_id"]


def test_streamed_turns_are_recorded_too(live_url: str) -> None:
    with httpx.stream("POST", live_url + "/v1/chat", json={"message": "What is the spending target?"},
                      headers={"Accept": "text/event-stream"}, timeout=30) as r:
        done = sse_events(r)[-1]["answer"]
    assert isinstance(done, dict)
    turns = httpx.get(f"{live_url}/v1/conversations/{done['conversation_id']}").json()["turns"]
    assert len(turns) == 1 and turns[0]["answer"]["text"] == done["text"]


def test_unknown_conversation_is_a_404(client: TestClient, app_bot: Bot) -> None:
    r = client.post("/v1/chat", json={"message": "What is the spending target?", "conversation_id": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert client.get("/v1/conversations/nope").status_code == 404
    assert not app_bot.database.exists("nope")


@pytest.mark.parametrize(("payload", "code"), [
    ({"message": ""}, 422), ({"message": "   "}, 400), ({"message": "x" * 2001}, 400), ({"message": "x" * 20_001}, 422),
    ({"message": "hi", "filters": {"colour": "red"}}, 422), ({}, 422),
    ({"message": "hi", "filters": {"published_after": "not a date"}}, 422),
    ({"message": "hi", "stream": "maybe"}, 422),
    ({"message": "x\ud800"}, 422), ({"message": "x\ud800", "stream": True}, 422),  # lone surrogates
    ({"message": "hi", "filters": {"source": ["\udc00"]}}, 422),
    ({"message": "hi", "filters": {"source": [f"s{n}" for n in range(40_000)]}}, 422),  # bounded, no 5xx
    ({"message": "hi", "filters": {"article_id": ["x" * 5000]}}, 422),
])
def test_bad_chat_requests(client: TestClient, payload: dict[str, object], code: int) -> None:
    # json.dumps writes \ud800 as an escape, as a client may; httpx's json= would refuse to send it
    r = client.post("/v1/chat", content=json.dumps(payload), headers={"Content-Type": "application/json"})
    assert r.status_code == code
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_malformed_json_is_a_422_with_a_message(client: TestClient) -> None:
    r = client.post("/v1/chat", content=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]


def test_health_ready_and_page(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["chunks"] > 0
    page = client.get("/")
    assert page.status_code == 200 and "newsbot" in page.text and "/v1/chat" in page.text


def test_the_question_length_setting_holds_over_http(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path, max_question_chars=40)
    client = TestClient(create_app(bot=bot))
    r = client.post("/v1/chat", json={"message": "What is the spending target of the alliance, in full?"})
    assert r.status_code == 400 and "longer than 40 characters" in r.json()["detail"]
    assert client.post("/v1/chat", json={"message": "What is the spending target?"}).status_code == 200


def test_the_server_prunes_idle_conversations_and_survives_its_database_being_deleted(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path, conversation_days=30)
    bot.ingest([SEED])
    bot.ask("Who attends the summit?", conversation_id="idle")
    with bot.database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE turns SET created_at = :at"), {"at": datetime.now(UTC) - timedelta(days=31)})
    with TestClient(create_app(bot=bot)) as client:  # startup prunes once, then hourly
        deadline = time.monotonic() + 10
        while bot.conversation("idle") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bot.conversation("idle") is None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp_path / 'conversations.db'}{suffix}").unlink(missing_ok=True)
        assert client.get("/readyz").status_code == 200
        made = client.post("/v1/chat", json={"message": "What is the spending target?"})
        assert made.status_code == 200
        assert client.post("/v1/articles", json=article(1)).status_code == 200
    kept = SharedDatabase(f"sqlite:///{tmp_path / 'conversations.db'}")
    assert kept.get(made.json()["conversation_id"]) is not None and kept.value(STORE_VERSION)
