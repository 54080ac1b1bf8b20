"""The shared database's schema is kept by Alembic: an empty database is built by the migrations
to exactly the schema the code declares, and a database from before the migrations (today's schema,
or an older one without owners and comments) is brought up to date with its rows kept."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import bot.db.database
import bot.feeds.store
from bot.db.database import SharedDatabase
from bot.db.migrations import current, head, migrate


def declared() -> sa.MetaData:
    """Every table the code reads and writes, as it declares them."""
    together = sa.MetaData()
    for metadata in (bot.db.database._metadata, bot.feeds.store._metadata):
        for table in metadata.tables.values():
            table.to_metadata(together)
    return together


def differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), declared()))


def schema_checks(url: str) -> None:
    engine = sa.create_engine(url)
    migrate(engine)
    assert current(engine) == head() and differences(engine) == []
    migrate(engine)  # again: nothing to do
    assert current(engine) == head()
    engine.dispose()


def test_an_empty_database_is_built_to_the_declared_schema(tmp_path: Path) -> None:
    schema_checks(f"sqlite:///{tmp_path / 'empty.db'}")


def test_todays_database_is_recognised_and_brought_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'today.db'}"
    engine = sa.create_engine(url)
    bot.db.database._metadata.create_all(engine)  # as newsbot made it before migrations: no feeds, no version
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO conversations (id, created_at, owner) VALUES ('c1', :at, 'api')"),
                     {"at": datetime.now(UTC)})
    engine.dispose()
    database = SharedDatabase(url)
    assert current(database.engine) == head() and differences(database.engine) == []
    assert database.belongs_to("c1", "api")


def test_an_older_database_gets_the_columns_added_since(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # the first schema: conversations without owners, feedback without comments
        conn.execute(sa.text("CREATE TABLE conversations (id VARCHAR(100) PRIMARY KEY, created_at DATETIME NOT NULL)"))
        conn.execute(sa.text("CREATE TABLE feedback (seq INTEGER PRIMARY KEY, answer_id VARCHAR(32) NOT NULL, "
                             "value INTEGER NOT NULL, channel VARCHAR(20) NOT NULL, user VARCHAR(100), "
                             "at DATETIME NOT NULL)"))
        conn.execute(sa.text("INSERT INTO conversations VALUES ('old', '2025-01-01 00:00:00')"))
    engine.dispose()
    database = SharedDatabase(url)
    columns = {c["name"] for c in sa.inspect(database.engine).get_columns("conversations")}
    assert "owner" in columns and current(database.engine) == head()
    assert database.exists("old") and not database.belongs_to("old", "api")
    database.add_feedback("a1", 1, "api", comment="kept")
    assert database.feedback("a1") == [1]
