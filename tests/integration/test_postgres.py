"""The shared database as it is run for workers on several machines: a real PostgreSQL server
(tests/postgres.py), with the same checks as SQLite gets, and two Bots sharing it and a Chroma
server as two machines would."""

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import Bot
from bot.components import STORE_VERSION
from bot.db.database import SharedDatabase
from bot.models import Answer
from index.errors import DatabaseError, NewsbotError
from tests.conftest import SEED, article


def fresh() -> str:
    return uuid.uuid4().hex[:12]


def test_turns_owners_and_feedback_round_trip(postgres_url: str) -> None:
    store = SharedDatabase(postgres_url)
    cid = fresh()
    for n in range(3):
        store.add_turn(cid, f"q{n}", f"s{n}", Answer(text=f"a{n}", answerable=True), owner="key:abc")
    conversation = store.get(cid)
    assert conversation is not None and [t.question for t in conversation.turns] == ["q0", "q1", "q2"]
    assert store.belongs_to(cid, "key:abc") and not store.belongs_to(cid, "key:xyz")
    store.add_feedback(conversation.turns[0].id, -1, "api", comment="wrong")
    assert store.feedback(conversation.turns[0].id) == [-1]


def test_nul_and_lone_surrogates_are_a_client_matter_not_an_outage(postgres_url: str) -> None:
    """PostgreSQL's text holds no NUL: ids with one are never found and never stored (a 400), and
    free text keeps a U+FFFD in its place, instead of the driver's error (a 500 or a 503)."""
    store = SharedDatabase(postgres_url)
    assert store.get("a\x00b") is None and not store.belongs_to("a\x00b", "k") and not store.exists("\ud800")
    assert not store.has_answer("x\x00") and store.feedback("x\x00") == []
    with pytest.raises(NewsbotError, match="NUL"):
        store.add_turn("a\x00b", "q", "q", Answer(text="a", answerable=True))
    cid = fresh()
    turn = store.add_turn(cid, "who\x00 attends\ud800?", "who attends?", Answer(text="a", answerable=True))
    assert store.history(cid)[0].question == "who\ufffd attends\ufffd?" == turn.question
    store.add_feedback(turn.id, 1, "api", comment="fine\x00")
    assert store.feedback(turn.id) == [1]
    with pytest.raises(NewsbotError, match="NUL"):
        store.add_feedback("x\x00", 1, "api")


def test_a_database_that_does_not_answer_is_a_store_error_on_reads_too(postgres_url: str) -> None:
    store = SharedDatabase(postgres_url)
    cid = fresh()
    store.add_turn(cid, "q", "q", Answer(text="a", answerable=True))
    store.engine = sa.create_engine("postgresql+psycopg://newsbot@127.0.0.1:9/gone")  # the server away
    for read in (lambda: store.get(cid), lambda: store.belongs_to(cid, "k"), lambda: store.history(cid),
                 lambda: store.exists(cid), lambda: store.has_answer(cid), lambda: store.feedback(cid)):
        with pytest.raises(DatabaseError, match="cannot read"):
            read()


def test_two_workers_first_turns_make_one_conversation(postgres_url: str) -> None:
    one, two = SharedDatabase(postgres_url), SharedDatabase(postgres_url)
    cid = fresh()
    threads = [threading.Thread(target=(one if n % 2 else two).add_turn,
                                args=(cid, f"q{n}", "s", Answer(text="a", answerable=True))) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conversation = one.get(cid)
    assert conversation is not None and len(conversation.turns) == 8


def test_deliveries_versions_and_rate_limits_are_shared(postgres_url: str) -> None:
    one, two = SharedDatabase(postgres_url), SharedDatabase(postgres_url)
    key = f"slack:{fresh()}"
    assert one.first_time(key) and not two.first_time(key)
    start = two.last_change()
    logged = one.record_changes({"article-a"})
    assert two.value(STORE_VERSION) == logged
    two.record_changes({"article-b", "article-c"})
    position, changed = one.changes_after(start, 10) or (0, set())
    assert changed == {"article-a", "article-b", "article-c"} and position == two.last_change()
    assert one.changes_after(position, 10) == (position, set()) and one.changes_after(start, 2) is None
    bucket = fresh()
    waits = [store.take_token(bucket, 1.0, 3.0, 100.0) for store in (one, two, one, two)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0


def test_idle_conversations_are_pruned(postgres_url: str) -> None:
    store = SharedDatabase(postgres_url)
    old, new = fresh(), fresh()
    store.add_turn(old, "q", "q", Answer(text="a", answerable=True))
    store.add_turn(new, "q", "q", Answer(text="a", answerable=True))
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE turns SET created_at = :at WHERE conversation_id = :c"),
                     {"at": datetime.now(UTC) - timedelta(days=400), "c": old})
    assert store.prune(timedelta(days=365)) >= 1
    assert store.get(old) is None and store.get(new) is not None


def test_two_machines_share_conversations_and_see_each_others_writes(postgres_url: str, chroma_url: str,
                                                                      tmp_path: Path) -> None:
    shared = {"chroma_url": chroma_url, "collection": f"t_{fresh()}", "database_url": postgres_url}
    one = Bot(data_dir=tmp_path / "one", **shared)
    two = Bot(data_dir=tmp_path / "two", **shared)
    one.ingest([SEED])
    cid = fresh()
    assert "Trump" in one.ask("Who attends the NATO summit?", conversation_id=cid).text
    follow = two.ask("And when does it start?", conversation_id=cid)  # the other machine continues it
    assert "June" in follow.text and len(two.conversation(cid).turns) == 2  # type: ignore[union-attr]
    two.ingest([article(1)])
    assert one.database.value(STORE_VERSION) == two.database.value(STORE_VERSION)
    assert "5 dollars" in one.ask("How much do tickets cost in Port Elm 1?").text


def test_followed_feeds_are_claimed_by_one_worker_at_a_time(postgres_url: str) -> None:
    from bot.feeds import FeedStore

    first, second = FeedStore(SharedDatabase(postgres_url).engine), FeedStore(SharedDatabase(postgres_url).engine)
    url = f"https://news.example/{fresh()}.rss"
    feed, created = first.add(url, 900, now=1000.0)
    again, created_again = second.add(url, 600, now=1001.0)
    assert created and not created_again and again.id == feed.id and again.every_s == 600
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda s=s, n=n: wins.append(s.claim(feed.id, f"w{n}", 1002.0, 60)))
               for n, s in enumerate([first, second] * 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert second.find("a\x00b") is None


def fresh_database(postgres_url: str) -> str:
    name = "mig_" + fresh()
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres_url.rsplit("/", 1)[0] + "/" + name


def test_migrations_build_an_empty_database_and_update_todays_with_workers_racing(postgres_url: str) -> None:
    import bot.db.database
    from bot.db.migrations import current, head
    from tests.bot.test_migrations import differences, schema_checks

    schema_checks(fresh_database(postgres_url))
    url = fresh_database(postgres_url)
    engine = sa.create_engine(url)
    bot.db.database._metadata.create_all(engine)  # today's schema, from before migrations
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO conversations (id, created_at, owner) VALUES ('c1', now(), 'api')"))
    engine.dispose()
    opened: list[SharedDatabase] = []
    workers = [threading.Thread(target=lambda: opened.append(SharedDatabase(url))) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(opened) == 4 and current(opened[0].engine) == head() and differences(opened[0].engine) == []
    assert opened[0].belongs_to("c1", "api")
