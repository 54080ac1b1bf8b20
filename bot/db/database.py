"""The service's SQL database: conversation history, plus the small state workers share
(deliveries already handled, feedback, the article store's version). SQLite in the data dir
by default (WAL, so several worker processes can share it), or any SQLAlchemy database URL."""

import contextlib
import logging
import re
import threading
import uuid
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db.migrations import migrate
from bot.models import Answer, Conversation, Turn
from index.errors import DatabaseError, NewsbotError

__all__ = ["STORE_VERSION", "Conversation", "SharedDatabase", "Turn", "new_conversation_id"]

log = logging.getLogger("newsbot.database")
STORE_VERSION = "store_version"  # bumped with every logged write to the article store, so workers notice
CHANGE_LOG_KEPT = 10_000  # change-log rows kept; a reader further behind than that reads the store anew
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


class SharedDatabase:
    """What every worker shares: conversations and their turns (each with its owner), feedback,
    deliveries already handled (dedupe keys), counters such as the store's version, and the
    rate-limit buckets."""

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

    def exists(self, conversation_id: str) -> bool:
        if not _storable(conversation_id):
            return False
        with self._reading() as conn:
            found = conn.execute(sa.select(_conversations.c.id).where(_conversations.c.id == conversation_id))
            return found.first() is not None

    def belongs_to(self, conversation_id: str, owner: str) -> bool:
        """The conversation exists and was made by `owner`: others are told it does not exist."""
        if not _storable(conversation_id):
            return False
        with self._reading() as conn:
            found = conn.execute(sa.select(_conversations.c.owner).where(_conversations.c.id == conversation_id))
            row = found.first()
            return row is not None and row.owner == owner

    def get(self, conversation_id: str, last: int | None = None) -> Conversation | None:
        """The conversation with all its turns (or only the `last` ones), oldest first."""
        if not _storable(conversation_id):
            return None
        with self._reading() as conn:
            head = conn.execute(sa.select(_conversations).where(_conversations.c.id == conversation_id)).first()
            if head is None:
                return None
            query = sa.select(_turns).where(_turns.c.conversation_id == conversation_id).order_by(_turns.c.seq.desc())
            if last is not None:
                query = query.limit(last)
            rows = list(conn.execute(query))[::-1]
        turns = [Turn(id=r.id, question=r.question, standalone=r.standalone,
                      answer=Answer.model_validate_json(r.answer), created_at=_utc(r.created_at)) for r in rows]
        return Conversation(id=head.id, created_at=_utc(head.created_at), turns=turns)

    def history(self, conversation_id: str, last: int = 4) -> list[Turn]:
        conversation = self.get(conversation_id, last=last)
        return conversation.turns if conversation else []

    def add_turn(self, conversation_id: str, question: str, standalone: str, answer: Answer,
                 owner: str | None = None) -> Turn:
        """Record a turn, creating the conversation (owned by `owner`) on its first turn."""
        now = datetime.now(UTC)
        if not _storable(conversation_id) or (owner is not None and not _storable(owner)):
            raise NewsbotError("a conversation id cannot contain NUL or lone surrogates")
        question, standalone = _text(question), _text(standalone)
        turn = Turn(id=answer.id or uuid.uuid4().hex, question=question, standalone=standalone, answer=answer,
                    created_at=now)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                if conn.execute(sa.select(_conversations.c.id).where(_conversations.c.id == conversation_id)).first() \
                        is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(sa.insert(_conversations).values(id=conversation_id, created_at=now,
                                                                          owner=owner))
                    except IntegrityError:
                        pass  # another worker created it a moment ago
                conn.execute(sa.insert(_turns).values(id=turn.id, conversation_id=conversation_id, question=question,
                                                   standalone=standalone, answer=answer.model_dump_json(),
                                                   created_at=now))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot save the conversation: {_brief(exc)}") from exc
        return turn

    def first_time(self, key: str, keep_s: float = 3600.0) -> bool:
        """True the first time `key` is offered (across processes sharing the database), False
        after; keys older than `keep_s` are forgotten. The window belongs to the key's kind (the
        text before its first ":"), so one caller's short window never prunes another's keys."""
        now = datetime.now(UTC)
        kind = key.split(":", 1)[0] + ":"
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                conn.execute(sa.delete(_seen).where(_seen.c.key.startswith(kind, autoescape=True),
                                                    _seen.c.at < now - timedelta(seconds=keep_s)))
                conn.execute(sa.insert(_seen).values(key=key, at=now))
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot record the delivery: {_brief(exc)}") from exc

    def record_changes(self, articles: Collection[str]) -> str:
        """Bump STORE_VERSION and log the `articles` a write to the article store touched, so every
        worker's keyword index catches up with those alone (`changes_after`). The version row is
        updated first: its row lock makes concurrent writers log in commit order, so a reader that
        has seen a change has seen every earlier one. One log per database: workers on another
        collection sharing it read a few entries they do not need."""
        value = uuid.uuid4().hex
        rows = [{"article_id": a} for a in sorted(articles)]
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                _set(conn, STORE_VERSION, value)
                conn.execute(sa.insert(_changes), rows)
                last = conn.execute(sa.select(sa.func.max(_changes.c.seq))).scalar_one()
                if last // 100 != (last - len(rows)) // 100:  # every hundred entries: the log stays bounded
                    conn.execute(sa.delete(_changes).where(_changes.c.seq <= last - CHANGE_LOG_KEPT))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot record the store version: {_brief(exc)}") from exc
        return value

    def last_change(self) -> int:
        """Where the change log stands (0 when empty): read it before reading the whole store, then
        `changes_after` it names whatever the read may have missed."""
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(sa.select(sa.func.max(_changes.c.seq))).scalar_one() or 0)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the conversation database: {_brief(exc)}") from exc

    def changes_after(self, seq: int, limit: int) -> tuple[int, set[str]] | None:
        """The log's position and the articles written or deleted after `seq`, or None when the
        reader must read the whole store instead: more than `limit` changes, entries pruned, or a
        log that restarted (its database made anew). A gap in the sequence also says None
        (PostgreSQL skips the numbers of rolled-back inserts): a needless reread, never a missed
        change."""
        try:
            with self.engine.connect() as conn:
                low, high = conn.execute(sa.select(sa.func.min(_changes.c.seq), sa.func.max(_changes.c.seq))).one()
                if high is None or high <= seq:
                    return (seq, set()) if (high or 0) == seq else None
                if low > seq + 1 or high - seq > limit:
                    return None
                rows = conn.execute(sa.select(_changes.c.seq, _changes.c.article_id)
                                    .where(_changes.c.seq > seq, _changes.c.seq <= high).order_by(_changes.c.seq)).all()
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the conversation database: {_brief(exc)}") from exc
        if [r.seq for r in rows] != list(range(seq + 1, high + 1)):
            return None
        return high, {r.article_id for r in rows}

    def value(self, key: str) -> str:
        try:
            with self.engine.connect() as conn:
                found = conn.execute(sa.select(_state.c.value).where(_state.c.key == key)).first()
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the conversation database: {_brief(exc)}") from exc
        return found.value if found else ""

    def take_token(self, key: str, rate: float, burst: float, now: float) -> float:
        """One request's token from `key`'s bucket (refilled at `rate` per second up to `burst`):
        0 when it may go ahead, else the seconds until it may. One atomic UPDATE, so workers
        sharing the database share the bucket."""
        level = _buckets.c.tokens + (now - _buckets.c.at) * rate
        refilled = sa.case((level > burst, burst), else_=level)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                taken = conn.execute(sa.update(_buckets).where(_buckets.c.key == key, refilled >= 1.0)
                                     .values(tokens=refilled - 1.0, at=now))
                if taken.rowcount:
                    return 0.0
                row = conn.execute(sa.select(_buckets.c.tokens, _buckets.c.at).where(_buckets.c.key == key)).first()
                if row is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(sa.insert(_buckets).values(key=key, tokens=burst - 1.0, at=now))
                    except IntegrityError:
                        pass  # another worker made it a moment ago: this one request goes ahead
                    return 0.0
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot check the rate limit: {_brief(exc)}") from exc
        tokens = min(burst, float(row.tokens) + (now - float(row.at)) * rate)
        return (1.0 - tokens) / rate

    def prune(self, older_than: timedelta) -> int:
        """Delete conversations whose last turn is older than `older_than`, with their turns and
        the feedback on them. Returns how many conversations went."""
        cutoff = datetime.now(UTC) - older_than
        last = sa.select(_turns.c.conversation_id, sa.func.max(_turns.c.created_at).label("at")) \
            .group_by(_turns.c.conversation_id).subquery()
        stale = sa.select(_conversations.c.id).outerjoin(last, last.c.conversation_id == _conversations.c.id) \
            .where(sa.func.coalesce(last.c.at, _conversations.c.created_at) < cutoff)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                ids = [r.id for r in conn.execute(stale)]
                for start in range(0, len(ids), 500):  # bounded IN lists
                    batch = ids[start:start + 500]
                    answers = sa.select(_turns.c.id).where(_turns.c.conversation_id.in_(batch))
                    conn.execute(sa.delete(_feedback).where(_feedback.c.answer_id.in_(answers)))
                    conn.execute(sa.delete(_turns).where(_turns.c.conversation_id.in_(batch)))
                    conn.execute(sa.delete(_conversations).where(_conversations.c.id.in_(batch)))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot prune conversations: {_brief(exc)}") from exc
        return len(ids)

    def add_feedback(self, answer_id: str, value: int, channel: str, user: str | None = None,
                     comment: str | None = None) -> None:
        if not _storable(answer_id):
            raise NewsbotError("an answer id cannot contain NUL or lone surrogates")
        user, comment = (_text(user) if user else user), (_text(comment) if comment else comment)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                conn.execute(sa.insert(_feedback).values(answer_id=answer_id, value=value, channel=channel,
                                                         user=user, at=datetime.now(UTC), comment=comment))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot save the feedback: {_brief(exc)}") from exc

    def has_answer(self, answer_id: str) -> bool:
        if not _storable(answer_id):
            return False
        with self._reading() as conn:
            return conn.execute(sa.select(_turns.c.seq).where(_turns.c.id == answer_id)).first() is not None

    def answer_owner(self, answer_id: str) -> str | None:
        """The owner of the conversation an answer was given in ("" when it has none), or None when
        no such answer was given."""
        if not _storable(answer_id):
            return None
        with self._reading() as conn:
            row = conn.execute(sa.select(_conversations.c.owner).join(
                _turns, _turns.c.conversation_id == _conversations.c.id).where(_turns.c.id == answer_id)).first()
        return None if row is None else (row.owner or "")

    def feedback(self, answer_id: str) -> list[int]:
        if not _storable(answer_id):
            return []
        with self._reading() as conn:
            rows = conn.execute(sa.select(_feedback.c.value).where(_feedback.c.answer_id == answer_id)
                                .order_by(_feedback.c.seq))
            return [r.value for r in rows]

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
