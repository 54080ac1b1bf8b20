"""POST /v1/feedback: stored beside Slack's feedback and counted in the same metric."""

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from bot import Bot
from bot.db.database import SharedDatabase


def test_feedback_on_an_answer_is_stored_and_counted(client: TestClient, app_bot: Bot) -> None:
    chat = client.post("/v1/chat", json={"message": "What is the spending target?"}).json()
    answer_id = chat["answer_id"]
    r = client.post("/v1/feedback", json={"answer_id": answer_id, "value": -1, "comment": "  too long  "})
    assert r.status_code == 201 and r.json() == {"answer_id": answer_id, "value": -1, "recorded": True}
    assert client.post("/v1/feedback", json={"answer_id": answer_id, "value": 1}).status_code == 201
    assert app_bot.database.feedback(answer_id) == [-1, 1]
    metrics = client.get("/metrics").text
    assert 'newsbot_feedback_total{channel="api",value="down"}' in metrics
    assert 'newsbot_feedback_total{channel="api",value="up"}' in metrics


def test_bad_feedback_is_refused_and_nothing_stored(client: TestClient, app_bot: Bot) -> None:
    r = client.post("/v1/feedback", json={"answer_id": "no-such-answer", "value": 1})
    assert r.status_code == 404 and "no-such-answer" in r.json()["detail"]
    for body in ({"answer_id": "x", "value": 2}, {"answer_id": "x"}, {"value": 1},
                 {"answer_id": "x", "value": 1, "extra": True}, {"answer_id": "x" * 40, "value": 1}):
        assert client.post("/v1/feedback", json=body).status_code == 422
    assert app_bot.database.feedback("no-such-answer") == []


def test_an_older_database_gets_the_comment_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the feedback table as earlier versions made it
        db.execute("CREATE TABLE feedback (seq INTEGER PRIMARY KEY AUTOINCREMENT, answer_id VARCHAR(32) NOT NULL, "
                   "value INTEGER NOT NULL, channel VARCHAR(20) NOT NULL, user VARCHAR(100), at DATETIME NOT NULL)")
        db.execute("INSERT INTO feedback (answer_id, value, channel, at) VALUES ('a1', 1, 'slack', '2025-01-01')")
    store = SharedDatabase(f"sqlite:///{path}")
    store.add_feedback("a1", -1, "api", comment="wrong year")
    assert store.feedback("a1") == [1, -1]
