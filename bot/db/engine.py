"""The shared database's engine and tables, and what every store over it shares: opening it
(migrated to the current schema), noticing a deleted SQLite file, reads that fail as DatabaseError,
and this process's writers queued on one lock where SQLite lets one writer in at a time."""

import contextlib
import logging
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db.migrations import migrate
from index.errors import DatabaseError

log = logging.getLogger("newsbot.database")
_metadata = sa.MetaData()
_conversations = sa.Table(
    "conversations", _metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Who made it: "key:<fingerprint>", "api" (no keys configured), "slack", "webhook"; None in-process.
    sa.Column("owner", sa.String(80), nullable=True),
)
_turns = sa.Table(
    "turns", _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),  # insertion order = turn order
    sa.Column("id", sa.String(32), nullable=False, unique=True),
    sa.Column("conversation_id", sa.String(100), sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("standalone", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),  # Answer as JSON
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("turns_by_conversation", "conversation_id", "seq"),
)
_seen = sa.Table(  # deliveries already handled: Slack event ids, webhook signatures
    "seen", _metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
_state = sa.Table(  # small values shared by all workers, e.g. the version of the article store
    "state", _metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.String(100), nullable=False),
)
_changes = sa.Table(  # the articles each write to the article store touched, in commit order
    "store_changes", _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("article_id", sa.Text, nullable=False),
)
_buckets = sa.Table(  # API-key rate limits shared by all workers: a token bucket per key
    "rate_buckets", _metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("at", sa.Float, nullable=False),  # Unix seconds of the last refill
)
_feedback = sa.Table(
    "feedback", _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("answer_id", sa.String(32), nullable=False, index=True),
    sa.Column("value", sa.Integer, nullable=False),  # +1 or -1
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("user", sa.String(100), nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
)


def new_conversation_id() -> str:
    return uuid.uuid4().hex


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a power cut may lose the last turns
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class DatabaseCore:
    """One engine and the helpers every store over it uses."""

    def __init__(self, url: str) -> None:
        try:
            self.engine: Engine = sa.create_engine(url)
            if self.engine.dialect.name == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            migrate(self.engine)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot open the conversation database: {_brief(exc)}") from exc
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        # A SQLite file deleted under a running server keeps working through open connections, into
        # a file nobody will ever see again: every write looks for it first.
        self._file = Path(database) if database and database != ":memory:" else None
        # SQLite lets one writer in at a time and makes the others sleep and retry (in steps of up
        # to 100 ms); queueing this process's writers on a lock instead keeps the latency tail short.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext())

    def check(self) -> None:
        """The database is there and answers; a deleted SQLite file is made anew (what it held
        is gone with it), so later writes are kept."""
        if self._file is not None and not self._file.exists():
            log.error("the conversation database %s was deleted; creating a new, empty one", self._file)
            self.engine.dispose()
            try:
                migrate(self.engine)
            except SQLAlchemyError as exc:
                raise DatabaseError(f"the conversation database {self._file} is gone and cannot be made anew: "
                                 f"{_brief(exc)}") from exc
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"the conversation database does not answer: {_brief(exc)}") from exc

    def _writable(self) -> None:
        if self._file is not None and not self._file.exists():
            self.check()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A connection for reads: the database being away is a DatabaseError (503 and Retry-After), as
        for writes, never a bare driver error."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the conversation database: {_brief(exc)}") from exc

    def close(self) -> None:
        self.engine.dispose()


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(key: str) -> bool:
    """An id every database can hold and match: PostgreSQL's text has no NUL, UTF-8 no lone
    surrogate. No stored id has either, so a lookup of one finds nothing without asking."""
    return _UNSTORABLE.search(key) is None


def _text(value: str) -> str:
    """Free text as every database can store it: NUL (which PostgreSQL's text refuses) and lone
    surrogates become U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", value)


def _brief(exc: SQLAlchemyError) -> str:
    """The driver's first line: SQLAlchemy's own text carries the SQL and its parameters."""
    return str(getattr(exc, "orig", None) or exc).split("\n")[0][:300]


def _set(conn: sa.Connection, key: str, value: str) -> None:
    if conn.execute(sa.update(_state).where(_state.c.key == key).values(value=value)).rowcount == 0:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(_state).values(key=key, value=value))
        except IntegrityError:  # another worker made it a moment ago
            conn.execute(sa.update(_state).where(_state.c.key == key).values(value=value))


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
