import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.database import SharedDatabase
from bot.models import Answer
from index.errors import DatabaseError


def test_turns_round_trip_in_order(tmp_path: Path) -> None:
    store = SharedDatabase(f"sqlite:///{tmp_path / 'c.db'}")
    assert store.get("c1") is None and not store.exists("c1")
    for n in range(5):
        store.add_turn("c1", f"q{n}", f"standalone {n}", Answer(id=f"a{n}", text=f"answer {n}", answerable=n != 2))
    conversation = store.get("c1")
    assert conversation is not None and [t.question for t in conversation.turns] == [f"q{n}" for n in range(5)]
    assert conversation.turns[2].answer.answerable is False and conversation.turns[4].id == "a4"
    assert [t.question for t in store.history("c1", last=2)] == ["q3", "q4"]
    assert conversation.created_at.tzinfo is not None


def test_sqlite_uses_wal_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    SharedDatabase(f"sqlite:///{path}").add_turn("c1", "q", "q", Answer(text="a", answerable=True))
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = SharedDatabase(f"sqlite:///{path}").get("c1")
    assert again is not None and again.turns[0].answer.text == "a"


def test_concurrent_first_turns_make_one_conversation(tmp_path: Path) -> None:
    store = SharedDatabase(f"sqlite:///{tmp_path / 'c.db'}")
    threads = [threading.Thread(target=store.add_turn, args=("c1", f"q{n}", "s", Answer(text="a", answerable=True)))
               for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conversation = store.get("c1")
    assert conversation is not None and len(conversation.turns) == 8


def test_a_short_dedupe_window_does_not_forget_another_kinds_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = SharedDatabase(f"sqlite:///{path}")
    assert store.first_time("slack:Ev1", 3600.0) and store.first_time("webhook:sig1", 900.0)
    with sqlite3.connect(path) as db:  # both deliveries were seen 20 minutes ago
        db.execute("UPDATE seen SET at = datetime(at, '-1200 seconds')")
    assert store.first_time("webhook:sig2", 900.0)  # prunes webhook:sig1, which is past its 900 s
    assert not store.first_time("slack:Ev1", 3600.0)  # Slack's retry within its hour is still a duplicate
    assert store.first_time("webhook:sig1", 900.0)


def test_a_database_from_before_owners_gains_the_column_and_keeps_its_turns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE conversations (id VARCHAR(100) PRIMARY KEY, created_at DATETIME NOT NULL)")
        db.execute("INSERT INTO conversations VALUES ('old-1', '2025-06-01 10:00:00')")
    store = SharedDatabase(f"sqlite:///{path}")
    assert store.exists("old-1") and not store.belongs_to("old-1", "api")  # readable in-process only
    store.add_turn("new-1", "q", "q", Answer(text="a", answerable=True), owner="key:abc")
    assert store.belongs_to("new-1", "key:abc") and not store.belongs_to("new-1", "key:xyz")


def test_idle_conversations_are_pruned_with_their_feedback(tmp_path: Path) -> None:
    store = SharedDatabase(f"sqlite:///{tmp_path / 'c.db'}")
    old = store.add_turn("old", "q", "q", Answer(text="a", answerable=True))
    store.add_turn("fresh", "q", "q", Answer(text="a", answerable=True))
    store.add_feedback(old.id, 1, "api")
    with store.engine.begin() as conn:  # its last turn 100 days ago
        conn.execute(sa.text("UPDATE turns SET created_at = :at WHERE conversation_id = 'old'"),
                     {"at": datetime.now(UTC) - timedelta(days=100)})
    assert store.prune(timedelta(days=90)) == 1
    assert store.get("old") is None and store.feedback(old.id) == [] and store.get("fresh") is not None
    assert store.prune(timedelta(days=90)) == 0


def test_a_deleted_sqlite_file_is_made_anew_and_later_turns_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = SharedDatabase(f"sqlite:///{path}")
    store.add_turn("before", "q", "q", Answer(text="a", answerable=True))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store.add_turn("after", "q", "q", Answer(text="a", answerable=True))
    reopened = SharedDatabase(f"sqlite:///{path}")  # what another worker, or a restart, sees
    assert reopened.get("after") is not None and reopened.get("before") is None


def test_rate_limit_buckets_in_the_database_are_shared_by_every_store_on_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    one, two = SharedDatabase(url), SharedDatabase(url)  # as two workers would open it
    waits = [store.take_token("k", 1.0, 3.0, 100.0) for store in (one, two, one, two, one)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0 and waits[4] > 0  # one bucket of 3, not two
    assert two.take_token("other", 1.0, 3.0, 100.0) == 0.0
    assert one.take_token("k", 1.0, 3.0, 101.5) == 0.0  # refilled at 1 per second


def test_database_errors_do_not_carry_sql_or_parameters(tmp_path: Path) -> None:
    store = SharedDatabase(f"sqlite:///{tmp_path / 'c.db'}")
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE turns"))
    with pytest.raises(DatabaseError) as caught:
        store.add_turn("c1", "secret question", "s", Answer(text="a", answerable=True))
    assert "no such table" in str(caught.value)
    assert "INSERT" not in str(caught.value) and "secret question" not in str(caught.value)
